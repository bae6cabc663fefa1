#!/usr/bin/env bash
# Executes notebooks headless with the tslab (TypeScript) kernel and fails on any cell error.
#
#   scripts/notebooks/run.sh [--out DIR | --inplace] [--timeout SECONDS] [--no-build] [NOTEBOOK.ipynb ...]
#
# Default: every notebooks/*.ipynb, executed copies written to --out (default
# ${TMPDIR:-/tmp}/ckd-notebooks; the sources stay without outputs), 600 s per cell.
# Needs (Debian): jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel, and `npm ci`.
# Environment: CKD_PYTHON (default /usr/bin/python3: Debian's, the one with Jupyter; not a pyenv
# python3 that may come first on PATH), CKD_CELL_TIMEOUT (seconds per cell).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=${CKD_PYTHON:-/usr/bin/python3}
OUT=${TMPDIR:-/tmp}/ckd-notebooks
TIMEOUT=${CKD_CELL_TIMEOUT:-600}
INPLACE=0
BUILD=1
NOTEBOOKS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --inplace) INPLACE=1; shift ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) NOTEBOOKS+=("$1"); shift ;;
  esac
done
cd "$ROOT"
if [ ${#NOTEBOOKS[@]} -eq 0 ]; then
  shopt -s nullglob
  NOTEBOOKS=(notebooks/*.ipynb)
  shopt -u nullglob
fi
if [ ${#NOTEBOOKS[@]} -eq 0 ]; then echo "run.sh: no notebooks in $ROOT/notebooks" >&2; exit 2; fi

# The tools: Debian's Jupyter, and tslab from node_modules (the kernel spec runs `tslab` from PATH).
if ! "$PY" -c 'import nbconvert, nbclient, jupyter_client, ipykernel' 2>/dev/null; then
  echo "run.sh: $PY lacks Jupyter; on Debian: apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel" >&2
  exit 2
fi
if [ ! -x node_modules/.bin/tslab ]; then echo "run.sh: node_modules/.bin/tslab missing: run npm ci" >&2; exit 2; fi
export PATH="$ROOT/node_modules/.bin:$PATH"
export PYDEVD_DISABLE_FILE_VALIDATION=1   # ipykernel's debugger warning about frozen modules

# (a) The tslab kernel, registered with Debian's python3 when it is not there yet.
has_kernel() {
  "$PY" -m jupyter kernelspec list --json 2>/dev/null |
    "$PY" -c 'import json, sys; sys.exit(0 if "tslab" in json.load(sys.stdin)["kernelspecs"] else 1)'
}
if ! has_kernel; then
  echo "run.sh: installing the tslab kernel spec (tslab install --python=$PY)"
  tslab install --python="$PY"
  has_kernel || { echo "run.sh: the tslab kernel is still not registered" >&2; exit 1; }
fi

# The notebooks import the compiled library (../dist/lib/... with its .d.ts files).
if [ "$BUILD" = 1 ]; then
  echo "run.sh: building the library (npm run build)"
  npm run build --silent
fi

# (b) Execute the notebooks, each stopping at its first failing cell. execute.py is what
# `jupyter nbconvert --to notebook --execute [--inplace | --output-dir DIR]
#   --ExecutePreprocessor.timeout=T --ExecutePreprocessor.kernel_name=tslab` does (both run nbclient),
# but it also prints the failing cell's output: tslab puts the actual error on the cell's stderr
# and nbconvert's message shows only "<Error>: ".
start=$(date +%s)
args=(--timeout "$TIMEOUT" --kernel tslab)
if [ "$INPLACE" = 1 ]; then args+=(--inplace); else args+=(--out "$OUT"); fi
if "$PY" "$ROOT/scripts/notebooks/execute.py" "${args[@]}" "${NOTEBOOKS[@]}"; then
  echo "run.sh: all ${#NOTEBOOKS[@]} notebook(s) ran without errors ($(( $(date +%s) - start )) s)"
else
  echo "run.sh: notebook(s) failed ($(( $(date +%s) - start )) s)" >&2
  exit 1
fi
