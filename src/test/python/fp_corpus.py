#!/usr/bin/env python3
"""Regenerates src/test/resources/org/jvisor/cpu/fp-qemu-corpus.txt, the reference results that
FpCoreTest replays on FpCore.

Each case is one scalar FP instruction (named below), an FPCR value and up to three operand bit patterns.
A C program (generated here, one inline-assembly block per instruction) sets FPCR, clears FPSR, runs the
instruction under qemu-aarch64-static -cpu cortex-a57 and prints the result bits and FPSR.

    python3 src/test/python/fp_corpus.py [CASES_PER_OP_AND_FPCR] [SEED]
"""
import os, random, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.environ.get("FP_CORPUS_OUT") or os.path.join(ROOT, "src/test/resources/org/jvisor/cpu/fp-qemu-corpus.txt")

RN, RP, RM, RZ, FZ, DN, AHP = 0, 0x400000, 0x800000, 0xC00000, 0x1000000, 0x2000000, 0x4000000
FPCRS = [RN, RP, RM, RZ, FZ, DN, FZ | DN | RP, RZ | FZ]

# name -> (kind, operand sizes, result size, assembly); kinds: v = result in d0, x = result in x9,
# n = NZCV in x9; operands arrive in d0, d1, d2 (x9 for integer sources).
OPS = {}


def op(name, kind, sizes, asm):
    OPS[name] = (kind, sizes, asm)


for t, n in (("s", 32), ("d", 64)):
    for ins in ("fadd", "fsub", "fmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fmulx", "frecps", "frsqrts"):
        op(f"{ins}_{t}", "v", (n, n), f"{ins} {t}0, {t}0, {t}1")
    for ins in ("fcmeq", "fcmge", "fcmgt"):
        op(f"{ins}_{t}", "v", (n, n), f"{ins} {t}0, {t}0, {t}1")
    op(f"fmadd_{t}", "v", (n, n, n), f"fmadd {t}0, {t}0, {t}1, {t}2")
    for ins in ("fsqrt", "frintn", "frintp", "frintm", "frintz", "frinta", "frintx", "frinti",
                "frecpe", "frsqrte", "frecpx"):
        op(f"{ins}_{t}", "v", (n,), f"{ins} {t}0, {t}0")
    op(f"fcmp_{t}", "n", (n, n), f"fcmp {t}0, {t}1\n mrs x9, nzcv")
    op(f"fcmpe_{t}", "n", (n, n), f"fcmpe {t}0, {t}1\n mrs x9, nzcv")
    for r in "npmza":
        for u in "su":
            for w, iw in (("w", 32), ("x", 64)):
                op(f"fcvt{r}{u}_{w}{t}", "x", (n,), f"fcvt{r}{u} {w}9, {t}0")
    for u in "su":
        for w, iw in (("w", 32), ("x", 64)):
            for fb in (1, 17, iw):
                op(f"fcvtz{u}_{w}{t}_{fb}", "x", (n,), f"fcvtz{u} {w}9, {t}0, #{fb}")
            op(f"{u}cvtf_{t}{w}", "v", (iw,), f"{u}cvtf {t}0, {w}9")
            for fb in (1, 17, iw):
                op(f"{u}cvtf_{t}{w}_{fb}", "v", (iw,), f"{u}cvtf {t}0, {w}9, #{fb}")
for (to, tn), (fr, fn) in ((("s", 32), ("d", 64)), (("d", 64), ("s", 32)), (("h", 16), ("s", 32)),
                           (("s", 32), ("h", 16)), (("h", 16), ("d", 64)), (("d", 64), ("h", 16))):
    op(f"fcvt_{to}{fr}", "v", (fn,), f"fcvt {to}0, {fr}0")
op("fcvtxn_sd", "v", (64,), "fcvtxn s0, d0")
op("urecpe", "v", (32,), "urecpe v0.2s, v0.2s")
op("ursqrte", "v", (32,), "ursqrte v0.2s, v0.2s")

