package inference

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/livenessd/livenessd/models"
)

// Device selects the ONNX Runtime execution provider.
type Device string

const (
	DeviceAuto Device = "auto" // CUDA when the runtime and a GPU allow it, else CPU
	DeviceCPU  Device = "cpu"
	DeviceCUDA Device = "cuda"
)

// ONNX Runtime keeps one environment per process; it is created on first use
// and lives until the process exits, so engines can come and go (tests, the
// benchmark's pool sizes) without tearing down what other engines share.
var (
	envMu   sync.Mutex
	envLib  string
	envErr  error
	envDone bool
)

func initRuntime(libPath string) error {
	envMu.Lock()
	defer envMu.Unlock()
	if envDone {
		if libPath != envLib {
			return fmt.Errorf("onnxruntime already loaded from %s, cannot switch to %s", envLib, libPath)
		}
		return envErr
	}
	ort.SetSharedLibraryPath(libPath)
	envErr = ort.InitializeEnvironment(ort.WithLogLevelFatal())
	if envErr != nil {
		envErr = fmt.Errorf("load onnxruntime from %s: %w", libPath, envErr)
	}
	envLib, envDone = libPath, true
	return envErr
}

// RuntimeVersion reports the loaded ONNX Runtime version ("" before load).
func RuntimeVersion() string {
	envMu.Lock()
	defer envMu.Unlock()
	if !envDone || envErr != nil {
		return ""
	}
	return ort.GetVersion()
}

// sessionOptions builds per-session options for the device. For DeviceAuto
// it tries CUDA and reports why it fell back, so the caller can log it once.
func sessionOptions(dev Device, threads int) (opts *ort.SessionOptions, used Device, fallback error, err error) {
	opts, err = ort.NewSessionOptions()
	if err != nil {
		return nil, "", nil, err
	}
	if err = opts.SetIntraOpNumThreads(threads); err == nil {
		err = opts.SetInterOpNumThreads(1)
	}
	if err != nil {
		opts.Destroy()
		return nil, "", nil, err
	}
	if dev == DeviceCPU {
		return opts, DeviceCPU, nil, nil
	}
	cudaErr := appendCUDA(opts)
	switch {
	case cudaErr == nil:
		return opts, DeviceCUDA, nil, nil
	case dev == DeviceCUDA:
		opts.Destroy()
		return nil, "", nil, fmt.Errorf("device cuda: %w", cudaErr)
	default:
		return opts, DeviceCPU, cudaErr, nil
	}
}

func appendCUDA(opts *ort.SessionOptions) error {
	cuda, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer cuda.Destroy()
	return opts.AppendExecutionProviderCUDA(cuda)
}

// model is one ONNX session with its input and output tensors allocated once;
// callers fill in() and read out(i) around run(). Not safe for concurrent use:
// each pool worker owns its own set.
type model struct {
	spec    models.Model
	session *ort.AdvancedSession
	input   *ort.Tensor[float32]
	outputs []*ort.Tensor[float32]
	// A dynamic model (spec.Input.Dynamic) runs through dyn instead, with
	// input and output tensors kept per input size (see resize).
	dyn   *ort.DynamicAdvancedSession
	sized map[[2]int]tensors
}

// tensors are a dynamic model's input and outputs for one input size.
type tensors struct {
	input   *ort.Tensor[float32]
	outputs []*ort.Tensor[float32]
}

func (t tensors) destroy() error {
	errs := []error{t.input.Destroy()}
	for _, o := range t.outputs {
		errs = append(errs, o.Destroy())
	}
	return errors.Join(errs...)
}

