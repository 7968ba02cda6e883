#!/usr/bin/env bash
# Make the repository able to run its tslab notebooks headless.
#
#   bash scripts/setup-jupyter.sh
#
# 1. Installs Debian's headless notebook executor (nbconvert + nbclient + jupyter-client +
#    ipykernel) with apt if any of it is missing. Debian's, because the `python3` first on
#    PATH on our machines is a pyenv build without Jupyter, and PyPI is not reachable.
# 2. Registers the tslab kernel into the project-local prefix .jupyter-kernels/ (git-ignored),
#    so no user-wide or system-wide Jupyter configuration is touched. Notebooks are then run
#    with JUPYTER_PATH=.jupyter-kernels/share/jupyter (scripts/run-notebook.sh does that).
# 3. Links node_modules/gaf-lab -> .. (scripts/link-self.js), so notebooks can
#    `import ... from 'gaf-lab'` under tslab's type checker (see notebooks/README.md).
#
# The kernel spec `tslab install` writes starts the bare command `tslab`, which only works when
# node_modules/.bin happens to be on PATH. We rewrite it to absolute paths of this checkout's
# node and tslab, so the kernel starts from any shell. Consequence: after moving the checkout
# or switching node installs, run this script again (scripts/run-notebook.sh checks and says so).
#
# Idempotent: installs nothing that is already installed, rewrites the kernel spec only when it
# differs. Needs root (or sudo) only when apt packages are missing. Requires `npm ci` first.
# On a machine without apt-get/dpkg-query (or with SKIP_APT=1) step 1 is skipped: install
# jupyter_client, nbclient, nbconvert and ipykernel for $JUPYTER_PYTHON yourself.
# GAF_SETUP_UID: the user id step 1 assumes (default `id -u`; see scripts/setup.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JUPYTER_PYTHON="${JUPYTER_PYTHON:-/usr/bin/python3}"
PREFIX="$ROOT/.jupyter-kernels"
APT_PACKAGES=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel)

say() { printf '[setup-jupyter] %s\n' "$*"; }
die() { printf '[setup-jupyter] ERROR: %s\n' "$*" >&2; exit 1; }

for arg in "$@"; do
  case "$arg" in
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) printf '[setup-jupyter] ERROR: unknown argument %s (it takes none; --help)\n' "$arg" >&2; exit 2 ;;
  esac
done

# --- 1. apt packages -------------------------------------------------------------------------
if [[ "${SKIP_APT:-0}" == 1 ]] || ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  say "no apt (SKIP_APT=1, or not Debian/Ubuntu): not installing ${APT_PACKAGES[*]}; $JUPYTER_PYTHON must have Jupyter"
else
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    say "apt packages already installed: ${APT_PACKAGES[*]}"
  else
    SUDO=()
    if [[ "${GAF_SETUP_UID:-$(id -u)}" != 0 ]]; then
      command -v sudo >/dev/null || die "apt packages missing: ${missing[*]}. Installing them needs root and there is no sudo on this machine: run this script as root, or have them installed (apt-get install ${missing[*]}) and run it again."
      SUDO=(sudo)
    fi
    say "installing apt packages: ${missing[*]}"
    ${SUDO[@]+"${SUDO[@]}"} apt-get update -qq
    ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

"$JUPYTER_PYTHON" -c 'import jupyter_client, nbclient, nbconvert, ipykernel' 2>/dev/null ||
  die "$JUPYTER_PYTHON cannot import jupyter_client/nbclient/nbconvert/ipykernel; set JUPYTER_PYTHON to a python that has them (on Debian /usr/bin/python3, after the apt packages above)"

# --- 2. tslab kernel spec --------------------------------------------------------------------
TSLAB_BIN="$ROOT/node_modules/tslab/bin/tslab"
[[ -f "$TSLAB_BIN" ]] || die "$TSLAB_BIN not found: run 'npm ci' first"
NODE_BIN="$(command -v node)" || die "node is not on PATH"
NODE_BIN="$("$NODE_BIN" -p process.execPath)" # the real binary, without GNU readlink -f

KERNELS_DIR="$PREFIX/share/jupyter/kernels"

# What a spec must say: start tslab with this checkout's node, by absolute paths.
# (tslab install also writes `jslab`, the plain-JavaScript kernel; pin it the same way.)
kernel_json() { # NAME -> wanted kernel.json text
  "$NODE_BIN" -e '
    const [node, tslab, name] = process.argv.slice(1);
    const js = name === "jslab";
    process.stdout.write(JSON.stringify({
      argv: [node, tslab, "kernel", "--config-path", "{connection_file}", ...(js ? ["--js"] : [])],
      display_name: js ? "JavaScript" : "TypeScript",
      language: js ? "javascript" : "typescript",
    }, null, 1) + "\n");
  ' "$NODE_BIN" "$TSLAB_BIN" "$1"
}

up_to_date=1
for name in tslab jslab; do
  [[ -f "$KERNELS_DIR/$name/kernel.json" ]] && [[ "$(cat "$KERNELS_DIR/$name/kernel.json")" == "$(kernel_json "$name")" ]] || up_to_date=0
done
if ((up_to_date)); then
  say "tslab kernel already registered in $KERNELS_DIR/tslab"
else
  # Let tslab's own installer (run with Debian's python) create the specs in the local prefix,
  # then pin their argv to absolute paths.
  say "registering tslab kernel with $JUPYTER_PYTHON into $PREFIX"
  "$NODE_BIN" "$TSLAB_BIN" install --python="$JUPYTER_PYTHON" --prefix="$PREFIX" --binary="$TSLAB_BIN"
  for name in tslab jslab; do
    [[ -f "$KERNELS_DIR/$name/kernel.json" ]] || die "tslab install did not create $KERNELS_DIR/$name/kernel.json"
    printf '%s\n' "$(kernel_json "$name")" >"$KERNELS_DIR/$name/kernel.json"
  done
  say "wrote $KERNELS_DIR/{tslab,jslab}/kernel.json: argv = $NODE_BIN $TSLAB_BIN kernel ..."
fi

# Check that Jupyter sees it the way scripts/run-notebook.sh will look for it.
# (Output captured first: `... | grep -q` under pipefail fails when grep closes the pipe early.)
listed="$(JUPYTER_PATH="$PREFIX/share/jupyter" PYDEVD_DISABLE_FILE_VALIDATION=1 \
  "$JUPYTER_PYTHON" -m jupyter_client.kernelspecapp list)" || die "could not list Jupyter kernels with $JUPYTER_PYTHON"
grep -qE '^\s*tslab\s' <<<"$listed" || die "Jupyter does not list the tslab kernel under JUPYTER_PATH=$PREFIX/share/jupyter"
say "ok: JUPYTER_PATH=$PREFIX/share/jupyter lists kernel 'tslab'"

# --- 3. the package under its own name, for notebooks ---------------------------------------
# tslab's type checker cannot resolve `import ... from 'gaf-lab'` by self-reference; this link
# lets it (see scripts/link-self.js and notebooks/README.md).
"$NODE_BIN" "$ROOT/scripts/link-self.js" | sed 's/^/[setup-jupyter] /'
