#!/usr/bin/env bash
# Writes the offline GPU bundle: one folder to copy to a GPU node that has a driver but no
# internet and no Node. It holds
#   node.xz       this machine's Node binary (xz);
#   app.tar.xz    gaf-lab (dist/, the bench-models script) with the runtime packages it needs
#                 (tfjs, tfjs-backend-webgpu, tfjs-backend-wasm, Dawn from the webgpu package
#                 for this platform), node_modules pruned to what those commands load;
#   lib/          a Vulkan loader (libvulkan.so.1), used only when the node has none;
#   run           the entry point: ./run doctor | train CONFIG | resume DIR | sweep --join DIR | bench [options]
#   README.txt    what it needs and how to use it.
# `run` unpacks node and the app on first use (into .unpacked/ beside it, or $GAF_BUNDLE_CACHE).
#
#   npm run bundle:gpu                     # -> gpu-bundle/gaf-lab-gpu-<platform>-<arch>/
#   bash scripts/bundle-gpu.sh [--out DIR] [--help]
#
# Needs: node_modules installed, tar and xz. Builds dist/ (npm run build) first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

out="gpu-bundle"
while (($#)); do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bundle:gpu: unknown argument $1 (known: --out DIR, --help)" >&2; exit 2 ;;
  esac
done
command -v xz >/dev/null || { echo "bundle:gpu: xz is needed (apt-get install xz-utils)" >&2; exit 1; }

platform="$(node -p 'process.platform + "-" + (process.platform === "darwin" ? "universal" : process.arch)')"
name="gaf-lab-gpu-$(node -p 'process.platform + "-" + process.arch')"
dest="$out/$name"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
app="$stage/app"
mkdir -p "$app/node_modules" "$app/build" "$app/scripts"

say() { printf '[bundle:gpu] %s\n' "$*"; }

say "building dist/"
npm run --silent build
# The bench-models script and the modules it imports, compiled on their own (the test build
# would compile every test).
cat >"$stage/tsconfig.json" <<EOF
{
  "extends": "$ROOT/tsconfig.json",
  "compilerOptions": { "rootDir": "$ROOT", "outDir": "$app/build", "declaration": false, "sourceMap": false, "typeRoots": ["$ROOT/node_modules/@types"] },
  "include": [],
  "files": ["$ROOT/scripts/bench-models.ts"]
}
EOF
node node_modules/typescript/bin/tsc -p "$stage/tsconfig.json"

say "copying gaf-lab"
cp package.json "$app/"
mkdir -p "$app/dist"
(cd dist && find . -name '*.js' -print0 | tar --null -T - -cf -) | tar -C "$app/dist" -xf -
cp scripts/bench_models_torch.py "$app/scripts/"
cp -r configs "$app/configs"

# Packages the bundle's commands load, and what of each: the file package.json names as main
# (tfjs ships one self-contained bundle per target; Node loads the .node.js one), or all of
# its JavaScript. Found by tracing doctor, train (wasm and webgpu), resume, sweep --join and bench.
MAIN_ONLY=(
  @tensorflow/tfjs @tensorflow/tfjs-core @tensorflow/tfjs-layers @tensorflow/tfjs-converter @tensorflow/tfjs-data
  @tensorflow/tfjs-backend-cpu @tensorflow/tfjs-backend-webgl @tensorflow/tfjs-backend-webgpu @tensorflow/tfjs-backend-wasm
)
WHOLE=(long seedrandom yaml zod)
copy_file() { mkdir -p "$(dirname "$app/node_modules/$1")" && cp "node_modules/$1" "$app/node_modules/$1"; }
for pkg in "${MAIN_ONLY[@]}"; do
  copy_file "$pkg/package.json"
  copy_file "$pkg/$(node -p "require('./node_modules/$pkg/package.json').main")"
done
# The wasm backend reads its .wasm files and worker scripts at run time.
mkdir -p "$app/node_modules/@tensorflow/tfjs-backend-wasm/wasm-out"
cp node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/*.js node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/*.wasm \
  "$app/node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/"
for pkg in "${WHOLE[@]}"; do
  mkdir -p "$app/node_modules/$pkg"
  (cd "node_modules/$pkg" && find . \( -name '*.js' -o -name '*.cjs' -o -name '*.mjs' -o -name '*.json' \) -not -path './node_modules/*' -print0 |
    tar --null -T - -cf -) | tar -C "$app/node_modules/$pkg" -xf -
done
# Dawn for this platform only (the package carries every platform's, about 130 MB).
copy_file webgpu/package.json
copy_file webgpu/index.js
mkdir -p "$app/node_modules/webgpu/dist"
cp -r "node_modules/webgpu/dist/$platform" "$app/node_modules/webgpu/dist/"

say "compressing (xz -9: about a minute)"
rm -rf "$dest"
mkdir -p "$dest/lib"
xz -9 -T0 -c "$(command -v node)" >"$dest/node.xz"
tar -C "$stage" -cf - app | xz -9 -T0 >"$dest/app.tar.xz"
loader="$( (ldconfig -p 2>/dev/null || true) | awk '/libvulkan\.so\.1 .*x86-64|libvulkan\.so\.1 / { print $NF; exit }')"
if [[ -n "$loader" && -e "$loader" ]]; then
  cp -L "$loader" "$dest/lib/libvulkan.so.1"
else
  say "no libvulkan.so.1 on this machine: the bundle will rely on the GPU node's (apt-get install libvulkan1 here to include one)"
fi
cat "$dest/node.xz" "$dest/app.tar.xz" | sha256sum | cut -c1-16 >"$dest/STAMP"
cp scripts/bundle-gpu-run.sh "$dest/run"
chmod +x "$dest/run"
cat >"$dest/README.txt" <<EOF
gaf-lab $(node -p "require('./package.json').version") offline GPU bundle for $(node -p 'process.platform + "-" + process.arch'), Node $(node -v), built $(date -u +%Y-%m-%d).

Copy this folder to the GPU node and run, with nothing else installed but tar and xz:
  ./run doctor                       what the node has: the WebGPU adapter, Vulkan, backends
  ./run train CONFIG [--out DIR]     train an experiment config (docs/run-format.md)
  ./run resume RUN_DIR               continue an interrupted run
  ./run sweep --join SWEEP_DIR       one more worker for a sweep folder (e.g. a Slurm task)
  ./run bench [options]              bench-models: step times (--help lists the options)
The backend is chosen as everywhere: WebGPU on a hardware GPU adapter, else wasm. GAF_BACKEND=webgpu
forces WebGPU (also on a software adapter such as llvmpipe: correct, but slower than wasm).
The first run unpacks node and the app into .unpacked/ beside run (or \$GAF_BUNDLE_CACHE).
Datasets: as in gaf-lab (GAF_DATA_DIR, or the dataset folder a config names).
Linux: the GPU driver must provide a Vulkan driver (ICD); lib/libvulkan.so.1 is used when the
node has no Vulkan loader. Dawn needs glibc 2.34 and libstdc++ (GLIBCXX_3.4.30) or newer.
EOF
say "wrote $dest:"
du -sh "$dest"/* | sed 's/^/  /'
say "total $(du -sh "$dest" | cut -f1)"
