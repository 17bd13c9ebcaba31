#!/usr/bin/env bash
# Installs the Debian packages livenessd needs that are missing, as root or
# through passwordless sudo; otherwise prints the apt-get line and fails.
#
#   scripts/install-deps.sh build   gcc, libc headers, npm, libvpx-dev (building and running)
#   scripts/install-deps.sh test    the same plus chromium (the browser tests)
set -euo pipefail

want=(gcc libc6-dev npm libvpx-dev ca-certificates)
[ "${1:-build}" = test ] && want+=(chromium)

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
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
