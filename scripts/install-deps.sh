#!/usr/bin/env bash
# Installs the Debian packages livenessd needs whose tools or files are
# missing, as root or through passwordless sudo; otherwise prints the
# apt-get line and fails. Each need is checked by what it provides (a
# command, a header), so an npm that came with another Node.js install, for
# example, counts.
#
#   scripts/install-deps.sh build   gcc, libc headers, npm, libvpx-dev (building and running)
#   scripts/install-deps.sh test    the same plus chromium (the browser tests)
#                                   and postgresql (the PostgreSQL store tests)
set -euo pipefail

missing=()
need() { # need PACKAGE TEST...
  local pkg=$1
  shift
  "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
need gcc command -v gcc
need libc6-dev test -e /usr/include/stdio.h
need npm command -v npm
need libvpx-dev test -e /usr/include/vpx/vp8dx.h
need ca-certificates test -d /etc/ssl/certs
[ "${1:-build}" = test ] && need chromium command -v chromium
# The PostgreSQL store's tests start a throwaway server (internal/testkit/pgtest).
[ "${1:-build}" = test ] && need postgresql sh -c 'ls /usr/lib/postgresql/*/bin/initdb'
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
