#!/usr/bin/env python3
"""Replays every DpCheck.check(asm, expect) snippet of the given test sources under
qemu-aarch64-static -cpu cortex-a57, from the same zeroed state, and reports where the expected values
differ from QEMU's. This is how the expected values of the data-processing tests were obtained.

    python3 src/test/python/replay_checks.py src/test/java/org/jvisor/cpu/DataProcessing*Test.java
"""
import re, struct, subprocess, sys, tempfile

MACROS = """.macro movq rd, val
  movz \\rd, #((\\val) & 0xffff)
  movk \\rd, #(((\\val) >> 16) & 0xffff), lsl #16
  movk \\rd, #(((\\val) >> 32) & 0xffff), lsl #32
  movk \\rd, #(((\\val) >> 48) & 0xffff), lsl #48
.endm
"""


def run(snippet):
    """Runs the snippet (ending where it says hvc #0); returns ({'x0'..'x30','sp': value}, 'NZCV letters')."""
    snippet = re.sub(r"hvc\s+#0\b", "b __dump", snippet)
    zero = "\n".join("  mov x%d, #0" % i for i in range(31))
    dump = "\n".join("  str x%d, [x0, #%d]" % (i, 8 * i) for i in range(1, 31))
    asm = MACROS + """.text
.global _start
_start:
%s
  msr nzcv, xzr
%s
__dump:
  msr tpidr_el0, x0
  adrp x0, __buf
  add x0, x0, :lo12:__buf
%s
  mrs x1, tpidr_el0
  str x1, [x0]
  mrs x1, nzcv
  str x1, [x0, #248]
  mov x1, sp
  str x1, [x0, #256]
  mov x1, x0
  mov x0, #1
  mov x2, #264
  mov x8, #64
  svc #0
  mov x0, #0
  mov x8, #93
  svc #0
.bss
.align 4
__buf: .space 264
""" % (zero, snippet, dump)
    d = tempfile.mkdtemp()
    open(d + "/t.s", "w").write(asm)
    subprocess.check_call(["aarch64-linux-gnu-as", "-march=armv8.1-a+crc", "-o", d + "/t.o", d + "/t.s"])
    subprocess.check_call(["aarch64-linux-gnu-ld", "-static", "-o", d + "/t", d + "/t.o"])
    out = subprocess.run(["qemu-aarch64-static", "-cpu", "cortex-a57", d + "/t"], capture_output=True).stdout
    v = struct.unpack("<33Q", out)
    regs = {"x%d" % i: v[i] for i in range(31)}
    regs["sp"] = v[32]
    f = v[31] >> 28
    return regs, "".join(c if f & b else "-" for c, b in zip("NZCV", (8, 4, 2, 1)))


PAT = re.compile(r'check\(\s*(?:"""\n(.*?)"""|"((?:[^"\\]|\\.)*)")\s*,\s*((?:"[^"]*"\s*\+?\s*)+)\)', re.S)


def main():
    total = bad = 0
    for path in sys.argv[1:]:
        for mt in PAT.finditer(open(path).read()):
            asm = mt.group(1) if mt.group(1) is not None else mt.group(2).encode().decode("unicode_escape")
            expect = "".join(re.findall(r'"([^"]*)"', mt.group(3)))
            total += 1
            regs, flags = run(asm + "\nhvc #0\n")
            errs = []
            for e in expect.split():
                k, v = e.split("=")
                if k == "nzcv":
                    if flags != v: errs.append("nzcv: QEMU %s, test %s" % (flags, v))
                    continue
                neg = v.startswith("-")
                v = v[1:] if neg else v
                val = int(v.replace("_", ""), 16) if v.startswith("0x") else int(v)
                val = (-val if neg else val) & ((1 << 64) - 1)
                r = "sp" if k == "sp" else "x" + k[1:]
                if regs[r] != val: errs.append("%s: QEMU 0x%x, test 0x%x" % (k, regs[r], val))
            if errs:
                bad += 1
                print("%s:\n%s\n  %s\n" % (path, asm, "\n  ".join(errs)))
    print("%d snippets, %d differ from QEMU" % (total, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
