"""Executes Jupyter notebooks headless, stopping at the first failing cell.

What `jupyter nbconvert --to notebook --execute` does (nbconvert runs nbclient underneath), plus
what CI needs from it with the tslab kernel: tslab reports a failing cell as an error with an empty
name and message and writes the actual error (TypeScript compile errors, JavaScript stacks) to the
cell's stderr, so nbconvert's failure message says only "<Error>: ". This prints the failing
cell's source and its output streams, the time of every cell, and writes the executed notebook
(also when a cell failed, with the outputs up to that cell).

    execute.py [--timeout SECONDS] [--kernel NAME] (--inplace | --out DIR) NOTEBOOK.ipynb ...

Exit status 0 when every notebook ran without an error, 1 otherwise. Run it with the python3 that
has Jupyter (Debian's /usr/bin/python3: jupyter-nbconvert python3-nbclient jupyter-client
python3-ipykernel).
"""
import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def first_lines(text, n):
    lines = text.splitlines()
    return "\n".join(lines[:n]) + ("\n..." if len(lines) > n else "")


def last_lines(text, n):
    lines = text.splitlines()
    return ("...\n" if len(lines) > n else "") + "\n".join(lines[-n:])


def cell_text(cell):
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(f"[{o.get('name')}]\n{o.get('text', '')}")
        elif o.get("output_type") == "error":
            out.append(f"[error] {o.get('ename', '')}: {o.get('evalue', '')}\n" + "\n".join(o.get("traceback", [])))
    return "\n".join(out).rstrip()


def run(path, out_path, timeout, kernel):
    nb = nbformat.read(path, as_version=4)
    started = {}
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]

    def on_start(cell, cell_index):
        started[cell_index] = time.time()

    def on_executed(cell, cell_index, execute_reply=None):
        k = code_cells.index(cell_index) + 1 if cell_index in code_cells else "?"
        head = cell.source.strip().splitlines()[0][:70] if cell.source.strip() else ""
        print(f"  cell {k}/{len(code_cells)} {time.time() - started.get(cell_index, time.time()):6.1f} s  {head}", flush=True)

    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel, allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        on_cell_execute=on_start, on_cell_executed=on_executed,
    )
    t0 = time.time()
    ok = True
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        ok = False
        failed = None
        for i in code_cells:
            c = nb.cells[i]
            if any(o.get("output_type") == "error" for o in c.get("outputs", [])):
                failed = (i, c)
                break
        if failed is None and started:
            i = max(started)
            failed = (i, nb.cells[i])
        print(f"FAILED: {path}: {type(e).__name__}", file=sys.stderr)
        if failed is not None:
            i, c = failed
            k = code_cells.index(i) + 1 if i in code_cells else "?"
            print(f"--- code cell {k} (notebook cell {i}):\n{first_lines(c.source, 15)}", file=sys.stderr)
            text = cell_text(c)
            print(f"--- its output:\n{last_lines(text, 60) if text else '(none)'}", file=sys.stderr)
        if not isinstance(e, CellExecutionError):
            print(f"--- {first_lines(str(e), 10)}", file=sys.stderr)
    finally:
        nbformat.write(nb, out_path)
    print(f"  {'ok' if ok else 'FAILED'} in {time.time() - t0:.1f} s -> {out_path}", flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--kernel", default="tslab")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--inplace", action="store_true")
    where.add_argument("--out", help="folder for the executed copies")
    a = ap.parse_args()
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    failed = []
    for path in a.notebooks:
        out_path = path if a.inplace else os.path.join(a.out, os.path.basename(path))
        print(f"executing {path} (kernel {a.kernel}, {a.timeout} s per cell)", flush=True)
        if not run(path, out_path, a.timeout, a.kernel):
            failed.append(path)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {' '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
