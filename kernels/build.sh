#!/usr/bin/env bash
# Builds every kernels/*.c into lib/engine/wasm/<name>.wasm with Debian's clang + lld, and the
# kernels that worker threads run (graph.c) also into <name>-shared.wasm: the same code over an
# imported *shared* memory (a module's memory import must say whether it is shared).
#   bash kernels/build.sh           rebuild the committed .wasm files
#   bash kernels/build.sh --check   rebuild into a temp dir and fail if any differs from the committed one
# The .wasm files are committed so that `npm ci` needs no toolchain.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
dest="$root/lib/engine/wasm"
check=0
[ "${1:-}" = "--check" ] && check=1
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
  echo "kernels/build.sh: clang and wasm-ld are needed (Debian: apt-get install clang lld)" >&2
  exit 2
fi
out="$dest"
[ $check = 1 ] && out="$(mktemp -d)"
mkdir -p "$out"
status=0
shared_memory="-matomics -mbulk-memory -Wl,--shared-memory -Wl,--max-memory=4294967296"
# build SOURCE OUTPUT-NAME [EXTRA-FLAGS]
build() {
  local src="$1" name="$2" extra="${3:-}"
  # shellcheck disable=SC2086
  clang --target=wasm32 -O3 -msimd128 -fno-builtin -nostdlib -ffp-contract=off $extra \
    -Wl,--no-entry -Wl,--import-memory -Wl,--export-dynamic -Wl,--strip-all \
    -o "$out/$name.wasm" "$src"
  if [ $check = 1 ]; then
    if cmp -s "$out/$name.wasm" "$dest/$name.wasm"; then
      echo "kernels: $name.wasm matches the committed build"
    else
      echo "kernels: $name.wasm differs from the committed build: run 'npm run build:wasm' and commit" >&2
      status=1
    fi
  else
    echo "kernels: built lib/engine/wasm/$name.wasm"
  fi
}
for src in "$here"/*.c; do
  name="$(basename "$src" .c)"
  build "$src" "$name"
done
build "$here/graph.c" graph-shared "$shared_memory"
exit $status
