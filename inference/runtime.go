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
}

func loadModel(path string, spec models.Model, opts *ort.SessionOptions) (*model, error) {
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

func (m *model) in() []float32       { return m.input.GetData() }
func (m *model) out(i int) []float32 { return m.outputs[i].GetData() }
func (m *model) run() error          { return m.session.Run() }

// inputSize is the (width, height) the model takes.
func (m *model) inputSize() (int, int) { return m.spec.Input.Width, m.spec.Input.Height }

func (m *model) norm() normalization {
	return normalization{bgr: m.spec.Input.Channels == "BGR", mean: m.spec.Input.Mean, std: m.spec.Input.Std}
}

func (m *model) destroy() {
	var errs []error
	if m.session != nil {
		errs = append(errs, m.session.Destroy())
	}
	if m.input != nil {
		errs = append(errs, m.input.Destroy())
	}
	for _, t := range m.outputs {
		errs = append(errs, t.Destroy())
	}
	if err := errors.Join(errs...); err != nil {
		slog.Warn("inference: releasing model", "file", m.spec.File, "err", err)
	}
}
