#!/usr/bin/env bash
# Execute one tslab notebook headless, the way CI does.
#
#   bash scripts/run-notebook.sh [--strip] NOTEBOOK.ipynb [OUT.ipynb]
#   bash scripts/run-notebook.sh --inplace NOTEBOOK.ipynb
#
# Without OUT the executed copy goes to build/notebooks/<name>.ipynb (git-ignored), so running
# a notebook never dirties the working tree; --inplace writes the outputs into the notebook, to
# be committed, and then removes the volatile metadata (per-cell execution timestamps, ...) with
# scripts/strip-notebook.py so a re-run diffs only where outputs changed. --strip does the same
# for an OUT copy. The default copy keeps the timestamps: test/notebooks.test.ts reads them to
# know that every cell ran.
# Exits non-zero when a cell fails: execution stops there, the failing cell's source and output
# (where tslab puts the real error message) are printed, and the partly executed copy is written.
#
# Environment:
#   NOTEBOOK_CELL_TIMEOUT     seconds one cell may run (default 120)
#   NOTEBOOK_STARTUP_TIMEOUT  seconds the kernel may take to start (default 60; a kernel that
#                             never answers is replaced, 3 tries in all)
#   JUPYTER_PYTHON            the Python that has nbclient (default Debian's /usr/bin/python3)
#
# The package must be built first (`npm run build`): notebooks import it from dist/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JUPYTER_PYTHON="${JUPYTER_PYTHON:-/usr/bin/python3}"
CELL_TIMEOUT="${NOTEBOOK_CELL_TIMEOUT:-120}"
STARTUP_TIMEOUT="${NOTEBOOK_STARTUP_TIMEOUT:-60}"
KERNELS="$ROOT/.jupyter-kernels/share/jupyter"

die() { printf '[run-notebook] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { printf '[run-notebook] ERROR: %s\nusage: scripts/run-notebook.sh [--strip] NOTEBOOK.ipynb [OUT.ipynb] | --inplace NOTEBOOK.ipynb (--help: more)\n' "$1" >&2; exit 2; }

inplace=0
strip=0
while [[ "${1:-}" == -* ]]; do
  case "$1" in
    --inplace) inplace=1 strip=1 ;;
    --strip) strip=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) usage "unknown option $1 (known: --strip, --inplace, --help)" ;;
  esac
  shift
done
(($# >= 1 && $# <= 2)) || usage "give the notebook, and optionally where the executed copy goes"
((inplace == 0 || $# == 1)) || usage "--inplace writes into the notebook itself; it takes no OUT.ipynb"
nb="$1"
[[ -f "$nb" ]] || die "notebook not found: $nb"
nb="$(cd "$(dirname "$nb")" && pwd)/$(basename "$nb")"

# Fail with the fix, not with a Python trace, when set-up was not done or is stale.
"$JUPYTER_PYTHON" -c 'import nbformat, nbclient' 2>/dev/null ||
  die "$JUPYTER_PYTHON has no nbformat/nbclient: run 'bash scripts/setup-jupyter.sh'"
spec="$KERNELS/kernels/tslab/kernel.json"
[[ -f "$spec" ]] || die "no tslab kernel in $KERNELS: run 'bash scripts/setup-jupyter.sh'"
"$JUPYTER_PYTHON" - "$spec" <<'EOF' || die "the tslab kernel spec points at a missing file (checkout moved?): run 'bash scripts/setup-jupyter.sh'"
import json, os, sys
argv = json.load(open(sys.argv[1]))["argv"]
sys.exit(0 if all(os.path.exists(p) for p in argv[:2]) else 1)
EOF
[[ -f "$ROOT/dist/index.js" ]] || die "dist/index.js not found: run 'npm run build' first"
# Notebooks import the package by name; tslab's type checker needs this link (npm install
# prunes it unless package.json runs scripts/link-self.js after installs).
[[ -L "$ROOT/node_modules/gaf-lab" ]] ||
  die "node_modules/gaf-lab link missing, so notebooks cannot import 'gaf-lab': run 'bash scripts/setup-jupyter.sh' (or node scripts/link-self.js)"

if ((inplace)); then
  out="$nb"
else
  out="${2:-$ROOT/build/notebooks/$(basename "$nb")}"
  mkdir -p "$(dirname "$out")"
  out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
fi

# Project-local kernels and runtime files only; Python debugger chatter off.
export JUPYTER_PATH="$KERNELS"
export JUPYTER_RUNTIME_DIR="$ROOT/build/jupyter-runtime"
export PYDEVD_DISABLE_FILE_VALIDATION=1
mkdir -p "$JUPYTER_RUNTIME_DIR"

# scripts/execute_notebook.py is nbconvert's --execute (same nbclient) plus what tslab needs: it
# prints the failing cell's stderr (tslab's real error message) and writes the partly executed
# notebook; the kernel runs in the notebook's folder.
status=0
"$JUPYTER_PYTHON" "$ROOT/scripts/execute_notebook.py" "$nb" "$out" tslab "$CELL_TIMEOUT" "$STARTUP_TIMEOUT" || status=$?
# A failed run still wrote its partly executed notebook: strip that too, keep the failure.
if ((strip)) && [[ -f "$out" ]]; then
  "$JUPYTER_PYTHON" "$ROOT/scripts/strip-notebook.py" "$out" >/dev/null || die "could not strip volatile metadata from $out"
fi
((status == 0)) || exit "$status"
printf '[run-notebook] executed %s -> %s%s\n' "$nb" "$out" "$( ((strip)) && echo ' (volatile metadata stripped)')"
