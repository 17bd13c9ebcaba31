// Package evaluate owns measuring the verdict on labelled captures: reading
// labels.json files (the formats of ../shared/testdata), sampling clips,
// scoring every item through the real pipeline and the one judge, and the
// error rates a buyer asks for (BPCER, APCER per attack type, a DET table,
// the equal-error point). `livenessd eval` and the accuracy tests print
// through it, so the README's numbers come from one piece of code.
package evaluate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Source is one labelled photo or clip.
type Source struct {
	Path   string // on disk
	Name   string // its path from the folder above the labels' root, e.g. "camera/video/x.mjpeg"
	Clip   bool   // a .mjpeg clip: its frames are sampled
	Real   bool   // a live person; false: a presentation attack
	Attack string // the attack type ("print", "replay", "mask", ...); "" for live items
	Kind   string // the labels file's category or kind, for per-group tables
}

// labelsFile is the union of the three shapes found in ../shared/testdata:
// faces/labels.json ("images": name -> entry with "category"), camera/
// labels.json ("files": name -> entry with "kind") and video/labels.json
// ("videos": a list whose entries name their file under outputs.mjpeg).
// Root, when set, is the folder the names are relative to (absolute, or
// relative to the labels file); default: the labels file's own folder, or the one above it
// when the name is not found there (video/labels.json says "video/...").
type labelsFile struct {
	Root   string           `json:"root"`
	Images map[string]entry `json:"images"`
	Files  map[string]entry `json:"files"`
	Videos []struct {
		Name    string `json:"name"`
		Outputs struct {
			MJPEG struct {
				File string `json:"file"`
			} `json:"mjpeg"`
		} `json:"outputs"`
		Labels labels `json:"labels"`
	} `json:"videos"`
}

type entry struct {
	Category string `json:"category"`
	Kind     string `json:"kind"`
	Labels   labels `json:"labels"`
}

type labels struct {
	Real       *bool  `json:"real"`
	AttackType string `json:"attack_type"`
}

// ErrNoItems means a labels file held no item with a real/attack label.
var ErrNoItems = errors.New("no item labelled real: true or false")

// Load reads the labelled items of path: a labels file, or a folder holding
// labels.json. Only items whose labels say "real" (true or false) are
// returned; head-pose or eye photos without it are not liveness evidence.
func Load(path string) ([]Source, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "labels.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lf labelsFile
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	root := lf.Root
	if !filepath.IsAbs(root) {
		root = filepath.Join(filepath.Dir(path), root)
	}
	var out []Source
	add := func(name, kind string, l labels) {
		if l.Real == nil {
			return
		}
		file := filepath.Join(root, name)
		if _, err := os.Stat(file); err != nil {
			// video/labels.json names its clips from the folder above it.
			file = filepath.Join(filepath.Dir(root), name)
		}
		// Named from the folder above the labels' root ("faces/spoof/x.jpg",
		// "camera/photos/..."), so that items of several sets stay distinct.
		display, err := filepath.Rel(filepath.Dir(root), file)
		if err != nil {
			display = name
		}
		s := Source{Path: file, Name: filepath.ToSlash(display), Real: *l.Real, Kind: kind,
			Clip: strings.EqualFold(filepath.Ext(name), ".mjpeg")}
		if !s.Real {
			// "print (paper photo)" and "replay (tablet screen)" group with the rest.
			s.Attack = strings.Fields(l.AttackType + " unknown")[0]
		}
		out = append(out, s)
	}
	for name, e := range lf.Images {
		add(name, e.Category, e.Labels)
	}
	for name, e := range lf.Files {
		add(name, e.Kind, e.Labels)
	}
	for _, v := range lf.Videos {
		add(v.Outputs.MJPEG.File, "video", v.Labels)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrNoItems)
	}
	// Maps come back in random order; reports and --json lines must not.
	slices.SortFunc(out, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
