#!/usr/bin/env python3
"""Regenerates src/test/resources/org/jvisor/cpu/simdfp-qemu-cases.txt: short Advanced SIMD floating-point
snippets, each about one property (NaN payloads and signs, pairwise operand order, FCVTN2 keeping the low
half, round-to-odd, FZ/DN, rounding modes...), and the state they leave (X0-X7, Q0-Q7, NZCV, FPSR) under
qemu-aarch64-static -cpu cortex-a57. SimdFloatTest runs each snippet on jvisor from the same zeroed state
and compares. The harness is fp_scalar_cases.py's.

    python3 src/test/python/simdfp_cases.py
"""
import os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fp_scalar_cases as base  # noqa: E402

OUT = os.path.join(base.ROOT, "src/test/resources/org/jvisor/cpu/simdfp-qemu-cases.txt")
_label = [0]


def q(reg, lo, hi):
    """Loads V[reg] with the 128-bit value hi:lo (through x8)."""
    _label[0] += 1
    n = "vdata%d" % _label[0]
    return ("; .pushsection .data; .balign 16; %s: .quad 0x%x, 0x%x; .popsection; adrp x8, %s;"
            " add x8, x8, :lo12:%s; ldr q%d, [x8]" % (n, lo, hi, n, n, reg))


def s4(*lanes):
    """Four single-precision lanes, lane 0 first, as (lo, hi)."""
    return lanes[0] | lanes[1] << 32, lanes[2] | lanes[3] << 32


def fpcr(v):
    return "; mov x8, #0x%x; msr fpcr, x8" % v


QNAN_P, SNAN_P, ONE, TWO, INF, NINF = 0x7fc12345, 0x7f812345, 0x3f800000, 0x40000000, 0x7f800000, 0xff800000
DQNAN_P, DSNAN_P, DONE, DINF = 0x7ff8000000012345, 0x7ff0000000054321, 0x3ff0000000000000, 0x7ff0000000000000