EDGE = {
    16: [0, 0x8000, 0x3C00, 0xBC00, 0x3E00, 0x4000, 0x7BFF, 0x0400, 0x0001, 0x03FF, 0x0200, 0x8001, 0x7C00,
         0xFC00, 0x7E00, 0x7E55, 0x7C01, 0xFD23, 0x3C01, 0x6400, 0x7FFF, 0xFFFF, 0x7BFE],
    32: [0, 0x80000000, 0x3F800000, 0xBF800000, 0x3FC00000, 0x40000000, 0x40400000, 0x3F000000,
         0x7F7FFFFF, 0xFF7FFFFF, 0x00800000, 0x00000001, 0x007FFFFF, 0x00400000, 0x80000001, 0x7F800000,
         0xFF800000, 0x7FC00000, 0x7FC12345, 0x7F800001, 0xFF812345, 0x3F800001, 0x4B000000, 0x4B7FFFFF,
         0x4F000000, 0xCF000000, 0x4F800000, 0x5F000000, 0xDF000000, 0x5F800000, 0x40200000, 0xC0200000,
         0x3E99999A, 0x3EFFFFFF, 0x3EAAAAAB, 0x7F000000, 0x00C00000, 0x477FE000, 0x477FF000, 0x33800000,
         0x387FC000, 0x38800000, 0x3F7FFFFF, 0x4EFFFFFF, 0xBF000000, 0x3FB00000],
    64: [0, 1 << 63, 0x3FF0000000000000, 0xBFF0000000000000, 0x3FF8000000000000, 0x4000000000000000,
         0x4008000000000000, 0x3FE0000000000000, 0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x0010000000000000,
         1, 0x000FFFFFFFFFFFFF, 0x0008000000000000, 0x8000000000000001, 0x7FF0000000000000,
         0xFFF0000000000000, 0x7FF8000000000000, 0x7FF8000012345678, 0x7FF0000000000001, 0xFFF0123456789ABC,
         0x3FF0000000000001, 0x4330000000000000, 0x433FFFFFFFFFFFFF, 0x41E0000000000000, 0xC1E0000000000000,
         0x41F0000000000000, 0x43E0000000000000, 0xC3E0000000000000, 0x43F0000000000000, 0x4004000000000000,
         0xC004000000000000, 0x3FD3333333333333, 0x3FDFFFFFFFFFFFFF, 0x3FD5555555555555, 0x7FE0000000000000,
         0x0018000000000000, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x36A0000000000000, 0x380FFFFFF0000000,
         0x3810000000000000, 0x3FEFFFFFFFFFFFFF, 0x41DFFFFFFFC00000, 0xC1E0000000200000, 0x3FF6000000000000,
         0x36A0000000000001, 0x3690000000000000],
}


def fmt(n):
    return {16: (5, 10), 32: (8, 23), 64: (11, 52)}[n]


def rand_value(rng, n, other=None):
    e, f = fmt(n)
    k = rng.random()
    if k < 0.3:
        return rng.choice(EDGE[n])
    if k < 0.4:
        return rng.getrandbits(n)
    sign = rng.getrandbits(1) << (n - 1)
    emax = (1 << e) - 1
    if k < 0.55:
        exp = rng.choice([0, 0, 1, 2, emax - 1, emax - 2, (emax >> 1) + rng.randint(-3, 3)])
        return sign | (exp << f) | rng.getrandbits(f)
    if k < 0.7:
        exp = rng.randint(1, emax - 1)
        frac = rng.getrandbits(f) & ~((1 << rng.randint(0, f)) - 1)
        return sign | (exp << f) | frac
    if k < 0.8:
        # Integral-ish and halfway values for rounding to integers.
        exp = (emax >> 1) + rng.randint(-2, f + 2)
        return sign | (min(max(exp, 1), emax - 1) << f) | (rng.getrandbits(6) << max(f - 8, 0))
    if other is not None and k < 0.93:
        oe = (other >> f) & emax
        if rng.random() < 0.5:
            # Near the other operand: cancellation, ties.
            v = (other & ((1 << (n - 1)) - 1)) + rng.randint(-3, 3)
            v &= (1 << (n - 1)) - 1
            return sign | v
        # Exponent so that products or quotients land near the ends of the range.
        bias = emax >> 1
        target = rng.choice([1, 2, 0, emax - 1, emax]) + rng.randint(-2, 2)
        exp = target - oe + bias if rng.random() < 0.5 else oe - target + bias
        exp = min(max(exp, 0), emax - 1)
        return sign | (exp << f) | rng.getrandbits(f)
    exp = rng.randint(1, emax - 1)
    return sign | (exp << f) | rng.getrandbits(f)


