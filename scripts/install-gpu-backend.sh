#!/usr/bin/env bash
# Adds native TensorFlow to node_modules without touching package.json or the lock, so the
# default install never depends on it.
#
#   npm run gpu:install            # @tensorflow/tfjs-node-gpu (Linux x86-64, CUDA 11.2, cuDNN 8.1)
#   npm run gpu:install -- --cpu   # @tensorflow/tfjs-node (native CPU, no CUDA needed)
#   bash scripts/install-gpu-backend.sh [--cpu] [--help]
#
# Re-run after every `npm ci`, which resets node_modules. See environment.md.
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=@tensorflow/tfjs-node-gpu
for arg in "$@"; do
  case "$arg" in
    --cpu) pkg=@tensorflow/tfjs-node ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "gpu:install: unknown argument $arg (known: --cpu, --help)" >&2; exit 2 ;;
  esac
done
version=4.22.0

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" && "$pkg" == "@tensorflow/tfjs-node-gpu" ]]; then
  echo "gpu:install: $pkg has GPU builds for Linux x86-64 only; this is $(uname -s)-$(uname -m)." >&2
  echo "Use 'npm run gpu:install -- --cpu' for native CPU TensorFlow, or keep the wasm backend." >&2
  exit 1
fi
if [[ "$pkg" == "@tensorflow/tfjs-node-gpu" ]] && ! command -v nvidia-smi >/dev/null; then
  echo "gpu:install: warning: nvidia-smi not found; without an NVIDIA driver, CUDA 11.2 and cuDNN 8.1" >&2
  echo "TensorFlow will fail to load or fall back to the CPU." >&2
fi

echo "gpu:install: installing $pkg@$version (its install script downloads libtensorflow 2.9.1 from storage.googleapis.com)"
# npm 11 blocks dependency install scripts unless package.json's allowScripts approves them:
# it approves exactly these two packages at 4.22.0 (the --allow-scripts flag is refused in
# project installs). --no-save keeps package.json and the lock unchanged.
if ! npm install --no-save "$pkg@$version"; then
  echo "gpu:install: npm could not install $pkg. Check access to registry.npmjs.org and storage.googleapis.com." >&2
  exit 1
fi
if [[ ! -e "node_modules/$pkg/lib" ]] && ! ls "node_modules/$pkg"/lib* >/dev/null 2>&1; then
  echo "gpu:install: $pkg is installed but its native library was not downloaded (its install script did not run" >&2
  echo "or could not reach storage.googleapis.com). Retry: (cd node_modules/$pkg && node scripts/install.js $([[ $pkg == *gpu ]] && echo gpu) download)" >&2
  exit 1
fi
npm run --silent build
node -e "require('./dist/index.js').initBackend('tensorflow').then(r => { console.log(require('./dist/index.js').formatBackendReport(r)); }).catch(e => { console.error(e.message); process.exit(1); })"
