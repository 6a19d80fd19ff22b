#!/bin/sh
# Builds jvprogs, the default guest's test programs (one static AArch64 binary; mem, io, ... are links to it),
# into src/main/resources/org/jvisor/guest/home/jvprogs, where the default guest takes it from.
# Reproducible: no build id, no source paths, sorted inputs; ProgramsBuildTest rebuilds it with the same
# compiler and checks the bytes match. Usage: guest/programs/build.sh [OUTPUT]
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../src/main/resources/org/jvisor/guest/home/jvprogs}"
cc="${CC:-aarch64-linux-gnu-gcc}"
cd "$here"
"$cc" -static -O2 -std=gnu11 -Wall -Wextra -fno-stack-protector -ffile-prefix-map="$here"=. \
    -Wl,--build-id=none -s -o "$out.tmp" main.c access.c bomb.c cpubench.c divide.c fork.c io.c mem.c stack.c
mv "$out.tmp" "$out"
"$cc" --version | head -1 > "$out.compiler"
