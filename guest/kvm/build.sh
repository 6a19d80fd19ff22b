#!/bin/sh
# Builds the KVM programs for the default guest's virtualization variant (DefaultGuest.withKvm()):
# kvm-hello-world and kvm-vmm, static AArch64 binaries, into src/main/resources/org/jvisor/guest/kvm/.
# Reproducible like guest/programs/build.sh (no build id, no source paths; KvmProgramsBuildTest checks the
# bytes match). Usage: guest/kvm/build.sh [OUTPUT-DIRECTORY]
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../src/main/resources/org/jvisor/guest/kvm}"
cc="${CC:-aarch64-linux-gnu-gcc}"
cd "$here"
flags="-static -O2 -std=gnu11 -Wall -Wextra -fno-stack-protector -ffile-prefix-map=$here=. -Wl,--build-id=none -s"
"$cc" $flags -o "$out/kvm-hello-world.tmp" kvm-hello-world.c
"$cc" $flags -pthread -o "$out/kvm-vmm.tmp" kvm-vmm.c fdt.c pl011.c
mv "$out/kvm-hello-world.tmp" "$out/kvm-hello-world"
mv "$out/kvm-vmm.tmp" "$out/kvm-vmm"
"$cc" --version | head -1 > "$out/kvm.compiler"
