#!/usr/bin/env bash
# Finds the largest number of concurrent WebSocket sessions this machine
# serves with every session completing, p95 frame-to-feedback latency
# <= MAX_P95, and at least 95% of SAMPLE_FPS frames judged per second of
# session (an overloaded server judges fewer frames rather than queueing
# them). Run by `make bench`.
#
#   scripts/bench-sessions.sh [bin dir]      (default: bin)
set -euo pipefail

BIN=${1:-bin}
CLIP=${CLIP:-../shared/testdata/video/live_selfie_headpose_480x640_15fps.mjpeg}
MAX_P95=${MAX_P95:-250ms}
SAMPLE_FPS=${SAMPLE_FPS:-5}
MAX_SESSIONS=${MAX_SESSIONS:-12}

[ -f "$CLIP" ] || { echo "bench-sessions: $CLIP is absent" >&2; exit 1; }
. "$(dirname "$0")/serve.sh"
start_livenessd "$BIN"

# The selfie clip asks for every pose; spoof detection is off because
# MiniFASNet rejects this particular clip (README "Accuracy").
best=0
for n in $(seq 1 "$MAX_SESSIONS"); do
  echo "== $n concurrent sessions, $SAMPLE_FPS judged frames/s each"
  if "$BIN/testclient" load --server "$url" --token "$TOKEN" --sessions "$n" --source "$CLIP" --fps 15 --loop \
      --params front,left,right,down,up --spoof=false --step-timeout 30s --sample-fps "$SAMPLE_FPS" \
      --max-p95 "$MAX_P95" --min-judged-fps "$(awk -v f="$SAMPLE_FPS" 'BEGIN { print f * 0.95 }')"; then
    best=$n
  else
    break
  fi
done
echo "largest N with every session complete, p95 feedback latency <= $MAX_P95 and >= 95% of $SAMPLE_FPS frames/s judged: $best"