def to_float(bits, n):
    return struct.unpack("<d", struct.pack("<Q", bits))[0] if n == 64 else struct.unpack("<f", struct.pack("<I", bits))[0]


def to_bits(x, n):
    try:
        return struct.unpack("<Q", struct.pack("<d", x))[0] if n == 64 else struct.unpack("<I", struct.pack("<f", x))[0]
    except OverflowError:
        return EDGE[n][0]


def near_cancellation(rng, name, n, vals):
    """Operands whose product nearly cancels the addend (FMADD) or the constant 2 or 3 (FRECPS, FRSQRTS)."""
    a = to_float(vals[0], n)
    if a != a or a in (0.0, float("inf"), float("-inf")):
        return vals
    if name.startswith("fmadd"):
        c = to_bits(-(a * to_float(vals[1], n)), n)
        if c is None:
            return vals
        return [vals[0], vals[1], (c + rng.randint(-2, 2)) & ((1 << n) - 1)]
    k = 2.0 if name.startswith("frecps") else 3.0
    b = to_bits(k / a, n)
    return [vals[0], (b + rng.randint(-2, 2)) & ((1 << n) - 1)]


def int_value(rng, n):
    k = rng.random()
    if k < 0.3:
        return rng.choice([0, 1, 2, 3, (1 << (n - 1)) - 1, 1 << (n - 1), (1 << n) - 1, (1 << (n - 1)) + 1,
                           (1 << 24) + 1, (1 << 53) + 1 if n == 64 else 0x1000001, 0xFFFFFF, 0x7FFFFFC0])
    if k < 0.6:
        return rng.getrandbits(rng.randint(1, n))
    return rng.getrandbits(n)


C_HEAD = r"""
#include <stdio.h>
#include <string.h>
#include <stdint.h>
int main(void) {
  char name[64]; unsigned long long fpcr, a, b, c;
  while (scanf("%63s %llx %llx %llx %llx", name, &fpcr, &a, &b, &c) == 5) {
    uint64_t r = 0, fpsr = 0;
"""

C_TAIL = r"""
    else { printf("?\n"); continue; }
    printf("%llx %llx\n", (unsigned long long) r, (unsigned long long) fpsr);
  }
  return 0;
}
"""


def c_program():
    out = [C_HEAD]
    first = True
    for name, (kind, sizes, asm) in OPS.items():
        body = asm.replace("\n", "\\n")
        if kind == "v":
            tail = "fmov %[r], d0\\n"
        else:
            tail = "mov %[r], x9\\n"
        out.append(f'    {"if" if first else "else if"} (!strcmp(name, "{name}")) __asm__ volatile('
                   f'"msr fpcr, %[fpcr]\\n msr fpsr, xzr\\n fmov d0, %[a]\\n fmov d1, %[b]\\n fmov d2, %[c]\\n'
                   f' mov x9, %[a]\\n {body}\\n {tail} mrs %[fpsr], fpsr\\n msr fpcr, xzr\\n"'
                   ' : [r] "=&r"(r), [fpsr] "=&r"(fpsr) : [fpcr] "r"(fpcr), [a] "r"(a), [b] "r"(b), [c] "r"(c)'
                   ' : "x9", "v0", "v1", "v2", "cc");\n')
        first = False
    out.append(C_TAIL)
    return "".join(out)


def cases(per, seed):
    rng = random.Random(seed)
    result = []
    for name, (kind, sizes, asm) in OPS.items():
        fpcrs = FPCRS + ([AHP, AHP | RZ, AHP | DN] if name.startswith("fcvt_") and "h" in name else [])
        for fpcr in fpcrs:
            count = per if fpcr in (RN, FZ, RZ) else per // 2
            for _ in range(count):
                n = sizes[0]
                if "cvtf" in name:
                    a = int_value(rng, n)
                    vals = [a]
                else:
                    vals = []
                    for s in sizes:
                        vals.append(rand_value(rng, s, vals[0] if vals else None))
                if name.startswith(("fmadd", "frecps", "frsqrts")) and rng.random() < 0.4:
                    vals = near_cancellation(rng, name, n, vals)
                while len(vals) < 3:
                    vals.append(0)
                result.append((name, fpcr, vals[0], vals[1], vals[2]))
    return result


