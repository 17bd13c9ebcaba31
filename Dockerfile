# livenessd container images. NOT TESTED: no Docker engine was available when
# this file was written; it was checked by reading only.
#
#   CPU (default target):  docker build -t livenessd .
#   CUDA:                  docker build --target cuda \
#                            --build-arg ORT_GPU_TGZ_URL=https://github.com/microsoft/onnxruntime/releases/download/vX.Y.Z/onnxruntime-linux-x64-gpu-X.Y.Z.tgz \
#                            -t livenessd:cuda .
#   Run:                   docker run --rm -p 8080:8080 -v livenessd-data:/var/lib/livenessd \
#                            -e LIVENESS_API_TOKENS=demo:<a random token of 16+ characters> livenessd
#
# The build stage fetches ONNX Runtime (npm registry) and the models (their
# canonical URLs) over the network, verifying each file's sha256. A local
# mirror such as ../shared/models is not assumed to be in the build context.

ARG CUDA_IMAGE=nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04

FROM golang:1.26-bookworm AS build
# The image already has gcc, libc6-dev and make; npm fetches ONNX Runtime;
# libvpx-dev is the VP8 decoder of the WebRTC transport (cgo).
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm libvpx-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build
# MODEL_MIRROR: a directory inside this stage holding the model files (for a
# derived build that copies them in). Empty: fetch from the canonical URLs.
ARG MODEL_MIRROR=
RUN LIVENESS_MODEL_MIRROR="$MODEL_MIRROR" bin/livenessd fetch

# GPU image. The ONNX Runtime CUDA provider must match the CUDA major version
# of the base image (pick CUDA_IMAGE to match the tgz you pass). The npm CPU
# library has no CUDA provider, so this target takes a GPU build of ONNX
# Runtime >= 1.24 (an onnxruntime-linux-x64-gpu-*.tgz) from ORT_GPU_TGZ_URL.
# That library is used as is (LIVENESS_ORT_LIB is not sha256-verified).
FROM ${CUDA_IMAGE} AS cuda
ARG ORT_GPU_TGZ_URL=
RUN test -n "$ORT_GPU_TGZ_URL" || { echo "set --build-arg ORT_GPU_TGZ_URL=<onnxruntime-linux-x64-gpu tgz URL>" >&2; exit 1; } \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && mkdir -p /opt/onnxruntime/lib \
 && curl -fsSL "$ORT_GPU_TGZ_URL" \
    | tar -xz -C /opt/onnxruntime/lib --strip-components=2 --wildcards '*/lib/libonnxruntime*.so*' \
 && test -e /opt/onnxruntime/lib/libonnxruntime.so.1 \
 && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin livenessd \
 && install -d -m 0750 -o livenessd -g livenessd /var/lib/livenessd
COPY --from=build /src/bin/livenessd /opt/livenessd/livenessd
COPY --from=build /src/models/cache/*.onnx /opt/livenessd/models/cache/
# The binary links bookworm's libvpx.so.7; Ubuntu 24.04 ships libvpx9, so the
# library comes along (it needs only libc).
COPY --from=build /usr/lib/x86_64-linux-gnu/libvpx.so.7* /opt/livenessd/lib/
ENV LIVENESS_MODEL_CACHE=/opt/livenessd/models/cache \
    LIVENESS_ORT_LIB=/opt/onnxruntime/lib/libonnxruntime.so.1 \
    LIVENESS_DEVICE=cuda \
    LD_LIBRARY_PATH=/opt/livenessd/lib \
    LIVENESS_ADDR=0.0.0.0:8080 \
    LIVENESS_DATA_DIR=/var/lib/livenessd
VOLUME /var/lib/livenessd
WORKDIR /opt/livenessd
USER livenessd
EXPOSE 8080
# WebRTC media: set LIVENESS_WEBRTC_UDP_PORT=8443 (for example), publish
# 8443/udp and set LIVENESS_WEBRTC_PUBLIC_IPS to the host's public address.
ENTRYPOINT ["/opt/livenessd/livenessd"]
CMD ["serve"]

# CPU image: the default target, so it comes last.
FROM debian:bookworm-slim AS cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libstdc++6 libvpx7 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin livenessd \
 && install -d -m 0750 -o livenessd -g livenessd /var/lib/livenessd
COPY --from=build /src/bin/livenessd /opt/livenessd/livenessd
COPY --from=build /src/models/cache /opt/livenessd/models/cache
ENV LIVENESS_MODEL_CACHE=/opt/livenessd/models/cache \
    LIVENESS_DEVICE=cpu \
    LIVENESS_ADDR=0.0.0.0:8080 \
    LIVENESS_DATA_DIR=/var/lib/livenessd
VOLUME /var/lib/livenessd
WORKDIR /opt/livenessd
USER livenessd
EXPOSE 8080
# WebRTC media: set LIVENESS_WEBRTC_UDP_PORT=8443 (for example), publish
# 8443/udp and set LIVENESS_WEBRTC_PUBLIC_IPS to the host's public address.
ENTRYPOINT ["/opt/livenessd/livenessd"]
CMD ["serve"]
