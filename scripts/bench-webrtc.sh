#!/usr/bin/env bash
# Per WebRTC stream: the server's CPU while one browser-like client (testclient
# webrtc: VP8 at 30 fps over loopback) streams at 640x480 and at 1280x720, and
# the step latency (the accepted frame sent -> its step message). Run by
# `make bench`; VP8 decode time per frame is BenchmarkDecode in internal/vpx.
#
#   scripts/bench-webrtc.sh [bin dir]      (default: bin)
set -euo pipefail

BIN=${1:-bin}
VIDEO=${VIDEO:-../shared/testdata/video}
WINDOW=${WINDOW:-12}   # seconds of CPU measured per stream
TICK=$(getconf CLK_TCK)

. "$(dirname "$0")/serve.sh"
start_livenessd "$BIN" --webrtc-allow-loopback

# cpu_ticks is the server's user+system CPU so far, in clock ticks.
cpu_ticks() { local f; read -r -a f <"/proc/$pid/stat"; echo $((f[13] + f[14])); }

# One stream that lasts: "left" never matches on the frontal mouth clip, so
# the step runs its whole timeout while frames are decoded and sampled.
for size in 640x480 1280x720; do
  for sample in 5 1; do
    "$BIN/testclient" webrtc --server "$url" --token "$TOKEN" --source "$VIDEO/live_mouth_open_640x480_15fps.mjpeg" \
      --size "$size" --fps 30 --loop --params left --step-timeout "$((WINDOW + 8))s" --sample-fps "$sample" \
      --bitrate $([ "$size" = 640x480 ] && echo 1500 || echo 2500) >/dev/null 2>&1 &
    client=$!
    sleep 4 # connected, and the encoder's rate settled
    t0=$(cpu_ticks)
    sleep "$WINDOW"
    t1=$(cpu_ticks)
    kill -INT "$client" 2>/dev/null || true
    wait "$client" 2>/dev/null || true
    echo "webrtc $size 30 fps, sample_fps $sample: server CPU $(awk -v d=$((t1 - t0)) -v t="$TICK" -v w="$WINDOW" \
      'BEGIN { printf "%.1f%% of one core", 100 * d / t / w }')"
  done
done

# Step latency over five poses, WebRTC and WebSocket (spoof detection off: the
# anti-spoofing model rejects this clip, README "Accuracy").
for transport in webrtc ws; do
  echo "== step latency, $transport, 3 sessions in turn, head-pose clip at 30 fps"
  for _ in 1 2 3; do
    "$BIN/testclient" load --transport "$transport" --server "$url" --token "$TOKEN" --sessions 1 \
      --source "$VIDEO/live_selfie_headpose_480x640_15fps.mjpeg" --fps 30 --loop \
      --params front,left,right,down,up --spoof=false --step-timeout 30s | grep -E "latency|completed"
  done
done