# Cases random operands rarely hit: results rounding up to the smallest normal (tininess is decided
# before rounding: UFC), exact cancellation (the zero's sign follows the rounding mode), halfway cases.
SPECIAL = [
    ("fmul_s", RN, 0x3F7FFFFF, 0x00800000, 0), ("fmul_s", RZ, 0x3F7FFFFF, 0x00800000, 0),
    ("fmul_d", RN, 0x3FEFFFFFFFFFFFFF, 0x0010000000000000, 0), ("fmul_s", RP, 0x3F7FFFFF, 0x00800001, 0),
    ("fdiv_s", RN, 0x00800000, 0x3F800001, 0), ("fdiv_d", RN, 0x0010000000000000, 0x3FF0000000000001, 0),
    ("fmadd_d", RN, 0x3FF8000000000000, 0x4000000000000000, 0xC008000000000000),
    ("fmadd_d", RM, 0x3FF8000000000000, 0x4000000000000000, 0xC008000000000000),
    ("fmadd_s", RM, 0x3FC00000, 0x40000000, 0xC0400000), ("fmadd_s", RN, 0x3F800001, 0x3F800001, 0xBF800002),
    ("fmadd_d", RN, 0x3FF0000000000001, 0x3FF0000000000001, 0xBFF0000000000002),
    ("fmadd_d", FZ, 0x0010000000000001, 0x3FE0000000000000, 0x8000000000000000),
    ("fadd_s", RM, 0x3F800000, 0xBF800000, 0), ("fsub_d", RM, 0x3FF0000000000000, 0x3FF0000000000000, 0),
    ("fadd_s", RN, 0x4B800000, 0x3F800000, 0), ("fadd_s", RN, 0x4B800001, 0x3F800000, 0),
    ("fsqrt_d", RN, 0x0000000000000001, 0, 0), ("fsqrt_s", RP, 0x40000000, 0, 0), ("fsqrt_s", RM, 0x40000000, 0, 0),
    ("fcvt_hd", RN, 0x40EFFE0000000000, 0, 0), ("fcvt_hd", RZ, 0x40EFFE0000000000, 0, 0),
    ("fcvt_hd", AHP, 0x40FFFF0000000000, 0, 0), ("fcvt_hs", RN, 0x33000000, 0, 0), ("fcvt_hs", RN, 0x33000001, 0, 0),
    ("fcvtxn_sd", RN, 0x47EFFFFFF0000000, 0, 0), ("fcvtxn_sd", RN, 0x3FF0000000000001, 0, 0),
    ("fcvtzs_xd", RN, 0xC3E0000000000000, 0, 0), ("fcvtzs_xd", RN, 0x43E0000000000000, 0, 0),
    ("fcvtzu_xd", RN, 0x43EFFFFFFFFFFFFF, 0, 0), ("fcvtzu_xd", RN, 0xBFEFFFFFFFFFFFFF, 0, 0),
    ("fcvtns_wd", RN, 0xC1E0000000100000, 0, 0), ("fcvtas_wd", RN, 0xC1E0000000100000, 0, 0),
    ("fcvtnu_ws", RN, 0xBF000000, 0, 0), ("fcvtmu_ws", RN, 0xBF000000, 0, 0),
]


def main():
    per = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    cs = cases(per, seed) + SPECIAL
    with tempfile.TemporaryDirectory() as d:
        with open(d + "/t.c", "w") as f:
            f.write(c_program())
        subprocess.run(["aarch64-linux-gnu-gcc", "-O1", "-static", "-o", d + "/t", d + "/t.c"], check=True)
        inp = "".join(f"{n} {p:x} {a:x} {b:x} {c:x}\n" for n, p, a, b, c in cs)
        r = subprocess.run(["qemu-aarch64-static", "-cpu", "cortex-a57", d + "/t"], input=inp.encode(),
                           capture_output=True, check=True)
    lines = r.stdout.decode().splitlines()
    assert len(lines) == len(cs), (len(lines), len(cs))
    with open(OUT, "w") as f:
        f.write("# op fpcr a b c result fpsr: generated by src/test/python/fp_corpus.py "
                "with qemu-aarch64-static -cpu cortex-a57\n")
        for (n, p, a, b, c), line in zip(cs, lines):
            assert line != "?", n
            f.write(f"{n} {p:x} {a:x} {b:x} {c:x} {line}\n")
    print(len(cs), "cases")


if __name__ == "__main__":
    main()
