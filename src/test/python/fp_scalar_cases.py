#!/usr/bin/env python3
"""Regenerates src/test/resources/org/jvisor/cpu/fp-scalar-qemu.txt: short scalar FP snippets and the state
they leave (X0-X7, Q0-Q7, NZCV, FPSR) under qemu-aarch64-static -cpu cortex-a57. FpScalarTest runs each
snippet on jvisor from the same zeroed state (FPCR, FPSR, NZCV, X0-X7, V0-V7 zero) and compares.

    python3 src/test/python/fp_scalar_cases.py
"""
import os, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.join(ROOT, "src/test/resources/org/jvisor/cpu/fp-scalar-qemu.txt")

# Snippets use X0-X8 and V0-V7 only; ';' separates instructions. "ones v" fills V[v] with all ones first.
ONES = "mov x8, #-1; fmov d{0}, x8; fmov v{0}.d[1], x8"
CASES = {
    "fmov_general": "mov x0, #0x1234; movk x0, #0x5678, lsl #16; movk x0, #0xabcd, lsl #48; " + ONES.format(1)
                    + "; " + ONES.format(2) + "; " + ONES.format(3)
                    + "; fmov s1, w0; fmov d2, x0; fmov v3.d[1], x0; fmov w1, s2; fmov x2, d2; fmov x3, v3.d[1];"
                    " fmov x4, d3; fmov s4, wzr; fmov v5.d[1], xzr",
    "fmov_register_zeroes_upper": ONES.format(0) + "; " + ONES.format(1) + "; " + ONES.format(2)
                    + "; fmov s1, s0; fmov d2, d0",
    "fmov_immediate": ONES.format(0) + "; fmov s0, #1.0; fmov d1, #-0.125; fmov s2, #31.0; fmov d3, #0.1875;"
                      " fmov s4, #-1.9375; fmov d5, #2.5",
    "fabs_fneg": "mov x0, #0x80000000; movk x0, #0x7fc1, lsl #16; fmov s0, w0; fabs s1, s0; fneg s2, s0;"
                 " mov x1, #0x8000000000000001; fmov d3, x1; fabs d4, d3; fneg d5, d3; fneg s6, s6",
    "arith_s": "fmov s0, #1.0; fmov s1, #3.0; fdiv s2, s0, s1; fadd s3, s2, s1; fsub s4, s2, s1; fmul s5, s2, s2;"
               " fnmul s6, s2, s1; fmov s7, #-0.5; fsqrt s7, s7",
    "arith_d_rounding_modes": "mov x0, #0x400000; msr fpcr, x0; fmov d0, #1.0; fmov d1, #3.0; fdiv d2, d0, d1;"
                              " mov x0, #0x800000; msr fpcr, x0; fdiv d3, d0, d1; mov x0, #0xc00000; msr fpcr, x0;"
                              " fdiv d4, d0, d1; fsqrt d5, d1; mov x0, #0; msr fpcr, x0; fsqrt d6, d1",
    "minmax": "mov w0, #0x7fc00000; fmov s0, w0; fmov s1, #2.0; fmax s2, s0, s1; fmaxnm s3, s0, s1; fmin s4, s1, s0;"
              " fminnm s5, s1, s0; fmov d6, xzr; fneg d7, d6; fmax d6, d6, d7; fmin d7, d6, d7",
    "fma_family": "fmov d0, #1.5; fmov d1, #2.0; fmov d2, #0.25; fmadd d3, d0, d1, d2; fmsub d4, d0, d1, d2;"
                  " fnmadd d5, d0, d1, d2; fnmsub d6, d0, d1, d2; mov x0, #0x7ff4000000000000; fmov d7, x0;"
                  " fnmadd d7, d7, d1, d2",
    "fma_nan_signs": "mov x0, #0x7ff8000000000000; add x0, x0, #5; fmov d0, x0; fmov d1, #2.0; fmsub d2, d0, d1, d1;"
                     " fnmadd d3, d1, d1, d0; fnmsub d4, d1, d1, d0; fmsub d5, d1, d0, d1; fmov d6, #1.0;"
                     " fnmul s7, s0, s6",
    "fma_inf_zero_qnan": "mov x0, #0x7ff0000000000000; fmov d0, x0; fmov d1, xzr; mov x1, #0x7ff8000000000000;"
                         " add x1, x1, #9; fmov d2, x1; fmadd d3, d0, d1, d2",
    "fcvt": "fmov d0, #0.1875; fcvt s1, d0; fcvt h2, d0; fcvt h3, s1; fcvt d4, h3; fcvt s5, h2;"
            " mov x0, #0x3ff0000000000000; add x0, x0, #1; fmov d6, x0; fcvt s6, d6; mov w1, #0x7f800000;"
            " add w1, w1, #1; fmov s7, w1; fcvt d7, s7",
    "fcvt_ahp": "mov x0, #0x4000000; msr fpcr, x0; mov w1, #0x7f800000; fmov s0, w1; fcvt h1, s0; mov w2, #0x7c00;"
                " fmov s2, w2; fcvt s3, h2; mov w4, #0x47800000; fmov s4, w4; fcvt h4, s4; mov w5, #0x7fc00000;"
                " fmov s5, w5; fcvt h5, s5",
    "frint": "fmov d0, #2.5; frintn d1, d0; frinta d2, d0; frintp d3, d0; frintm d4, d0; frintz d5, d0;"
             " frintx d6, d0; fneg s7, s7; fmov s7, #-0.5; frinta s7, s7",
    "frinti_mode": "mov x0, #0x400000; msr fpcr, x0; fmov s0, #-2.75; frinti s1, s0; frintx s2, s0;"
                   " mov x0, #0x800000; msr fpcr, x0; frinti s3, s0",
    "fcmp": "fmov s0, #1.0; fmov s1, #2.0; fcmp s0, s1; mrs x0, nzcv; fcmp s1, s0; mrs x1, nzcv; fcmp s0, s0;"
            " mrs x2, nzcv; fcmp s0, #0.0; mrs x3, nzcv; mov w4, #0x7fc00000; fmov s4, w4; fcmp s4, s0;"
            " mrs x4, nzcv; fcmpe s4, s0; mrs x5, nzcv",
    "fcmpe_zero": "fmov d0, xzr; fneg d1, d0; fcmpe d1, #0.0; mrs x0, nzcv; mov x1, #0x7ff8000000000000;"
                  " fmov d2, x1; fcmpe d2, #0.0",
    "fccmp": "fmov d0, #1.0; fmov d1, #2.0; cmp x0, x0; fccmp d0, d1, #0xf, eq; mrs x0, nzcv; cmp x0, #1;"
             " fccmp d0, d1, #0x3, eq; mrs x1, nzcv; mov w2, #0x7f800000; add w2, w2, #1; fmov s2, w2; cmp xzr, xzr;"
             " fccmp s2, s2, #0, eq; mrs x3, nzcv; fccmpe d0, d1, #5, ne; mrs x4, nzcv",
    "fcsel": ONES.format(2) + "; fmov d0, #1.0; fmov d1, #2.0; cmp x0, #0; fcsel d2, d0, d1, eq;"
             " fcsel s3, s0, s1, ne; fcsel d4, d0, d1, al",
    "int_conversions": "fmov d0, #-2.5; fcvtns w0, d0; fcvtas x1, d0; fcvtps w2, d0; fcvtms x3, d0; fcvtzs w4, d0;"
                       " fcvtzu w5, d0; fcvtnu x6, d0; mov x7, #0x43f0000000000000; fmov d7, x7; fcvtzs x7, d7",
    "int_conversions_s": "fmov s0, #3.5; fcvtau w0, s0; fcvtpu x1, s0; fcvtmu w2, s0; fcvtns x3, s0;"
                         " mov w4, #0x4f000000; fmov s4, w4; fcvtzs w4, s4; fcvtzu w5, s4; fcvtzs x6, s4",
    "int_to_fp": "mov x0, #-1; scvtf d0, x0; ucvtf d1, x0; scvtf s2, w0; ucvtf s3, w0; mov x1, #0x1000000; add x1, x1, #1;"
                 " scvtf s4, x1; mov x0, #0xc00000; msr fpcr, x0; ucvtf s5, x1; mov x0, #0x400000; msr fpcr, x0;"
                 " scvtf s6, w1; ucvtf d7, xzr",
    "fixed_point": "fmov d0, #2.75; fcvtzs w0, d0, #3; fcvtzu x1, d0, #60; fcvtzs x2, d0, #1; mov x3, #-12;"
                   " scvtf d3, x3, #2; ucvtf s4, w3, #32; scvtf s5, w3, #31; fneg d6, d0; fcvtzu w6, d6, #4;"
                   " fcvtzs w7, d6, #32",
    "flush_to_zero": "mov x0, #0x1000000; msr fpcr, x0; mov w1, #1; fmov s0, w1; fmov s1, #1.0; fadd s2, s0, s1;"
                     " fmul s3, s0, s1; mov w2, #0x00800000; fmov s4, w2; fmov s5, #0.5; fmul s5, s4, s5",
    "default_nan_and_overflow": "mov x0, #0x2000000; msr fpcr, x0; mov w1, #0x7fc10000; movk w1, #0x2345; fmov s0, w1; fmov s1, #1.0;"
                                " fadd s2, s0, s1; mov w3, #0x7f000000; fmov s3, w3; fmul s3, s3, s3; fmov s4, #1.0;"
                                " fmov d5, xzr; fdiv s4, s4, s5",
}

