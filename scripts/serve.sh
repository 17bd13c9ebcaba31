# Sourced by the benchmark scripts: start_livenessd BIN [serve flags...]
# starts `livenessd serve` on a loopback port with a fresh data dir and a
# random static token, and sets $url, $pid and $TOKEN; the server and its
# files are removed when the script exits.

start_livenessd() {
  local bin=$1
  shift
  TOKEN=bench-token-$RANDOM$RANDOM$RANDOM
  data=$(mktemp -d)
  out=$(mktemp)
  trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data" "$out"' EXIT
  LIVENESS_API_TOKENS="bench:$TOKEN" "$bin/livenessd" serve --addr 127.0.0.1:0 --data-dir "$data" \
    --log-level warn "$@" >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's/^livenessd listening on //p' "$out")
    [ -n "$url" ] && return 0
    sleep 0.2
  done
  echo "$(basename "$0"): the server did not start:" >&2
  cat "$out" >&2
  exit 1
}
