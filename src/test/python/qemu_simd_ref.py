#!/usr/bin/env python3
"""Expected values for the SIMD unit tests, from QEMU (qemu-aarch64-static -cpu cortex-a57).

Each case is a snippet run after the prologue of SimdTesting.java (V0-V31 loaded with a byte pattern,
x0 = 0x40010000, a 4 KiB data page holding another, writable in TestMachine.normalMemory()); the snippet ends where the Java test executes hvc #0. Here the
same source is linked at 0x40000000 (as TestMachine loads it), run under QEMU user mode and the
registers dumped. Usage: qemu_simd_ref.py cases.txt, where cases.txt holds blocks
"== name regs...\\n<asm>\\n"; prints the expectation lines the Java tests embed (with --java,
the test methods themselves).
"""
import os, struct, subprocess, sys, tempfile

PROLOGUE = """
    .arch_extension crypto
    adr x9, __init
    ld1 {v0.16b-v3.16b}, [x9], #64
    ld1 {v4.16b-v7.16b}, [x9], #64
    ld1 {v8.16b-v11.16b}, [x9], #64
    ld1 {v12.16b-v15.16b}, [x9], #64
    ld1 {v16.16b-v19.16b}, [x9], #64
    ld1 {v20.16b-v23.16b}, [x9], #64
    ld1 {v24.16b-v27.16b}, [x9], #64
    ld1 {v28.16b-v31.16b}, [x9], #64
    adr x0, __data
    mov x9, #0
"""
EPILOGUE_DATA = """
    .balign 16
__init:
    .set i, 0
    .rept 512
    .byte (i * 37 + 11) & 255
    .set i, i + 1
    .endr
    .balign 65536
__data:
    .set i, 0
    .rept 4096
    .byte (i * 101 + 7) & 255
    .set i, i + 1
    .endr
"""
DUMP = """
__dump:
    sub sp, sp, #784
    stp x0, x1, [sp, #0]
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    str x30, [sp, #240]
    add x1, sp, #256
""" + "".join(f"    str q{i}, [x1], #16\n" for i in range(32)) + """
    mov x0, #1
    mov x1, sp
    mov x2, #768
    mov x8, #64
    svc #0
    mov x0, #0
    mov x8, #93
    svc #0
"""


def run(body):
    src = ".text\n.global _start\n_start:\n" + PROLOGUE + body.replace("hvc #0", "b __dump") + "\n    b __dump\n" + DUMP + EPILOGUE_DATA
    with tempfile.TemporaryDirectory() as d:
        s, o, e = (os.path.join(d, n) for n in ("t.s", "t.o", "t.elf"))
        open(s, "w").write(src)
        subprocess.run(["aarch64-linux-gnu-as", "-march=armv8.1-a+crc", "-o", o, s], check=True)
        subprocess.run(["aarch64-linux-gnu-ld", "--no-warn-rwx-segments", "-N", "-Ttext=0x40000000", "-e", "_start", "-o", e, o], check=True)
        out = subprocess.run(["qemu-aarch64-static", "-cpu", "cortex-a57", e], check=True, capture_output=True).stdout
    xs = struct.unpack("<31Q", out[:248])
    vs = [struct.unpack("<QQ", out[256 + 16 * i:272 + 16 * i]) for i in range(32)]
    return xs, vs


def main():
    text = open([a for a in sys.argv[1:] if not a.startswith("--")][0]).read()
    for block in text.split("== ")[1:]:
        head, body = block.split("\n", 1)
        name, *regs = head.split()
        xs, vs = run(body)
        vals = []
        for r in regs:
            if r[0] == "v":
                lo, hi = vs[int(r[1:])]
                vals.append(f"{r}={hi:016x}{lo:016x}")
            else:
                vals.append(f"{r}={xs[int(r[1:])]:016x}")
        if "--java" in sys.argv:
            lines = [l.rstrip() for l in body.strip("\n").split("\n")]
            indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
            asm = "\n".join(" " * 16 + l[indent:] if l.strip() else "" for l in lines)
            exp = " ".join(vals)
            print(f"    @Test\n    void {name}() {{\n        SimdTesting.check(\"\"\"\n{asm}\n                \"\"\", \"{exp}\");\n    }}\n")
        else:
            print(f"== {name}: " + " ".join(vals))


if __name__ == "__main__":
    main()
