package models

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func quietFetcher(cache, mirror string) *Fetcher {
	return &Fetcher{
		CacheDir:  cache,
		MirrorDir: mirror,
		Client:    &http.Client{Timeout: 10 * time.Second},
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func detector(t *testing.T) Model {
	t.Helper()
	man, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := man.Model(RoleDetector)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func assertFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: contents differ from the source (%d vs %d bytes)", path, len(got), len(want))
	}
}

// unreachableURL returns the URL of a server that has already been closed.
func unreachableURL() string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL + "/model.onnx"
}

func TestModelFromMirrorThenCache(t *testing.T) {
	mirror := requireMirror(t)
	ctx := context.Background()
	m := detector(t)
	m.URL = unreachableURL() // the mirror must be enough
	want, err := os.ReadFile(filepath.Join(mirror, m.File))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	f := quietFetcher(cache, mirror)

	path, err := f.Model(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(cache, m.File) || !filepath.IsAbs(path) {
		t.Fatalf("path %q, want %q", path, filepath.Join(cache, m.File))
	}
	assertFile(t, path, want)

	// A cache hit must not touch the mirror: point it at nothing.
	f.MirrorDir = t.TempDir()
	if p2, err := f.Model(ctx, m); err != nil || p2 != path {
		t.Fatalf("cache hit: %q, %v", p2, err)
	}

	// Corrupt the cached copy in place; it must be detected and replaced.
	f.MirrorDir = mirror
	if err := os.WriteFile(path, bytes.Repeat([]byte{0xAB}, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Model(ctx, m); err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, want)
	leftovers, _ := filepath.Glob(filepath.Join(cache, ".*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temp files left in cache: %v", leftovers)
	}
}

func TestModelUnavailableListsEverySource(t *testing.T) {
	m := detector(t)
	m.URL = unreachableURL()
	badMirror := t.TempDir()
	if err := os.WriteFile(filepath.Join(badMirror, m.File), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	_, err := quietFetcher(cache, badMirror).Model(context.Background(), m)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if !errors.Is(err, ErrChecksum) {
		t.Errorf("got %v, want it to wrap ErrChecksum from the mirror", err)
	}
	msg := err.Error()
	for _, want := range []string{m.File, "cache " + cache + " (missing)", "mirror " + badMirror, m.URL, "GET"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if _, statErr := os.Stat(filepath.Join(cache, m.File)); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("a bad file reached the cache: %v", statErr)
	}
}

func TestModelOverHTTP(t *testing.T) {
	mirror := requireMirror(t)
	m := detector(t)
	real, err := os.ReadFile(filepath.Join(mirror, m.File))
	if err != nil {
		t.Fatal(err)
	}
	body := real
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}))
	defer srv.Close()
	m.URL = srv.URL + "/" + m.File

	t.Run("good bytes", func(t *testing.T) {
		body = real
		path, err := quietFetcher(t.TempDir(), "").Model(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		assertFile(t, path, real)
	})
	t.Run("wrong bytes", func(t *testing.T) {
		body = append(bytes.Clone(real[:len(real)-1]), real[len(real)-1]^0xFF) // same size, one byte changed
		cache := t.TempDir()
		_, err := quietFetcher(cache, "").Model(context.Background(), m)
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrChecksum) {
			t.Fatalf("got %v, want ErrUnavailable and ErrChecksum", err)
		}
		if !strings.Contains(err.Error(), ErrChecksum.Error()) || !strings.Contains(err.Error(), m.URL) {
			t.Errorf("error %q should name the URL and the checksum failure", err)
		}
		if entries, _ := os.ReadDir(cache); len(entries) != 0 {
			t.Errorf("cache not empty after a failed download: %v", entries)
		}
	})
	t.Run("404", func(t *testing.T) {
		m := m
		notFound := httptest.NewServer(http.NotFoundHandler())
		defer notFound.Close()
		m.URL = notFound.URL + "/x.onnx"
		_, err := quietFetcher(t.TempDir(), "").Model(context.Background(), m)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("got %v, want ErrUnavailable naming the 404", err)
		}
	})
}

