package server

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"sync"

	"github.com/livenessd/livenessd/liveness"
)

// decodeImages decodes a batch's base64 images in parallel (a 12-megapixel
// JPEG takes ~100 ms of one core) and reports the first bad one by index.
func (s *Server) decodeImages(ctx context.Context, encoded []string) ([]*image.NRGBA, error) {
	imgs := make([]*image.NRGBA, len(encoded))
	errs := make([]error, len(encoded))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, b64 := range encoded {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			imgs[i], errs[i] = liveness.DecodeImage(b64, s.cfg.Limits.MaxImageBytes, s.decode)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("images[%d]: %w", i, err)
		}
	}
	return imgs, nil
}