func loadModel(path string, spec models.Model, opts *ort.SessionOptions) (*model, error) {
	if spec.Input.Dynamic {
		dyn, err := ort.NewDynamicAdvancedSession(path, []string{spec.Input.Name}, spec.Outputs, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.File, err)
		}
		return &model{spec: spec, dyn: dyn, sized: map[[2]int]tensors{}}, nil
	}
	ins, outs, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.File, err)
	}
	m := &model{spec: spec}
	inShape, err := findShape(ins, spec.Input.Name)
	if err == nil {
		m.input, err = ort.NewEmptyTensor[float32](inShape)
	}
	var outValues []ort.Value
	for _, name := range spec.Outputs {
		if err != nil {
			break
		}
		var shape ort.Shape
		if shape, err = findShape(outs, name); err != nil {
			break
		}
		var t *ort.Tensor[float32]
		if t, err = ort.NewEmptyTensor[float32](shape); err == nil {
			m.outputs = append(m.outputs, t)
			outValues = append(outValues, t)
		}
	}
	if err == nil {
		m.session, err = ort.NewAdvancedSession(path, []string{spec.Input.Name}, spec.Outputs,
			[]ort.Value{m.input}, outValues, opts)
	}
	if err != nil {
		m.destroy()
		return nil, fmt.Errorf("%s: %w", spec.File, err)
	}
	return m, nil
}

// findShape returns a named tensor's shape with dynamic (batch) dimensions set to 1.
func findShape(infos []ort.InputOutputInfo, name string) (ort.Shape, error) {
	for _, info := range infos {
		if info.Name != name {
			continue
		}
		shape := info.Dimensions.Clone()
		for i, d := range shape {
			if d < 1 {
				shape[i] = 1
			}
		}
		return shape, nil
	}
	return nil, fmt.Errorf("model has no tensor %q", name)
}

func (m *model) in() []float32 { return m.input.GetData() }

func (m *model) out(i int) []float32 { return m.outputs[i].GetData() }

func (m *model) run() error {
	if m.dyn == nil {
		return m.session.Run()
	}
	outs := make([]ort.Value, len(m.outputs))
	for i, o := range m.outputs {
		outs[i] = o
	}
	return m.dyn.Run([]ort.Value{m.input}, outs)
}

// maxInputSizes bounds the tensor sets a dynamic model keeps: camera frames
// come in a few sizes, photos in any, so beyond it they are all freed.
const maxInputSizes = 8

// resize makes in() and out(i) a dynamic model's tensors for a w x h input,
// whose outputs have the given shapes, keeping them for the next image of
// that size (so a stream of frames allocates nothing).
func (m *model) resize(w, h int, outShapes []ort.Shape) error {
	key := [2]int{w, h}
	t, ok := m.sized[key]
	if !ok {
		if len(m.sized) >= maxInputSizes {
			for k, old := range m.sized {
				old.destroy()
				delete(m.sized, k)
			}
		}
		in, err := ort.NewEmptyTensor[float32](ort.NewShape(1, 3, int64(h), int64(w)))
		if err != nil {
			return err
		}
		t = tensors{input: in}
		for _, shape := range outShapes {
			o, err := ort.NewEmptyTensor[float32](shape)
			if err != nil {
				t.destroy()
				return err
			}
			t.outputs = append(t.outputs, o)
		}
		m.sized[key] = t
	}
	m.input, m.outputs = t.input, t.outputs
	return nil
}

func (m *model) inputSize() (int, int) { return m.spec.Input.Width, m.spec.Input.Height }

func (m *model) norm() normalization {
	return normalization{bgr: m.spec.Input.Channels == "BGR", mean: m.spec.Input.Mean, std: m.spec.Input.Std}
}

func (m *model) destroy() {
	var errs []error
	if m.session != nil {
		errs = append(errs, m.session.Destroy())
	}
	if m.dyn != nil {
		for _, t := range m.sized {
			errs = append(errs, t.destroy())
		}
		errs = append(errs, m.dyn.Destroy())
	} else {
		if m.input != nil {
			errs = append(errs, m.input.Destroy())
		}
		for _, t := range m.outputs {
			errs = append(errs, t.Destroy())
		}
	}
	if err := errors.Join(errs...); err != nil {
		slog.Warn("inference: releasing model", "file", m.spec.File, "err", err)
	}
}
