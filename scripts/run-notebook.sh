#!/usr/bin/env bash
# Execute one tslab notebook headless, the way CI does.
#
#   bash scripts/run-notebook.sh NOTEBOOK.ipynb [OUT.ipynb]
#   bash scripts/run-notebook.sh --inplace NOTEBOOK.ipynb
#
# Without OUT the executed copy goes to build/notebooks/<name>.ipynb (git-ignored), so running
# a notebook never dirties the working tree; --inplace writes the outputs into the notebook.
# Exits non-zero when a cell fails (nbconvert stops at the first failing cell).
#
# Environment:
#   NOTEBOOK_CELL_TIMEOUT     seconds one cell may run (default 120)
#   NOTEBOOK_STARTUP_TIMEOUT  seconds the kernel may take to start (default 60)
#   JUPYTER_PYTHON            the Python that has nbconvert (default Debian's /usr/bin/python3)
#
# The package must be built first (`npm run build`): notebooks import it from dist/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JUPYTER_PYTHON="${JUPYTER_PYTHON:-/usr/bin/python3}"
CELL_TIMEOUT="${NOTEBOOK_CELL_TIMEOUT:-120}"
STARTUP_TIMEOUT="${NOTEBOOK_STARTUP_TIMEOUT:-60}"
KERNELS="$ROOT/.jupyter-kernels/share/jupyter"

die() { printf '[run-notebook] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: scripts/run-notebook.sh NOTEBOOK.ipynb [OUT.ipynb] | --inplace NOTEBOOK.ipynb"; }

inplace=0
if [[ "${1:-}" == "--inplace" ]]; then inplace=1; shift; fi
(($# >= 1 && $# <= 2)) || usage
((inplace == 0 || $# == 1)) || usage
nb="$1"
[[ -f "$nb" ]] || die "notebook not found: $nb"
nb="$(cd "$(dirname "$nb")" && pwd)/$(basename "$nb")"

# Fail with the fix, not with a Python trace, when set-up was not done or is stale.
"$JUPYTER_PYTHON" -c 'import nbconvert, nbclient' 2>/dev/null ||
  die "$JUPYTER_PYTHON has no nbconvert/nbclient: run 'bash scripts/setup-jupyter.sh'"
spec="$KERNELS/kernels/tslab/kernel.json"
[[ -f "$spec" ]] || die "no tslab kernel in $KERNELS: run 'bash scripts/setup-jupyter.sh'"
"$JUPYTER_PYTHON" - "$spec" <<'EOF' || die "the tslab kernel spec points at a missing file (checkout moved?): run 'bash scripts/setup-jupyter.sh'"
import json, os, sys
argv = json.load(open(sys.argv[1]))["argv"]
sys.exit(0 if all(os.path.exists(p) for p in argv[:2]) else 1)
EOF
[[ -f "$ROOT/dist/index.js" ]] || die "dist/index.js not found: run 'npm run build' first"

if ((inplace)); then
  out_args=(--inplace)
  out="$nb"
else
  out="${2:-$ROOT/build/notebooks/$(basename "$nb")}"
  mkdir -p "$(dirname "$out")"
  out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
  out_args=(--output-dir "$(dirname "$out")" --output "$(basename "$out" .ipynb)")
fi

# Project-local kernels and runtime files only; Python debugger chatter off.
export JUPYTER_PATH="$KERNELS"
export JUPYTER_RUNTIME_DIR="$ROOT/build/jupyter-runtime"
export PYDEVD_DISABLE_FILE_VALIDATION=1
mkdir -p "$JUPYTER_RUNTIME_DIR"

# The kernel's working directory is the notebook's folder (nbconvert's default), which is what
# relative paths inside notebooks assume.
"$JUPYTER_PYTHON" -m nbconvert --to notebook --execute \
  --ExecutePreprocessor.kernel_name=tslab \
  --ExecutePreprocessor.timeout="$CELL_TIMEOUT" \
  --ExecutePreprocessor.startup_timeout="$STARTUP_TIMEOUT" \
  "${out_args[@]}" "$nb"
printf '[run-notebook] executed %s -> %s\n' "$nb" "$out"