CASES = {
    "arith_4s_nan_payloads": q(1, *s4(QNAN_P, SNAN_P, ONE, INF)) + q(2, *s4(ONE, 0xffc00009, SNAN_P | 1 << 31, NINF))
        + "; fadd v0.4s, v1.4s, v2.4s; fsub v3.4s, v2.4s, v1.4s; fmul v4.2s, v1.2s, v2.2s; fdiv v5.4s, v1.4s, v2.4s",
    "arith_2d_default_nan": q(1, DSNAN_P, DINF) + q(2, DONE, DINF | 1 << 63) + fpcr(1 << 25)
        + "; fadd v0.2d, v1.2d, v2.2d; fmul v3.2d, v2.2d, v1.2d; fabd v4.2d, v1.2d, v2.2d",
    "fabd_fabs_fneg_nan_signs": q(1, *s4(0xffc00001, SNAN_P | 1 << 31, 0x80000000, ONE)) + q(2, *s4(ONE, ONE, 0, TWO))
        + "; fabd v0.4s, v1.4s, v2.4s; fabs v3.4s, v1.4s; fneg v4.4s, v1.4s; fabd s5, s2, s1",
    "fmla_fmls_negate_the_multiplicand": q(1, *s4(QNAN_P, ONE, TWO, 0x80000000)) + q(2, *s4(TWO, QNAN_P, 0x3f000000, 0))
        + q(0, *s4(ONE, ONE, ONE, 0)) + q(3, *s4(ONE, ONE, ONE, 0))
        + "; fmla v0.4s, v1.4s, v2.4s; fmls v3.4s, v1.4s, v2.4s",
    "fmls_2d_rounding_modes": q(1, 0x3fd5555555555555, 0xbfd5555555555555) + q(2, 0x4008000000000000, 0x4008000000000000)
        + q(0, DONE, DONE) + q(3, DONE, DONE) + fpcr(1 << 22) + "; fmls v0.2d, v1.2d, v2.2d" + fpcr(2 << 22)
        + "; fmls v3.2d, v1.2d, v2.2d",
    "pairwise_take_pairs_of_vm_vn": q(1, *s4(ONE, TWO, 0x40400000, 0x40800000)) + q(2, *s4(0x40a00000, 0x40c00000, QNAN_P, TWO))
        + "; faddp v0.4s, v1.4s, v2.4s; fmaxp v3.4s, v2.4s, v1.4s; fminnmp v4.2s, v2.2s, v1.2s; faddp s5, v1.2s;"
          " fmaxnmp s6, v2.2s",
    "pairwise_2d": q(1, DONE, 0x4000000000000000) + q(2, DQNAN_P, DINF)
        + "; faddp v0.2d, v1.2d, v2.2d; fminp v3.2d, v2.2d, v1.2d; fmaxnmp d4, v2.2d; faddp d5, v1.2d; fminp d6, v2.2d",
    "across_lanes_tree": q(1, *s4(ONE, QNAN_P, 0xc0000000, SNAN_P)) + q(2, *s4(0x80000000, 0, 0x80000000, 0))
        + "; fmaxv s0, v1.4s; fminv s3, v2.4s; fmaxnmv s4, v1.4s; fminnmv s5, v1.4s; fmaxv s6, v2.4s",
    "fcvtn_fcvtn2_fcvtxn": q(1, 0x3fd5555555555555, 0x47efffffe0000001) + q(0, 0x1111111122222222, 0x3333333344444444)
        + "; fcvtn2 v0.4s, v1.2d; fcvtn v2.2s, v1.2d; fcvtxn v3.2s, v1.2d; mov v4.16b, v0.16b; fcvtxn2 v4.4s, v1.2d;"
          " fcvtxn s5, d1",
    "fcvtn_half_ahp": q(1, *s4(0x47800000, 0x7f800000, 0x387fc000, QNAN_P)) + "; fcvtn v0.4h, v1.4s" + fpcr(1 << 26)
        + "; fcvtn2 v0.8h, v1.4s",
    "fcvtl_fcvtl2": q(1, 0x7c00fc003c000001, 0x7d0003ff7e00fbff)
        + "; fcvtl v0.4s, v1.4h; fcvtl2 v2.4s, v1.8h; fcvtl v3.2d, v1.2s; fcvtl2 v4.2d, v1.4s" + fpcr(1 << 26)
        + "; fcvtl v5.4s, v1.4h; fcvtl2 v6.4s, v1.8h",
    "frint_vector_modes": q(1, *s4(0x40200000, 0xc0200000, 0x3f000000, 0x80000001)) + q(2, 0xc004000000000000, 0x4330000000000001)
        + "; frintn v0.4s, v1.4s; frinta v3.4s, v1.4s; frintp v4.4s, v1.4s; frintm v5.4s, v1.4s; frintz v6.4s, v1.4s;"
          " frinta v7.2d, v2.2d",
    "frintx_frinti_fpcr_rounding": q(1, *s4(0x40300000, 0xc0300000, 0x4b000001, 0x3f7fffff))
        + fpcr(1 << 22) + "; frintx v0.4s, v1.4s; mrs x0, fpsr; msr fpsr, xzr; frinti v2.4s, v1.4s"
        + fpcr(2 << 22) + "; frinti v3.4s, v1.4s" + fpcr(3 << 22) + "; frintx v4.2s, v1.2s",
    "fcvt_to_int_saturates": q(1, *s4(0x4f000000, 0xcf000001, 0x7fc00000, 0xbfc00000)) + q(2, 0x43e0000000000000, 0xbff8000000000000)
        + "; fcvtzs v0.4s, v1.4s; fcvtzu v3.4s, v1.4s; fcvtas v4.4s, v1.4s; fcvtmu v5.2d, v2.2d; fcvtns d6, d2;"
          " fcvtpu s7, s1",
    "fcvt_to_int_each_rounding": q(1, *s4(0x40200000, 0xc0200000, 0x3fc00000, 0xbf400000))
        + "; fcvtns v0.4s, v1.4s; fcvtnu v2.4s, v1.4s; fcvtms v3.4s, v1.4s; fcvtps v4.4s, v1.4s; fcvtau v5.4s, v1.4s;"
          " fcvtas v6.4s, v1.4s; fcvtzs v7.4s, v1.4s",
    "int_to_fp_vector": q(1, *s4(0xffffffff, 0x01000001, 0x80000000, 7)) + q(2, 0xffffffffffffffff, 0x0020000000000001)
        + "; scvtf v0.4s, v1.4s; ucvtf v3.4s, v1.4s; scvtf v4.2d, v2.2d; ucvtf d5, d2" + fpcr(1 << 22)
        + "; ucvtf v6.4s, v1.4s; scvtf s7, s1",
    "fixed_point_conversions": q(1, *s4(0x40300000, 0xc0300000, 0x4f000000, 0x3f000000)) + q(2, 0xfffffffffffffff4, 0x7fffffffffffffff)
        + "; fcvtzs v0.4s, v1.4s, #3; fcvtzu v3.4s, v1.4s, #32; scvtf v4.2d, v2.2d, #2; ucvtf v5.2d, v2.2d, #64;"
          " fcvtzs s6, s1, #31; ucvtf d7, d2, #1",
    "by_element": q(1, *s4(ONE, TWO, 0x40400000, QNAN_P)) + q(2, *s4(0x3f000000, INF, 0, 0xc0000000))
        + q(3, DONE, 0xc000000000000000)
        + "; fmul v0.4s, v1.4s, v2.s[3]; fmulx v4.4s, v1.4s, v2.s[2]; fmulx s5, s2, v2.s[2]; fmul d6, d3, v3.d[1];"
          " mov v7.16b, v1.16b; fmls v7.4s, v1.4s, v2.s[0]; fmla s3, s1, v1.s[1]",
    "fmulx_inf_times_zero": q(1, *s4(INF, 0x80000000, NINF, ONE)) + q(2, *s4(0x80000000, NINF, 0, SNAN_P))
        + "; fmulx v0.4s, v1.4s, v2.4s; fmul v3.4s, v1.4s, v2.4s; fmulx d4, d1, d2",
    "compares_register": q(1, *s4(ONE, QNAN_P, 0x80000000, NINF)) + q(2, *s4(TWO, ONE, 0, INF))
        + "; fcmeq v0.4s, v1.4s, v2.4s; mrs x0, fpsr; fcmge v3.4s, v1.4s, v2.4s; mrs x1, fpsr; fcmgt v4.4s, v2.4s, v1.4s;"
          " facge v5.4s, v1.4s, v2.4s; facgt v6.4s, v2.4s, v1.4s; fcmeq s7, s2, s2",
    "compares_zero": q(1, *s4(0x80000000, 0x80000001, SNAN_P, ONE)) + fpcr(1 << 24)
        + "; fcmeq v0.4s, v1.4s, #0.0; fcmge v2.4s, v1.4s, #0.0; fcmgt v3.4s, v1.4s, #0.0; fcmle v4.4s, v1.4s, #0.0;"
          " fcmlt v5.4s, v1.4s, #0.0; fcmle d6, d1, #0.0",
    "estimates_and_steps": q(1, *s4(0x40400000, 0x00200000, INF, 0xbf800000)) + q(2, *s4(0x3eaaaaab, 0x7e800000, 0, 0x80000000))
        + "; frecpe v0.4s, v1.4s; frsqrte v3.4s, v1.4s; frecps v4.4s, v1.4s, v2.4s; frsqrts v5.4s, v1.4s, v2.4s;"
          " frecpx s6, s1; frecpe d7, d2",
    "unsigned_estimates": q(1, *s4(0x80000000, 0x7fffffff, 0xc0000001, 0x40000000))
        + "; urecpe v0.4s, v1.4s; ursqrte v2.4s, v1.4s; urecpe v3.2s, v1.2s",
    "flush_to_zero": q(1, *s4(0x00000001, 0x80400000, 0x00800000, 0x00800001)) + q(2, *s4(ONE, ONE, 0x3f000000, 0x3f7fffff))
        + fpcr(1 << 24) + "; fadd v0.4s, v1.4s, v2.4s; fmul v3.4s, v1.4s, v2.4s; fsqrt v4.4s, v1.4s; frecpe v5.4s, v1.4s;"
          " fcvtl v6.2d, v1.2s",
    "tininess_before_rounding": q(1, *s4(0x80000001, 0x00ffffff, ONE, ONE)) + q(2, *s4(0x4affffff, 0x3f000000, ONE, ONE))
        + q(3, *s4(0x00ffffff, ONE, ONE, ONE)) + q(4, *s4(0x40000000, ONE, ONE, ONE))
        + "; fmul v0.4s, v1.4s, v2.4s; mrs x0, fpsr; msr fpsr, xzr; fdiv v5.4s, v3.4s, v4.4s; mrs x1, fpsr;"
          " msr fpsr, xzr; fmul v6.4s, v3.4s, v2.4s",
    "sqrt_vector": q(1, *s4(TWO, 0x80000000, 0xbf800000, 0x00000001)) + q(2, 0x4000000000000000, DSNAN_P)
        + "; fsqrt v0.4s, v1.4s; fsqrt v3.2d, v2.2d" + fpcr(1 << 22) + "; fsqrt v4.2s, v1.2s",
    "minmax_vector": q(1, *s4(0x80000000, QNAN_P, SNAN_P, ONE)) + q(2, *s4(0, TWO, ONE, 0x7fc00000))
        + "; fmax v0.4s, v1.4s, v2.4s; fmin v3.4s, v1.4s, v2.4s; fmaxnm v4.4s, v1.4s, v2.4s; fminnm v5.4s, v2.4s, v1.4s",
}


def main():
    lines = ["# name | snippet | x0..x7 q0..q7(hi:lo) nzcv fpsr: generated by src/test/python/simdfp_cases.py"
             " with qemu-aarch64-static -cpu cortex-a57"]
    with tempfile.TemporaryDirectory() as d:
        with open(d + "/main.c", "w") as f:
            f.write(base.MAIN)
        for name, snippet in CASES.items():
            snippet = snippet.lstrip("; ")
            with open(d + "/run.S", "w") as f:
                f.write(base.HEAD + "\n".join("    " + s.strip() for s in snippet.split(";")) + "\n" + base.TAIL)
            subprocess.run(["aarch64-linux-gnu-gcc", "-static", "-o", d + "/t", d + "/main.c", d + "/run.S"], check=True)
            r = subprocess.run(["qemu-aarch64-static", "-cpu", "cortex-a57", d + "/t"], capture_output=True, check=True)
            lines.append(f"{name} | {snippet} | {r.stdout.decode().strip()}")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
