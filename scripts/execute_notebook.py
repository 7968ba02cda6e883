"""Execute one notebook headless; always write the executed copy; explain a failing cell.

    /usr/bin/python3 scripts/execute_notebook.py NOTEBOOK OUT KERNEL CELL_TIMEOUT STARTUP_TIMEOUT

Called by scripts/run-notebook.sh (which sets JUPYTER_PATH to the project's kernels). This does
what `jupyter nbconvert --to notebook --execute` does (same nbclient underneath), with three
differences that matter for tslab:

- tslab reports a failing cell (TypeScript error or exception) as an error with an empty name
  and message and no traceback, printing the real message to the cell's stderr. nbconvert then
  shows only "<Error>: " and writes nothing. Here the failing cell's own output is printed and
  the partly executed notebook is still written, so the cause is visible.
- The kernel runs in the notebook's folder, as when the notebook is opened in Jupyter.
- A kernel that never answers its first request is replaced by a fresh one (3 tries in all).
"""
import os
import sys


def cell_text(cell):
    """The text a code cell showed: streams, results, errors."""
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(f"[{out.get('name')}] {out.get('text', '')}")
        elif kind in ("execute_result", "display_data"):
            parts.append(f"[{kind}] {out.get('data', {}).get('text/plain', '')}")
        elif kind == "error":
            parts.append(f"[error] {out.get('ename')}: {out.get('evalue')}\n" + "\n".join(out.get("traceback", [])))
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts)


def main(argv):
    if "-h" in argv[1:] or "--help" in argv[1:]:
        print(__doc__)
        return 0
    options = [a for a in argv[1:] if a.startswith("-")]
    if options or len(argv) != 6:
        problem = f"unknown option {options[0]}" if options else f"expected 5 arguments, got {len(argv) - 1}"
        print(f"[execute_notebook] ERROR: {problem} (it takes no options; --help)\n"
              "usage: execute_notebook.py NOTEBOOK OUT KERNEL CELL_TIMEOUT STARTUP_TIMEOUT", file=sys.stderr)
        return 2
    # Imported here so that --help and usage errors work without Jupyter installed.
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    src, out, kernel, cell_timeout, startup_timeout = argv[1:]
    nb = nbformat.read(src, as_version=4)
    # Timing metadata saved by an earlier run would make unexecuted cells look executed.
    for c in nb.cells:
        c.get("metadata", {}).pop("execution", None)
    current = {}

    def on_cell_execute(cell, cell_index):
        current.update(cell=cell, number=cell_index + 1)

    def client():
        return NotebookClient(
            nb,
            on_cell_execute=on_cell_execute,
            kernel_name=kernel,
            timeout=int(cell_timeout),
            startup_timeout=int(startup_timeout),
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
        )

    failure = None
    # tslab's kernel can lose its first kernel_info reply to a race in its zeromq sockets
    # ("Socket is blocked by a bind or unbind operation", EBUSY) and then never answers; no
    # cell has run then, so a fresh kernel is started (at most twice more).
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            client().execute()
            break
        except (CellExecutionError, CellTimeoutError) as err:
            failure = err
            break
        except RuntimeError as err:
            if current or "didn't respond" not in str(err):
                raise
            if attempt < attempts:
                print(f"[run-notebook] the kernel did not start ({err}); starting a new one "
                      f"(try {attempt + 1} of {attempts})", file=sys.stderr)
        finally:
            # nbclient fills `nb` in place, so a failed run still leaves the outputs up to the failure.
            nbformat.write(nb, out)
    else:
        print(f"[run-notebook] FAILED: the {kernel} kernel did not answer within {startup_timeout} s, "
              f"{attempts} tries; raise NOTEBOOK_STARTUP_TIMEOUT on a loaded machine, or run "
              "'bash scripts/setup-jupyter.sh' if the kernel is broken", file=sys.stderr)
        sys.stderr.flush()
        # Skips nbclient's exit hooks, which would try to clean up kernels it has already shut
        # down and print an AssertionError trace for each.
        os._exit(1)

    if failure is None:
        return 0
    cell = current.get("cell")
    where = f"cell {current['number']} (id={cell.get('id')})" if cell else "kernel start-up"
    print(f"[run-notebook] FAILED in {where} of {src}", file=sys.stderr)
    if cell is not None:
        print("----- source -----\n" + cell.source, file=sys.stderr)
        print("----- output -----\n" + (cell_text(cell) or "(none)"), file=sys.stderr)
    print(f"----- error -----\n{type(failure).__name__}: {str(failure).strip()[-2000:]}", file=sys.stderr)
    print(f"[run-notebook] partly executed notebook written to {out}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
