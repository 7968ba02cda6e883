#!/usr/bin/env bash
# All set-up a fresh Debian 12 machine (or CI runner) needs before `npm test`:
#
#   bash scripts/setup.sh
#
#   1. apt packages: Jupyter's headless executor (for the notebooks) and dataset-fashion-mnist
#      (the real Fashion-MNIST, offline, in /usr/share/datasets/fashion-mnist/); the classic
#      Jupyter Notebook server and Chromium for the browser test (playwright-core drives
#      /usr/bin/chromium; it never downloads a browser of its own); MathJax for offline HTML;
#   2. npm ci (skip with SKIP_NPM_CI=1, e.g. when node_modules is in use by running work);
#   3. scripts/setup-jupyter.sh: the project-local tslab kernel and the node_modules/gaf-lab link.
#
# Idempotent: apt runs only when a package is missing (one `apt-get update`, one install).
# Runs as root (or with sudo) when apt packages are missing. Prints how long each phase took.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(
  jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel # notebooks, headless
  dataset-fashion-mnist                                              # real data, offline
  fonts-dejavu-core                                                  # text in rendered figures
  jupyter-notebook chromium                                          # test/browser-notebook.test.ts
  libjs-mathjax                                                      # offline math in npm run notebooks:html
)

say() { printf '[setup] %s\n' "$*"; }
timings=()
phase() { # NAME COMMAND...: run one phase and remember how long it took
  local name="$1" start end
  shift
  say "== $name"
  start=$(date +%s%N)
  "$@"
  end=$(date +%s%N)
  local ds=$(((end - start) / 100000000)) # tenths of a second
  timings+=("$(printf '%-16s %5d.%d s' "$name" $((ds / 10)) $((ds % 10)))")
}

apt_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" == "install ok installed" ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    say "apt packages already installed: ${APT_PACKAGES[*]}"
    return
  fi
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
  say "installing apt packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

npm_ci() {
  if [[ "${SKIP_NPM_CI:-0}" == 1 ]]; then
    say "SKIP_NPM_CI=1: keeping the existing node_modules"
    [[ -d node_modules ]] || { say "ERROR: no node_modules; run without SKIP_NPM_CI" >&2; exit 1; }
    return
  fi
  npm ci --no-audit --no-fund
}

phase "apt packages" apt_packages
phase "npm ci" npm_ci
phase "jupyter kernel" bash scripts/setup-jupyter.sh

say "timings:"
printf '[setup]   %s\n' "${timings[@]}"
