#!/usr/bin/env bash
# All set-up a fresh machine (or CI runner) needs before `npm run main` and `npm test`:
#
#   bash scripts/setup.sh          # everything: the main job, the tests and the notebooks
#   bash scripts/setup.sh --main   # only what `npm run main` needs: Node packages and Fashion-MNIST
#   bash scripts/setup.sh --help
#
#   1. Node: checks that `node` satisfies package.json's engines (see .nvmrc);
#   2. apt packages (Debian/Ubuntu only): dataset-fashion-mnist (the real Fashion-MNIST, offline,
#      in /usr/share/datasets/fashion-mnist/) and fonts-dejavu-core (text in rendered figures);
#      without --main also Jupyter's headless executor (notebooks), the classic Jupyter Notebook
#      server and Chromium (test/browser-notebook.test.ts: playwright-core drives
#      /usr/bin/chromium and never downloads a browser of its own), MathJax (offline HTML) and
#      Slurm with munge (test/slurm-sweep.test.ts runs a one-node cluster: scripts/slurm-local.sh);
#      without --main also libvulkan1 and, in its own phase, Mesa's software Vulkan driver that the
#      WebGPU tests run on without a GPU: mesa-vulkan-drivers 25 (Debian 12's 22.3 is rejected by
#      Dawn), on Debian 12 from bookworm-backports (the suite is added to apt's sources when
#      missing; only that package and the Mesa libraries it depends on come from there);
#   3. npm ci (skip with SKIP_NPM_CI=1, e.g. when node_modules is in use by running work);
#   4. Fashion-MNIST where apt did not install it (no apt-get, or SKIP_APT=1): `npm run build`,
#      then `gaf-lab data download fashion-mnist` (into $GAF_DATA_DIR, else data/) unless
#      `gaf-lab data check` already finds it;
#   5. without --main: scripts/setup-jupyter.sh (the project-local tslab kernel and the
#      node_modules/gaf-lab link). On a machine without apt-get it runs only when
#      $JUPYTER_PYTHON (default /usr/bin/python3) already has Jupyter; otherwise it is skipped
#      with what to install.
#
# The main job needs only Node and the data: no Jupyter, no Chromium.
#
# Environment:
#   SKIP_NPM_CI=1    keep the existing node_modules
#   SKIP_APT=1       do not use apt-get even where it exists (e.g. no root); the data is downloaded
#   GAF_SETUP_UID    the user id the apt step assumes (default: `id -u`); set a non-zero id to
#                    check, as root, what a user without root sees (sudo, or the message without it)
#   GAF_DATA_DIR     where the download puts Fashion-MNIST (default: data/ in this checkout)
#
# Idempotent: apt runs only when a package is missing (one `apt-get update`, one install).
# Runs as root, or with sudo, only when apt packages are missing. Prints how long each phase took.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_MAIN=(
  dataset-fashion-mnist # real data, offline
  fonts-dejavu-core     # text in rendered figures
)
APT_NOTEBOOKS=(
  jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel # notebooks, headless
  jupyter-notebook chromium                                          # test/browser-notebook.test.ts
  libjs-mathjax                                                      # offline math in npm run notebooks:html
  slurmctld slurmd slurm-client munge                                # test/slurm-sweep.test.ts
  libvulkan1                                                         # the Vulkan loader WebGPU (Dawn) needs
)

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

main_only=0
for arg in "$@"; do
  case "$arg" in
    --main) main_only=1 ;;
    -h | --help) usage; exit 0 ;;
    *) printf '[setup] ERROR: unknown argument %s\nusage: bash scripts/setup.sh [--main] [--help]\n' "$arg" >&2; exit 2 ;;
  esac
done

