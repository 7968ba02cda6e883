#!/bin/sh
# bundle-gpu-run.sh: the `run` entry point of the offline GPU bundle (scripts/bundle-gpu.sh
# copies it there as `run`).
#   ./run doctor | train CONFIG | resume RUN_DIR | sweep --join SWEEP_DIR | bench [options] | any gaf-lab command
# Unpacks node and the app on first use (and after the bundle changed) into .unpacked/ beside
# this script, or $GAF_BUNDLE_CACHE; needs only sh, tar and xz.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
if [ ! -f "$here/STAMP" ]; then
  echo "bundle-gpu-run.sh: not inside a bundle (no STAMP beside it), so nothing runs '$*'; build one with npm run bundle:gpu" >&2
  exit 2
fi
cache=${GAF_BUNDLE_CACHE:-$here/.unpacked}
stamp=$(cat "$here/STAMP")

if [ ! -f "$cache/STAMP" ] || [ "$(cat "$cache/STAMP")" != "$stamp" ]; then
  command -v xz >/dev/null 2>&1 || { echo "run: xz is needed to unpack the bundle (install xz-utils)" >&2; exit 1; }
  tmp="$cache.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  xz -dc "$here/node.xz" >"$tmp/node"
  chmod +x "$tmp/node"
  xz -dc "$here/app.tar.xz" | tar -x -C "$tmp"
  echo "$stamp" >"$tmp/STAMP"
  # Another process may have unpacked it meanwhile (sweep workers starting together): keep one.
  if [ -f "$cache/STAMP" ] && [ "$(cat "$cache/STAMP")" = "$stamp" ]; then
    rm -rf "$tmp"
  else
    rm -rf "$cache"
    mv "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
  fi
fi

# The bundled Vulkan loader only where the system has none (the driver's own loader comes first).
if [ "$(uname -s)" = Linux ] && ! (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) | grep -q 'libvulkan\.so\.1 '; then
  LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
fi

if [ "${1:-}" = bench ]; then
  shift
  exec "$cache/node" "$cache/app/build/scripts/bench-models.js" "$@"
fi
exec "$cache/node" "$cache/app/dist/cli/main.js" "$@"
