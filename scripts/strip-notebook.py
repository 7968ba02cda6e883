"""Remove the volatile metadata of an executed notebook, so a committed re-run diffs only where
its outputs changed.

    /usr/bin/python3 scripts/strip-notebook.py NOTEBOOK.ipynb [NOTEBOOK.ipynb ...]
    /usr/bin/python3 scripts/strip-notebook.py --check NOTEBOOK.ipynb ...   # exit 1 if any would change

Removed: each cell's `metadata.execution` (the iopub/shell timestamps nbclient records on every
run), the notebook's `metadata.language_info.version` and any `metadata.widgets` (widget state,
which differs on every run). Kept: outputs, cell ids, `execution_count` (nbclient numbers the
code cells 1..N in order, the same on every complete run), kernelspec and everything else. Idempotent: a stripped notebook is left byte-for-byte as is
(the file is only rewritten when something was removed).

`scripts/run-notebook.sh --inplace` calls this after executing. It must not run on the default
build/notebooks/ copies: test/notebooks.test.ts reads `metadata.execution` there to know that
each cell ran.

Written with the standard library only (json), so it works with any Python 3 and keeps the
notebook's own key order; the output is formatted as nbformat writes it (indent 1, a final
newline, non-ASCII kept), so the diff against an nbformat-written file is only the removals.
"""
import json
import sys


def strip(nb):
    """Removes volatile metadata from the notebook dict in place; returns what was removed."""
    removed = []
    meta = nb.get("metadata")
    if isinstance(meta, dict):
        if "widgets" in meta:
            del meta["widgets"]
            removed.append("metadata.widgets")
        info = meta.get("language_info")
        if isinstance(info, dict) and "version" in info:
            del info["version"]
            removed.append("metadata.language_info.version")
    for i, cell in enumerate(nb.get("cells", [])):
        cmeta = cell.get("metadata")
        if not isinstance(cmeta, dict):
            continue
        for key in ("execution", "widgets"):
            if key in cmeta:
                del cmeta[key]
                removed.append(f"cells[{i}].metadata.{key}")
    return removed


def dumps(nb):
    # nbformat.write's own formatting: indent=1, sort_keys=True, ensure_ascii=False, final newline.
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


USAGE = "usage: strip-notebook.py [--check] NOTEBOOK.ipynb [NOTEBOOK.ipynb ...]  (--help: more)"


def main(argv):
    args = argv[1:]
    if "-h" in args or "--help" in args:
        print(__doc__)
        return 0
    check = bool(args) and args[0] == "--check"
    if check:
        args = args[1:]
    unknown = [a for a in args if a.startswith("-")]
    if unknown:
        print(f"[strip-notebook] ERROR: unknown option {unknown[0]} (known: --check first, --help)\n{USAGE}", file=sys.stderr)
        return 2
    if not args:
        print(f"[strip-notebook] ERROR: no notebook given\n{USAGE}", file=sys.stderr)
        return 2
    dirty = 0
    for path in args:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            nb = json.loads(text)
        except (OSError, ValueError) as err:
            sys.exit(f"[strip-notebook] ERROR: cannot read {path} as a notebook (JSON): {err}")
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            sys.exit(f"[strip-notebook] ERROR: {path} is not a notebook (no 'cells' list)")
        removed = strip(nb)
        if not removed:
            print(f"[strip-notebook] {path}: already clean")
            continue
        dirty += 1
        if check:
            print(f"[strip-notebook] {path}: would remove {len(removed)} entries ({removed[0]}, ...)")
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(dumps(nb))
        print(f"[strip-notebook] {path}: removed {len(removed)} volatile metadata entries")
    return 1 if (check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