# Milliseconds since the epoch, portably: bash 5's EPOCHREALTIME, else node, else whole seconds
# (GNU `date +%N` is not on macOS, whose bash is 3.2). EPOCHREALTIME's decimal separator follows
# the locale.
now_ms() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    local us="${EPOCHREALTIME/[.,]/}"
    echo $((10#$us / 1000))
  elif command -v node >/dev/null; then
    node -p 'Date.now()'
  else
    echo $((SECONDS * 1000))
  fi
}

timings=()
phase() { # NAME COMMAND...: run one phase and remember how long it took
  local name="$1" start end
  shift
  say "== $name"
  start=$(now_ms)
  "$@"
  end=$(now_ms)
  local ds=$(((end - start) / 100)) # tenths of a second
  timings+=("$(printf '%-16s %5d.%d s' "$name" $((ds / 10)) $((ds % 10)))")
}

check_node() {
  command -v node >/dev/null || die "node is not on PATH: install Node.js (the version in .nvmrc, e.g. nvm install), then run this again"
  local range
  range="$(node -p "require('./package.json').engines.node")"
  # A small check of the engines range's shape (^A.B.C || ^D.E.F || >=G), so npm's semver is not needed before npm ci.
  node -e '
    const range = process.argv[1];
    const [maj, min] = process.versions.node.split(".").map(Number);
    const ok = range.split("||").some((part) => {
      const m = part.trim().match(/^(\^|>=)\s*(\d+)(?:\.(\d+))?/);
      if (!m) return true; // a shape this check does not know: leave it to npm
      const [a, b] = [Number(m[2]), Number(m[3] ?? 0)];
      return m[1] === "^" ? maj === a && min >= b : maj > a || (maj === a && min >= b);
    });
    process.exit(ok ? 0 : 1);
  ' "$range" || die "Node $(node -v) does not satisfy package.json engines \"$range\": install a newer Node (the version in .nvmrc, e.g. nvm install), then run this again"
  say "node $(node -v) satisfies \"$range\""
}

have_apt() { [[ "${SKIP_APT:-0}" != 1 ]] && command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; }

apt_packages() {
  if [[ "${SKIP_APT:-0}" == 1 ]]; then
    say "SKIP_APT=1: not using apt-get; Fashion-MNIST will be downloaded"
    return
  fi
  if ! have_apt; then
    say "no apt-get/dpkg-query on this machine (not Debian/Ubuntu): skipping the apt packages."
    say "  Fashion-MNIST: gaf-lab data download fashion-mnist instead, unless it is already there."
    if ((main_only == 0)); then
      say "  For the notebooks and their tests install yourself: Python 3 with jupyter_client, nbclient,"
      say "  nbconvert and ipykernel (set JUPYTER_PYTHON to that python); Chromium at /usr/bin/chromium for"
      say "  test/browser-notebook.test.ts; MathJax 2 for npm run notebooks:html."
    fi
    return
  fi
  local wanted=("${APT_MAIN[@]}") missing=() pkg
  ((main_only)) || wanted+=("${APT_NOTEBOOKS[@]}")
  for pkg in "${wanted[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" == "install ok installed" ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    say "apt packages already installed: ${wanted[*]}"
    return
  fi
  local sudo=()
  if [[ "${GAF_SETUP_UID:-$(id -u)}" != 0 ]]; then
    command -v sudo >/dev/null || die "apt packages missing: ${missing[*]}.
  Installing them needs root, and there is no sudo on this machine. Either run this script as root,
  or have them installed (apt-get install ${missing[*]}) and run it again,
  or run it with SKIP_APT=1 to skip apt (Fashion-MNIST is then downloaded; add --main when you
  only need npm run main)."
    sudo=(sudo)
  fi
  say "installing apt packages: ${missing[*]}"
  ${sudo[@]+"${sudo[@]}"} apt-get update -qq
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Mesa's software Vulkan driver (lavapipe), on which the WebGPU tests run where there is no GPU.
webgpu_driver() {
  have_apt || { say "no apt-get: the WebGPU tests need a Vulkan driver (environment.md, \"GPU routes\")"; return; }
  local have
  have="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
  if [[ -n "$have" ]] && dpkg --compare-versions "$have" ge 25; then
    say "mesa-vulkan-drivers $have already installed"
    return
  fi
  local sudo=() target=() codename
  if [[ "${GAF_SETUP_UID:-$(id -u)}" != 0 ]]; then
    command -v sudo >/dev/null || die "mesa-vulkan-drivers 25 is missing and installing it needs root (no sudo here); or run with --main"
    sudo=(sudo)
  fi
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  if [[ "$codename" == bookworm ]]; then
    if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      say "adding bookworm-backports to apt's sources (/etc/apt/sources.list.d/bookworm-backports.sources)"
      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
        ${sudo[@]+"${sudo[@]}"} tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
    fi
    target=(-t bookworm-backports)
  fi
  say "installing mesa-vulkan-drivers${target[*]:+ from bookworm-backports}"
  ${sudo[@]+"${sudo[@]}"} apt-get update -qq
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${target[@]+"${target[@]}"} mesa-vulkan-drivers
}

npm_ci() {
  if [[ "${SKIP_NPM_CI:-0}" == 1 ]]; then
    say "SKIP_NPM_CI=1: keeping the existing node_modules"
    [[ -d node_modules ]] || die "no node_modules; run without SKIP_NPM_CI"
    return
  fi
  npm ci --no-audit --no-fund
}

# Where apt did not install Fashion-MNIST: build the CLI, and download the data unless the
# loaders already find it (gaf-lab data check). The download verifies the checksums.
download_data() {
  npm run --silent build
  local found
  found="$(node dist/cli/main.js data check | grep '^\[found\] *fashion-mnist:' || true)"
  if [[ -n "$found" ]]; then
    say "Fashion-MNIST already there, not downloading: ${found#*fashion-mnist: }"
    return
  fi
  node dist/cli/main.js data download fashion-mnist ||
    die "could not get Fashion-MNIST: the reason and the fix are above; then run this script again."
}

jupyter_kernel() {
  if ! have_apt && ! "${JUPYTER_PYTHON:-/usr/bin/python3}" -c 'import jupyter_client, nbclient, nbconvert, ipykernel' 2>/dev/null; then
    say "skipped: ${JUPYTER_PYTHON:-/usr/bin/python3} has no Jupyter (jupyter_client, nbclient, nbconvert, ipykernel)."
    say "  The main job does not need it. For the notebooks install those, set JUPYTER_PYTHON if it is"
    say "  another python, and run: bash scripts/setup-jupyter.sh"
    return
  fi
  bash scripts/setup-jupyter.sh
}

phase "node" check_node
phase "apt packages" apt_packages
((main_only)) || phase "webgpu driver" webgpu_driver
phase "npm ci" npm_ci
have_apt || phase "fashion-mnist" download_data
((main_only)) || phase "jupyter kernel" jupyter_kernel

say "timings:"
printf '[setup]   %s\n' "${timings[@]}"