HEAD = """
    .text
    .globl run
run:
    stp x28, x30, [sp, #-16]!
    mov x28, x0
    mov x0, xzr
    mov x1, xzr
    mov x2, xzr
    mov x3, xzr
    mov x4, xzr
    mov x5, xzr
    mov x6, xzr
    mov x7, xzr
    mov x8, xzr
    movi v0.2d, #0
    movi v1.2d, #0
    movi v2.2d, #0
    movi v3.2d, #0
    movi v4.2d, #0
    movi v5.2d, #0
    movi v6.2d, #0
    movi v7.2d, #0
    msr fpcr, xzr
    msr fpsr, xzr
    msr nzcv, xzr
"""
TAIL = """
    str x9, [sp, #-16]!
    mrs x9, nzcv
    str x9, [x28, #192]
    mrs x9, fpsr
    str x9, [x28, #200]
    ldr x9, [sp], #16
    stp x0, x1, [x28]
    stp x2, x3, [x28, #16]
    stp x4, x5, [x28, #32]
    stp x6, x7, [x28, #48]
    stp q0, q1, [x28, #64]
    stp q2, q3, [x28, #96]
    stp q4, q5, [x28, #128]
    stp q6, q7, [x28, #160]
    msr fpcr, xzr
    ldp x28, x30, [sp], #16
    ret
"""
MAIN = r"""
#include <stdio.h>
#include <stdint.h>
void run(uint64_t *out);
int main(void) {
  uint64_t o[26];
  run(o);
  for (int i = 0; i < 8; i++) printf("%llx ", (unsigned long long) o[i]);
  for (int i = 0; i < 8; i++) printf("%llx:%llx ", (unsigned long long) o[8 + 2 * i + 1], (unsigned long long) o[8 + 2 * i]);
  printf("%llx %llx\n", (unsigned long long) o[24], (unsigned long long) o[25]);
  return 0;
}
"""


def main():
    lines = ["# name | snippet | x0..x7 q0..q7(hi:lo) nzcv fpsr: generated by src/test/python/fp_scalar_cases.py"
             " with qemu-aarch64-static -cpu cortex-a57"]
    with tempfile.TemporaryDirectory() as d:
        with open(d + "/main.c", "w") as f:
            f.write(MAIN)
        for name, snippet in CASES.items():
            with open(d + "/run.S", "w") as f:
                f.write(HEAD + "\n".join("    " + s.strip() for s in snippet.split(";")) + "\n" + TAIL)
            subprocess.run(["aarch64-linux-gnu-gcc", "-static", "-o", d + "/t", d + "/main.c", d + "/run.S"], check=True)
            r = subprocess.run(["qemu-aarch64-static", "-cpu", "cortex-a57", d + "/t"], capture_output=True, check=True)
            lines.append(f"{name} | {snippet} | {r.stdout.decode().strip()}")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
