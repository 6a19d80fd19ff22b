#!/usr/bin/env bash
# Throughput guest -> host through passt, jvisor against QEMU in the same session (docs/networking.md):
# the default guest sends 64 MiB of zeros with busybox nc to a receiver on the host's 127.0.0.1, reached
# at the gateway 10.0.2.2, in 16 connections of 4 MiB (bookworm's passt resets a connection ~24 s after it
# starts: one of 64 MiB, or of 8 MiB on a loaded machine, lasts longer than that). jvisor: -nic user; QEMU:
# qemu-system-aarch64 -M virt -cpu cortex-a57 with -netdev stream to a passt started with jvisor's options,
# and host_mtu=65520 as jvisor's NIC offers on passt. Usage: bench/net-throughput.sh [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-1}"
jdk="$("$here/jvisor" --print-jdk)"
mapfile -t guest < <("$here/jvisor" guest | awk '{print $2}')
kernel="${guest[0]}" initrd="${guest[1]}"
tmp="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
port=19100
send="for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do dd if=/dev/zero bs=64k count=64 2>/dev/null | nc 10.0.2.2 PORT; done"
append="console=ttyAMA0 panic=-1 quiet jvisor.run=\"$send\""

receive() { # PORT FILE: a receiver in the background, ready when this returns
  "$jdk/bin/java" "$here/bench/NetReceiver.java" "$1" 16 4 > "$2" &
  for _ in $(seq 200); do grep -q listening "$2" && break; sleep 0.05; done
}

for r in $(seq "$rounds"); do
  port=$((port + 1)); receive $port "$tmp/jvisor"
  "$here/jvisor" run -m 512M -nic user -serial stdio -monitor none -append "${append//PORT/$port}" </dev/null >"$tmp/jvisor.console" 2>&1
  wait
  port=$((port + 1)); receive $port "$tmp/qemu"
  rm -f "$tmp/passt.socket"
  passt --foreground --quiet --one-off --runas "$(id -u):$(id -g)" --socket "$tmp/passt.socket" --address 10.0.2.15 \
    --netmask 24 --gateway 10.0.2.2 --dns 10.0.2.3 --dns-forward 10.0.2.3 >"$tmp/passt.log" 2>&1 &
  for _ in $(seq 100); do [ -S "$tmp/passt.socket" ] && break; sleep 0.05; done
  qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512M -nographic -nodefaults -serial stdio -kernel "$kernel" -initrd "$initrd" \
    -append "${append//PORT/$port}" -netdev stream,id=n0,server=off,addr.type=unix,addr.path="$tmp/passt.socket" \
    -device virtio-net-device,netdev=n0,host_mtu=65520 </dev/null >"$tmp/qemu.console" 2>&1
  wait
  # a connection passt reset leaves the total short of 67108864 bytes: the line says so
  echo "round $r: jvisor $(tail -1 "$tmp/jvisor")"
  echo "round $r: qemu   $(tail -1 "$tmp/qemu")"
done
