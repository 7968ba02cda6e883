#!/usr/bin/env bash
# Render the notebook series to static HTML (Debian's `jupyter nbconvert --to html`) in
# build/html/, with an index.html that links every notebook with its first markdown heading.
#
#   bash scripts/render-html.sh [NOTEBOOK...]                  # the committed notebooks (their stored outputs)
#   bash scripts/render-html.sh --execute [--smoke] [NOTEBOOK...]  # run them first (build/notebooks/), render those
#   npm run notebooks:html [-- --execute [--smoke]]
#
# Without NOTEBOOK arguments: notebooks/[0-9][0-9]-*.ipynb in name order. --execute runs
# `npm run build` (the pages must show the current code), then the notebooks through
# scripts/run-notebooks.sh, and stops if any fails; --smoke makes that a smoke run, and the
# index says the numbers are not results.
#
# Offline readers: figures are PNG data URIs inside each page and tables are plain HTML, so both
# need nothing else. Maths needs MathJax and the page loads require.js; nbconvert would point at
# Debian's files (file:///usr/share/javascript/...), which only exist where libjs-mathjax and
# libjs-requirejs are installed, so this script copies the parts of MathJax the pages use
# (TeX input, CommonHTML output, TeX web fonts: ~2 MB of Debian's 54 MB) and require.js into
# build/html/_static/ and points the pages there by relative URL. build/html/ is then a folder
# that can be zipped and opened anywhere, without network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JUPYTER_PYTHON="${JUPYTER_PYTHON:-/usr/bin/python3}"
OUT="$ROOT/build/html"
MATHJAX_SRC=/usr/share/javascript/mathjax
REQUIREJS_SRC=/usr/share/javascript/requirejs/require.min.js
MATHJAX_CONFIG=TeX-AMS_CHTML-full # what nbconvert's templates ask for (plus Safe)

say() { printf '[render-html] %s\n' "$*"; }
die() { printf '[render-html] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { node -p 'Date.now()'; } # portable (GNU date's %N is not on macOS)

execute=0
smoke=0
notebooks=()
for arg in "$@"; do
  case "$arg" in
    --execute) execute=1 ;;
    --smoke) smoke=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) printf '[render-html] ERROR: unknown option %s (known: --execute, --smoke, --help)\n' "$arg" >&2; exit 2 ;;
    *) notebooks+=("$arg") ;;
  esac
done
((smoke == 0 || execute)) || die "--smoke only applies with --execute (the committed notebooks carry normal-mode outputs)"

"$JUPYTER_PYTHON" -c 'import nbconvert' 2>/dev/null ||
  die "$JUPYTER_PYTHON has no nbconvert: run 'bash scripts/setup.sh' (apt package jupyter-nbconvert)"
[[ -f "$MATHJAX_SRC/MathJax.js" ]] || die "$MATHJAX_SRC/MathJax.js not found: run 'bash scripts/setup.sh' (apt package libjs-mathjax)"
[[ -f "$REQUIREJS_SRC" ]] || die "$REQUIREJS_SRC not found: run 'bash scripts/setup.sh' (apt package libjs-requirejs, pulled in by jupyter-notebook)"

