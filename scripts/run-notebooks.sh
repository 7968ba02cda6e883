#!/usr/bin/env bash
# Execute the notebook series headless, one after another, through scripts/run-notebook.sh.
#
#   bash scripts/run-notebooks.sh [--smoke] [--inplace] [NOTEBOOK...]
#   npm run notebooks            # build, then every notebook, normal settings -> build/notebooks/
#   npm run notebooks:smoke      # the same with GAF_NOTEBOOK_MODE=smoke (tiny settings, CI)
#   npm run notebooks -- --inplace   # store the outputs in notebooks/ (to commit them)
#
# Without NOTEBOOK arguments runs notebooks/[0-9][0-9]-*.ipynb in name order. Prints one line per
# notebook (ok/FAILED and wall time) and a summary table; a failing notebook does not stop the
# others, but the script exits 1 when any failed. Each notebook's full log (run-notebook.sh's
# output: the failing cell's source and output) goes to build/notebooks/logs/<name>.log, and its
# last lines are printed on failure.
#
#   --smoke    GAF_NOTEBOOK_MODE=smoke: every notebook's parameter cell (notebookParams) picks its
#              tiny settings; figures go to build/smoke/, never over the committed ones.
#   --inplace  write outputs into the notebooks themselves (volatile metadata stripped); refused
#              together with --smoke, whose numbers are not results and must not be committed.
#
# The package must be built first (`npm run build`; the npm scripts do it). Environment variables
# of scripts/run-notebook.sh (NOTEBOOK_CELL_TIMEOUT, ...) pass through.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG_DIR="$ROOT/build/notebooks/logs"

die() { printf '[run-notebooks] ERROR: %s\n' "$*" >&2; exit 2; }
now_ms() { node -p 'Date.now()'; } # portable (GNU date's %N is not on macOS)

smoke=0
inplace=0
notebooks=()
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    --inplace) inplace=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $arg (known: --smoke, --inplace, --help)" ;;
    *) notebooks+=("$arg") ;;
  esac
done
((smoke && inplace)) && die "--smoke with --inplace would store smoke outputs (tiny settings, not results) in the committed notebooks; drop one of them"

if ((${#notebooks[@]} == 0)); then
  shopt -s nullglob
  notebooks=("$ROOT"/notebooks/[0-9][0-9]-*.ipynb)
  shopt -u nullglob
  ((${#notebooks[@]} > 0)) || die "no notebooks matching notebooks/[0-9][0-9]-*.ipynb"
fi
for nb in "${notebooks[@]}"; do
  [[ -f "$nb" ]] || die "notebook not found: $nb"
done

if ((smoke)); then
  export GAF_NOTEBOOK_MODE=smoke
else
  # An exported smoke setting from an earlier shell command would silently shrink a normal run.
  [[ "${GAF_NOTEBOOK_MODE:-normal}" =~ ^(normal|)$ ]] ||
    die "GAF_NOTEBOOK_MODE=${GAF_NOTEBOOK_MODE} is set in this shell; use --smoke, or unset it for a normal run"
  export GAF_NOTEBOOK_MODE=normal
fi
mkdir -p "$LOG_DIR"

mode_args=()
((inplace)) && mode_args=(--inplace)
printf '[run-notebooks] %d notebook(s), mode %s%s\n' "${#notebooks[@]}" "$GAF_NOTEBOOK_MODE" "$( ((inplace)) && echo ', outputs written in place')"

names=() results=() times=()
failed=0
total_start=$(now_ms)
for nb in "${notebooks[@]}"; do
  name="$(basename "$nb" .ipynb)"
  log="$LOG_DIR/$name.log"
  start=$(now_ms)
  if bash "$ROOT/scripts/run-notebook.sh" "${mode_args[@]}" "$nb" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    failed=$((failed + 1))
  fi
  secs="$(awk -v ms=$(($(now_ms) - start)) 'BEGIN { printf "%.1f", ms / 1e3 }')"
  names+=("$name") results+=("$result") times+=("$secs")
  printf '[run-notebooks] %-6s %7s s  %s\n' "$result" "$secs" "$name"
  if [[ "$result" == FAILED ]]; then
    # From run-notebook.sh's own diagnosis on (the kernel's shutdown noise comes before it).
    if grep -qE '^\[run-notebook\] (FAILED|ERROR)' "$log"; then
      sed -n '/^\[run-notebook\] \(FAILED\|ERROR\)/,$p' "$log" | head -n 60
    else
      tail -n 40 "$log"
    fi | sed 's/^/    | /'
    printf '    (full log: %s)\n' "${log#"$ROOT"/}"
  fi
done
total="$(awk -v ms=$(($(now_ms) - total_start)) 'BEGIN { printf "%.1f", ms / 1e3 }')"

printf '\n%-40s %-7s %9s\n' notebook result 'wall (s)'
printf '%-40s %-7s %9s\n' "$(printf '%.0s-' {1..40})" ------- ---------
for i in "${!names[@]}"; do
  printf '%-40s %-7s %9s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
done
printf '%-40s %-7s %9s\n' "total ($GAF_NOTEBOOK_MODE mode)" "$((${#names[@]} - failed))/${#names[@]} ok" "$total"
((failed == 0)) || { printf '[run-notebooks] %d notebook(s) failed; logs in %s\n' "$failed" "${LOG_DIR#"$ROOT"/}" >&2; exit 1; }
