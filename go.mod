module github.com/livenessd/livenessd

go 1.26.0

require (
	github.com/disintegration/imaging v1.6.2
	github.com/yalue/onnxruntime_go v1.27.0
	go.uber.org/goleak v1.3.0
)

require golang.org/x/image v0.48.0 // indirect