if ((${#notebooks[@]} == 0)); then
  shopt -s nullglob
  notebooks=("$ROOT"/notebooks/[0-9][0-9]-*.ipynb)
  shopt -u nullglob
  ((${#notebooks[@]} > 0)) || die "no notebooks matching notebooks/[0-9][0-9]-*.ipynb"
fi
for nb in "${notebooks[@]}"; do [[ -f "$nb" ]] || die "notebook not found: $nb"; done

start=$(now_ms)
if ((execute)); then
  # Executing runs dist/: a stale build would show old code's outputs.
  say "npm run build"
  (cd "$ROOT" && npm run build --silent) || die "npm run build failed"
  run_args=()
  ((smoke)) && run_args=(--smoke)
  bash "$ROOT/scripts/run-notebooks.sh" "${run_args[@]}" "${notebooks[@]}" || die "some notebooks failed (see above); nothing rendered"
  # run-notebook.sh wrote each executed copy to build/notebooks/<name>.ipynb.
  executed=()
  for nb in "${notebooks[@]}"; do executed+=("$ROOT/build/notebooks/$(basename "$nb")"); done
  notebooks=("${executed[@]}")
  source_label="notebooks executed just now in $( ((smoke)) && echo SMOKE || echo normal) mode (build/notebooks/)"
else
  source_label="the outputs stored in the notebooks"
fi

# Fresh output folder: stale pages of renamed notebooks must not linger in the index's folder.
rm -rf "$OUT"
mkdir -p "$OUT/_static/mathjax"

# --- offline MathJax + require.js -------------------------------------------------------------
# MathJax 2.7 loads the rest of itself by <script> tags relative to MathJax.js (which works from
# file:// pages) and its fonts by CSS; the list below is what TeX-AMS_CHTML-full,Safe loads.
(
  cd "$MATHJAX_SRC"
  cp -L --parents MathJax.js "config/$MATHJAX_CONFIG.js" config/Safe.js "$OUT/_static/mathjax/"
  cp -rL --parents config/local extensions jax/input/TeX jax/element/mml jax/output/CommonHTML \
    fonts/HTML-CSS/TeX/woff fonts/HTML-CSS/TeX/otf "$OUT/_static/mathjax/"
)
cp -L "$REQUIREJS_SRC" "$OUT/_static/require.min.js"

# --- the pages --------------------------------------------------------------------------------
say "rendering ${#notebooks[@]} notebook(s) from $source_label"
"$JUPYTER_PYTHON" -m nbconvert --to html --log-level=WARN --output-dir "$OUT" \
  "--HTMLExporter.mathjax_url=_static/mathjax/MathJax.js?config=$MATHJAX_CONFIG,Safe" \
  --HTMLExporter.require_js_url=_static/require.min.js \
  "${notebooks[@]}"

# --- index.html and a check of each page ------------------------------------------------------
"$JUPYTER_PYTHON" - "$OUT" "$source_label" "$smoke" "${notebooks[@]}" <<'EOF'
import html, json, os, re, sys

out, source_label, smoke = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
paths = sys.argv[4:]

def text(v):
    return "".join(v) if isinstance(v, list) else (v or "")

def heading(nb):
    """The first markdown heading of the notebook, without its #s, or None."""
    for c in nb.get("cells", []):
        if c.get("cell_type") != "markdown":
            continue
        for line in text(c.get("source")).splitlines():
            m = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
            if m and m.group(1):
                return m.group(1)
    return None

rows, problems = [], []
for path in paths:
    name = os.path.splitext(os.path.basename(path))[0]
    nb = json.load(open(path, encoding="utf-8"))
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    outs = [o for c in code for o in c.get("outputs", [])]
    pngs = sum(1 for o in outs if "image/png" in o.get("data", {}))
    svgs = sum(1 for o in outs if "image/svg+xml" in o.get("data", {}))
    tables = sum(text(o.get("data", {}).get("text/html")).count("<table") for o in outs)
    errors = sum(1 for o in outs if o.get("output_type") == "error")
    smoke_out = any("SMOKE mode" in text(o.get("text")) for o in outs)
    page = open(os.path.join(out, name + ".html"), encoding="utf-8").read()
    # Figures must be inside the page (data URIs), not links to files next to the notebook.
    embedded = page.count('src="data:image/png;base64,')
    if embedded < pngs:
        problems.append(f"{name}: {pngs} PNG outputs but {embedded} embedded PNG images in the page")
    if page.count("<table") < tables:
        problems.append(f"{name}: {tables} HTML tables in the outputs but fewer in the page")
    # Loaded resources only (scripts, images, stylesheets); links a reader may click are fine.
    remote = re.search(r'(?:\bsrc=|<link\b[^>]*\bhref=)"(https?://[^"]*)', page)
    if remote:
        problems.append(f"{name}: the page loads {remote.group(1)} from the network")
    status = []
    if not outs:
        status.append("no outputs stored (not executed; use --execute)")
    if errors:
        status.append(f"{errors} error output(s)")
    if smoke_out:
        status.append("SMOKE-mode outputs: numbers are not results")
    parts = [f"{pngs + svgs} figure(s)", f"{tables} table(s)"] + status
    print(f"[render-html] {name}.html: {', '.join(parts)}")
    rows.append((name, heading(nb) or "(no markdown heading)", ", ".join(parts)))

items = "\n".join(
    f'<li><a href="{html.escape(n)}.html">{html.escape(n)}</a> &mdash; {html.escape(h)}'
    f'<br><small>{html.escape(s)}</small></li>'
    for n, h, s in rows
)
banner = ('<p class="smoke"><strong>Smoke run:</strong> these pages were executed with '
          'GAF_NOTEBOOK_MODE=smoke (tiny settings); their numbers are not results.</p>') if smoke else ""
index = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gaf-lab notebooks</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}}
li{{margin:.6em 0}} small{{color:#555}} .smoke{{background:#fff3cd;padding:.5em}}</style></head>
<body><h1>gaf-lab notebooks</h1>
<p>Static HTML of the notebook series, rendered from {html.escape(source_label)} by
<code>scripts/render-html.sh</code>. Works offline: figures are embedded, MathJax is in <code>_static/</code>.</p>
{banner}
<ol>
{items}
</ol></body></html>
"""
open(os.path.join(out, "index.html"), "w", encoding="utf-8").write(index)
for p in problems:
    print(f"[render-html] PROBLEM: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

secs="$(awk -v ms=$(($(now_ms) - start)) 'BEGIN { printf "%.1f", ms / 1e3 }')"
say "wrote ${OUT#"$ROOT"/}/index.html and ${#notebooks[@]} page(s) in $secs s ($(du -sh "$OUT" | cut -f1) with _static/)"