// fakeNPM writes a tarball holding member and a shell script that behaves
// like `npm pack`: it drops the tarball in its working dir and prints its name.
func fakeNPM(t *testing.T, member string, content []byte) string {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	files := []struct {
		name string
		data []byte
	}{
		{"package/package.json", []byte(`{"name":"onnxruntime-node"}`)},
		{member, content},
	}
	for _, file := range files {
		hdr := &tar.Header{Name: file.name, Mode: 0o644, Size: int64(len(file.data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(file.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(dir, "onnxruntime-node-1.24.1.tgz")
	if err := os.WriteFile(tgz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "npm")
	body := "#!/bin/sh\ncp '" + tgz + "' . && echo onnxruntime-node-1.24.1.tgz\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

func TestRuntimeFromNPMPack(t *testing.T) {
	content := []byte("\x7fELF pretend this is libonnxruntime")
	member := "package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
	r := Runtime{
		NPMFile: NPMFile{Package: "onnxruntime-node@1.24.1", Member: member}, File: "libonnxruntime.so.1",
		Version: "1.24.1", SHA256: sha(content), Size: int64(len(content)), Licence: "MIT",
	}
	npm := fakeNPM(t, member, content)

	t.Run("extracts and verifies", func(t *testing.T) {
		cache := t.TempDir()
		f := quietFetcher(cache, t.TempDir())
		f.NPM = npm
		path, err := f.Runtime(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		assertFile(t, path, content)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o755 {
			t.Errorf("mode %v, want 0755", st.Mode().Perm())
		}
		// Second call is a cache hit: it must work even without npm.
		f.NPM = filepath.Join(t.TempDir(), "no-npm")
		if p2, err := f.Runtime(context.Background(), r); err != nil || p2 != path {
			t.Fatalf("cache hit: %q, %v", p2, err)
		}
	})
	t.Run("wrong sha256", func(t *testing.T) {
		bad := r
		bad.SHA256 = sha([]byte("something else"))
		cache := t.TempDir()
		f := quietFetcher(cache, "")
		f.NPM = npm
		_, err := f.Runtime(context.Background(), bad)
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrChecksum) {
			t.Fatalf("got %v, want ErrUnavailable and ErrChecksum", err)
		}
		if !strings.Contains(err.Error(), "npm pack "+r.Package) {
			t.Errorf("error %q should name the npm source", err)
		}
		if entries, _ := os.ReadDir(cache); len(entries) != 0 {
			t.Errorf("cache not empty after a failed extraction: %v", entries)
		}
	})
	t.Run("missing member", func(t *testing.T) {
		other := r
		other.Member = "package/bin/napi-v6/linux/arm64/libonnxruntime.so.1"
		f := quietFetcher(t.TempDir(), "")
		f.NPM = npm
		_, err := f.Runtime(context.Background(), other)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no member") {
			t.Fatalf("got %v, want ErrUnavailable naming the missing member", err)
		}
	})
	t.Run("no npm", func(t *testing.T) {
		f := quietFetcher(t.TempDir(), "")
		f.NPM = "livenessd-no-such-npm"
		_, err := f.Runtime(context.Background(), r)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "apt-get install -y npm") {
			t.Fatalf("got %v, want advice to install npm", err)
		}
	})
}

func TestModelFromNPMPack(t *testing.T) {
	content := []byte("pretend this is fr_liveness.onnx")
	m := Model{
		Role: RolePADFaceplugin, File: "fr_liveness_faceplugin.onnx", SHA256: sha(content), Size: int64(len(content)),
		NPMFile: NPMFile{Package: "faceplugin-face-recognition-js@0.0.1", Member: "package/model/fr_liveness.onnx"},
	}
	f := quietFetcher(t.TempDir(), t.TempDir())
	f.NPM = fakeNPM(t, m.Member, content)
	path, err := f.Model(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, content)

	other := m
	other.Member = "package/model/fr_eye.onnx"
	f = quietFetcher(t.TempDir(), t.TempDir())
	f.NPM = fakeNPM(t, m.Member, content)
	if _, err := f.Model(context.Background(), other); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "npm pack "+m.Package) {
		t.Fatalf("missing member: got %v, want ErrUnavailable naming the npm source", err)
	}
}

func TestAllFromMirror(t *testing.T) {
	mirror := requireMirror(t)
	man, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("runtime stand-in")
	man.Runtime.SHA256, man.Runtime.Size = sha(content), int64(len(content))
	for i := range man.Models {
		man.Models[i].URL = unreachableURL()
	}
	f := quietFetcher(t.TempDir(), mirror)
	f.NPM = fakeNPM(t, man.Runtime.Member, content)
	p, err := f.All(context.Background(), man)
	if err != nil {
		t.Fatal(err)
	}
	if p.Runtime == "" || len(p.Models) != len(allRoles) {
		t.Fatalf("paths = %+v", p)
	}
	for role, path := range p.Models {
		m, _ := man.Model(role)
		if filepath.Base(path) != m.File {
			t.Errorf("%s: path %s", role, path)
		}
	}
}

func TestNewFetcherEnv(t *testing.T) {
	t.Setenv("LIVENESS_MODEL_CACHE", "/tmp/c")
	t.Setenv("LIVENESS_MODEL_MIRROR", "/tmp/m")
	f := NewFetcher()
	if f.CacheDir != "/tmp/c" || f.MirrorDir != "/tmp/m" || f.NPM != "npm" || f.Client == nil {
		t.Fatalf("NewFetcher() = %+v", f)
	}
}
