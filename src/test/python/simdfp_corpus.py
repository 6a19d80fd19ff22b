#!/usr/bin/env python3
"""Regenerates src/test/resources/org/jvisor/cpu/simdfp-qemu-corpus.txt, the reference results that
SimdFloatCorpusTest replays on jvisor.

Each case is one Advanced SIMD floating-point instruction word and a 32-bit seed. The seed expands
(splitmix64, as in the test) into V0-V31 (edge values: signed zeros, infinities, NaNs with payloads,
denormals, ties, integer limits; moderate random values; random bits) and FPCR (RMode, FZ, DN, AHP); FPSR
starts at 0. The instruction runs once under qemu-aarch64-static -cpu cortex-a57 and the line records FPSR
and the V registers that changed (or UNDEF when QEMU raised SIGILL).

    python3 src/test/python/simdfp_corpus.py [ENCODED_CASES] [SPACE_CASES] [SEED]

Words come from the patterns of SimdFloat (fields random) and, for the unallocated and FEAT_FP16 encodings
around them, from those patterns with some fixed bits flipped; of those, only words that objdump names as
an FP instruction of the SimdFloat group (any arrangement) or does not know are kept, so that no other
group's instruction gets in.
"""
import os, random, re, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.join(ROOT, "src/test/resources/org/jvisor/cpu/simdfp-qemu-corpus.txt")
M64 = (1 << 64) - 1

F32 = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc12345,
       0xffc54321, 0x7f812345, 0xff800001, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff,
       0xff7fffff, 0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000, 0xbfc00000, 0x40400000, 0x4f000000,
       0xcf000000, 0x4f800000, 0x5f000000, 0xdf000000, 0x5f800000, 0x3eaaaaab, 0x3f7fffff, 0x00400000,
       0x4effffff, 0xceffffff, 0x4b7fffff, 0x40000000, 0x0001e240, 0x3c00_3c00, 0x7c00_fc00, 0x7e01_0001, 0x7d00_8001, 0x7bff_0400]
F64 = [0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000, 0x7ff0000000000000,
       0xfff0000000000000, 0x7ff8000000000000, 0x7ff8000000012345, 0xfff8000000054321, 0x7ff0000000012345,
       0xfff0000000000001, 0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000, 0x7fefffffffffffff,
       0x3fe0000000000000, 0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000, 0x41dfffffffc00000,
       0x41e0000000000000, 0xc1e0000000000000, 0x41f0000000000000, 0x43e0000000000000, 0xc3e0000000000000,
       0x43f0000000000000, 0x3fd5555555555555, 0x47efffffe0000000, 0x47efffff10000000, 0x36a0000000000000,
       0x3810000000000000, 0x380fffffffffffff, 0x0008000000000000, 0x4330000000000001, 0x7fffffffffffffff]


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)


def moderate32(w):
    """A float of magnitude 2^-8 to 2^24, so conversions and roundings have work to do."""
    return (w & 0x807fffff) | ((119 + ((w >> 23) & 31)) << 23)


def half(g):
    """64 bits of a V register."""
    v = g.next()
    kind = v & 7
    if kind <= 1: return F32[(v >> 8) % len(F32)] | (F32[(v >> 24) % len(F32)] << 32)
    if kind == 2: return F64[(v >> 8) % len(F64)]
    w = g.next()
    if kind == 3: return moderate32(w & 0xffffffff) | (moderate32(w >> 32) << 32)
    if kind == 4: return (w & 0x800fffffffffffff) | ((1015 + ((w >> 52) & 63)) << 52)
    if kind == 5: return (F32[(v >> 8) % len(F32)] << 32) | moderate32(w & 0xffffffff)
    return w


def state(seed):
    """V0-V31 as 64 halves (low first) and FPCR (SimdFloatCorpusTest.state does the same)."""
    g = SplitMix64(seed)
    v = [half(g) for _ in range(64)]
    r = g.next()
    fpcr = (r & 3 if (r >> 2) & 1 else 0) << 22
    if (r >> 3) & 3 == 0: fpcr |= 1 << 24  # FZ
    if (r >> 5) & 3 == 0: fpcr |= 1 << 25  # DN
    if (r >> 7) & 3 == 0: fpcr |= 1 << 26  # AHP
    return v, fpcr


def patterns():
    src = open(os.path.join(ROOT, "src/main/java/org/jvisor/cpu/simd/SimdFloat.java")).read()
    pats = re.findall(r'new Encoding\("[^"]*", "([01a-zA-Z_]{32,40})"', src)
    return [p.replace("_", "") for p in pats]


def encoded_word(rnd, p):
    w = 0
    for i, ch in enumerate(p):
        if ch == "1" or (ch != "0" and rnd.getrandbits(1)): w |= 1 << (31 - i)
    if p[11:16] == "mmmmm" and rnd.random() < 0.2:  # Vm = Vn: equal operands (x - x, compares of equals)
        w = (w & ~(31 << 16)) | (((w >> 5) & 31) << 16)
    return w


