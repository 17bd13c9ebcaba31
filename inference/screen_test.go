package inference_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/livenessd/livenessd/inference"
	"github.com/livenessd/livenessd/internal/testkit"
)

// TestDeviceCheck: with device_check on, the phone/screen detector names the
// device around the face on replay photos whose device edge is in view, and
// sees none around any live phone selfie. (livenessd eval measures it on all
// of ../shared/testdata: README "Device around the face".)
func TestDeviceCheck(t *testing.T) {
	man, paths := testkit.Models(t)
	cfg := inference.DefaultConfig()
	cfg.Device, cfg.Workers, cfg.QueueSize, cfg.DeviceCheck = inference.DeviceCPU, 1, 4, true
	eng, err := inference.New(cfg, man, paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	analyze := func(dir, name string) *inference.Face {
		t.Helper()
		fa, err := eng.Analyze(context.Background(), decodeFile(t, filepath.Join(testkit.Shared(t, dir), name)))
		if err != nil || fa.Face == nil {
			t.Fatalf("%s: %v, no face", name, err)
		}
		return fa.Face
	}
	for _, name := range []string{"miniai_old1_tablet_replay.jpg", "miniai_fake_monitor.jpg", "miniai_spoof_monitor.png"} {
		f := analyze("testdata/camera/photos/spoof", name)
		if f.Screen == nil {
			t.Errorf("%s: no device seen around the face", name)
			continue
		}
		t.Logf("%-32s %-10s score %.2f, covers %.0f%% of the face", name, f.Screen.Class, f.Screen.Score, 100*f.Screen.Cover)
	}
	live, err := os.ReadDir(testkit.Shared(t, "testdata/camera/photos/live"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range live {
		if f := analyze("testdata/camera/photos/live", e.Name()); f.Screen != nil {
			t.Errorf("live %s: a %s seen around the face (score %.2f)", e.Name(), f.Screen.Class, f.Screen.Score)
		}
	}
}