# Bits that may be flipped to reach the neighbours of an encoding (never bits [28:24], the class).
FLIP = [29, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10]
KEEP = {"fadd", "fsub", "fmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fmla", "fmls", "fabd", "fmulx",
        "frecps", "frsqrts", "fcmeq", "fcmge", "fcmgt", "fcmle", "fcmlt", "facge", "facgt", "fadd", "faddp",
        "fmaxp", "fminp", "fmaxnmp", "fminnmp", "fabs", "fneg", "fsqrt", "frintn", "frinta", "frintp", "frintm",
        "frintz", "frintx", "frinti", "fcvtns", "fcvtnu", "fcvtms", "fcvtmu", "fcvtas", "fcvtau", "fcvtps",
        "fcvtpu", "fcvtzs", "fcvtzu", "scvtf", "ucvtf", "frecpe", "frsqrte", "urecpe", "ursqrte", "frecpx",
        "fcvtl", "fcvtl2", "fcvtn", "fcvtn2", "fcvtxn", "fcvtxn2", "fmaxv", "fminv", "fmaxnmv", "fminnmv",
        # other extensions' FP encodings nearby, unallocated on cortex-a57
        "fmlal", "fmlal2", "fmlsl", "fmlsl2", "fcmla", "fcadd", "frint32x", "frint32z", "frint64x", "frint64z",
        "bfcvtn", "bfcvtn2", "bfdot", "bfmlalb", "bfmlalt", "bfmmla", ".inst"}


def space_word(rnd, pats):
    w = encoded_word(rnd, rnd.choice(pats))
    for _ in range(1 + rnd.getrandbits(1)): w ^= 1 << rnd.choice(FLIP)
    if rnd.getrandbits(2) == 0 and (w >> 24) & 0x1f == 0x0e: w ^= 1 << 21  # FP16 three-same lives at bit 21 = 0
    return w


def mnemonics(words):
    d = tempfile.mkdtemp()
    open(d + "/w.s", "w").write("".join("  .inst 0x%08x\n" % w for w in words))
    subprocess.check_call(["aarch64-linux-gnu-as", "-o", d + "/w.o", d + "/w.s"])
    out = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "-M", "no-aliases", d + "/w.o"], capture_output=True,
                         text=True).stdout
    names = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(\S+)", line)
        if m: names[int(m.group(2), 16)] = m.group(3)
    return names


def build(cases, path):
    L = [".text", ".global _start", "_start:"]
    for i, (w, seed) in enumerate(cases):
        L += ["  adr x0, in%d" % i, "  ldr x1, [x0, #512]", "  msr fpcr, x1", "  msr fpsr, xzr"]
        L += ["  ldp q%d, q%d, [x0, #%d]" % (r, r + 1, 16 * r) for r in range(0, 32, 2)]
        L += ["  .inst 0x%08x" % w, "  adr x0, out"]
        L += ["  stp q%d, q%d, [x0, #%d]" % (r, r + 1, 16 * r) for r in range(0, 32, 2)]
        L += ["  mrs x1, fpsr", "  str x1, [x0, #512]", "  mov x1, x0", "  mov x0, #1", "  mov x2, #520",
              "  mov x8, #64", "  svc #0"]
    L += ["  mov x0, #0", "  mov x8, #93", "  svc #0", ".data", ".align 4", "out: .space 528"]
    for i, (w, seed) in enumerate(cases):
        v, fpcr = state(seed)
        L.append(".align 4")
        L.append("in%d: .quad %s" % (i, ", ".join(str(r) for r in v + [fpcr, 0])))
    open(path + ".s", "w").write("\n".join(L) + "\n")
    subprocess.check_call(["aarch64-linux-gnu-as", "-o", path + ".o", path + ".s"])
    subprocess.check_call(["aarch64-linux-gnu-ld", "-static", "-o", path, path + ".o"])


def run_qemu(cases):
    """One result per case: None for SIGILL, else (64 halves of V0-V31, fpsr)."""
    d = tempfile.mkdtemp()
    out, i = [], 0
    while i < len(cases):
        chunk = cases[i:i + 300]
        build(chunk, d + "/t")
        r = subprocess.run(["qemu-aarch64-static", "-cpu", "cortex-a57", d + "/t"], capture_output=True)
        k = len(r.stdout) // 520
        for j in range(k):
            v = struct.unpack_from("<65Q", r.stdout, 520 * j)
            out.append((list(v[:64]), v[64]))
        i += k
        if k < len(chunk):
            if r.returncode != -4: raise SystemExit("QEMU stopped with %d: %s" % (r.returncode, r.stderr[:300]))
            out.append(None)
            i += 1
    return out


def main():
    n_enc = int(sys.argv[1]) if len(sys.argv) > 1 else 12000
    n_space = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    pats = patterns()
    words = [encoded_word(rnd, pats[k % len(pats)]) for k in range(n_enc)]
    space = [space_word(rnd, pats) for _ in range(4 * n_space)]
    names = mnemonics(space)
    words += [w for w in space if names.get(w) in KEEP][:n_space]
    cases = [(w, rnd.getrandbits(32)) for w in words]
    results = run_qemu(cases)
    with open(OUT, "w") as f:
        f.write("# word seed result: generated by src/test/python/simdfp_corpus.py with qemu-aarch64-static -cpu cortex-a57\n")
        for (w, seed), res in zip(cases, results):
            if res is None:
                f.write("%08x %08x UNDEF\n" % (w, seed))
                continue
            v, fpsr = res
            v0, _ = state(seed)
            parts = ["fpsr=%x" % fpsr]
            parts += ["v%d=%016x%016x" % (k, v[2 * k + 1], v[2 * k]) for k in range(32)
                      if v[2 * k] != v0[2 * k] or v[2 * k + 1] != v0[2 * k + 1]]
            f.write("%08x %08x %s\n" % (w, seed, " ".join(parts)))


if __name__ == "__main__":
    main()
