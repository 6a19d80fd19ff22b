#!/usr/bin/env python3
"""Regenerates src/test/resources/org/jvisor/cpu/dp-qemu-corpus.txt, the reference results that
DataProcessingCorpusTest replays on jvisor.

Each case is one data-processing instruction word and a 32-bit seed. The seed expands (splitmix64, as in
the test) into X0-X30, NZCV and SP; the instruction runs once under qemu-aarch64-static -cpu cortex-a57,
and the line records what changed (or UNDEF when QEMU raised SIGILL).

    python3 src/test/python/dp_corpus.py [ENCODED_CASES] [SPACE_CASES] [SEED]

Words come from the patterns of DataProcessingImmediate/DataProcessingRegister (fields random) and,
for the unallocated encodings, from anywhere in the two data-processing spaces. ADR/ADRP are left out:
their results depend on where the code runs.
"""
import os, random, re, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.join(ROOT, "src/test/resources/org/jvisor/cpu/dp-qemu-corpus.txt")
M64 = (1 << 64) - 1
EDGE = [0, 1, 2, M64, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
        0x8000000000000000, 0xffffffff80000000, 0xffffffff7fffffff, 31, 32, 63, 64]


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)


def value(g):
    v = g.next()
    kind = v & 7
    if kind <= 2: return EDGE[(v >> 8) % len(EDGE)]
    if kind == 3: return (v >> 8) & 63
    if kind == 4: return ((v >> 8) & 0xffffffff) | (0xffffffff00000000 if v >> 63 else 0)
    return g.next()


def state(seed):
    """X0-X30, NZCV, SP of a case (DataProcessingCorpusTest.state does the same)."""
    g = SplitMix64(seed)
    regs = [value(g) for _ in range(31)]
    return regs, g.next() & 15, value(g)


def patterns():
    pats = []
    for f in ["DataProcessingImmediate", "DataProcessingRegister"]:
        src = open(os.path.join(ROOT, "src/main/java/org/jvisor/cpu/%s.java" % f)).read()
        pats += re.findall(r'new Encoding\("[^"]*", "([01a-zA-Z_]{32})"', src)
    return [p.replace("_", "") for p in pats]


def encoded_word(rnd, pats):
    p = rnd.choice(pats)
    w = 0
    for i, ch in enumerate(p):
        if ch == "1" or (ch != "0" and rnd.getrandbits(1)): w |= 1 << (31 - i)
    if rnd.random() < 0.15: w |= 31          # Rd = XZR/SP
    if rnd.random() < 0.15: w |= 31 << 5     # Rn = XZR/SP
    return w


def space_word(rnd):
    w = rnd.getrandbits(32)
    if rnd.getrandbits(1): return (w & ~(0b111 << 26)) | (0b100 << 26)  # data processing, immediate
    return (w & ~(0b111 << 25)) | (0b101 << 25)                        # data processing, register


def build(cases, path):
    L = [".text", ".global _start", "_start:"]
    for i, (w, seed) in enumerate(cases):
        L += ["  adr x0, in%d" % i, "  ldr x1, [x0, #248]", "  msr nzcv, x1", "  ldr x1, [x0, #256]", "  mov sp, x1"]
        L += ["  ldp x%d, x%d, [x0, #%d]" % (r, r + 1, 8 * r) for r in range(2, 30, 2)]
        L += ["  ldr x30, [x0, #240]", "  ldp x0, x1, [x0]", "  .inst 0x%08x" % w, "  msr tpidr_el0, x0", "  adr x0, out"]
        L += ["  str x%d, [x0, #%d]" % (r, 8 * r) for r in range(1, 31)]
        L += ["  mrs x1, tpidr_el0", "  str x1, [x0]", "  mrs x1, nzcv", "  str x1, [x0, #248]", "  mov x1, sp",
              "  str x1, [x0, #256]", "  mov x1, x0", "  mov x0, #1", "  mov x2, #264", "  mov x8, #64", "  svc #0"]
    L += ["  mov x0, #0", "  mov x8, #93", "  svc #0", ".data", ".align 4", "out: .space 264"]
    for i, (w, seed) in enumerate(cases):
        regs, nzcv, sp = state(seed)
        L.append("in%d: .quad %s" % (i, ", ".join(str(r) for r in regs + [nzcv << 28, sp])))
    open(path + ".s", "w").write("\n".join(L) + "\n")
    subprocess.check_call(["aarch64-linux-gnu-as", "-o", path + ".o", path + ".s"])
    subprocess.check_call(["aarch64-linux-gnu-ld", "-static", "-o", path, path + ".o"])


def run_qemu(cases):
    """One result per case: None for SIGILL, else (regs, nzcv, sp)."""
    d = tempfile.mkdtemp()
    out, i = [], 0
    while i < len(cases):
        chunk = cases[i:i + 400]
        build(chunk, d + "/t")
        r = subprocess.run(["qemu-aarch64-static", "-cpu", "cortex-a57", d + "/t"], capture_output=True)
        k = len(r.stdout) // 264
        for j in range(k):
            v = struct.unpack_from("<33Q", r.stdout, 264 * j)
            out.append((list(v[:31]), v[31] >> 28, v[32]))
        i += k
        if k < len(chunk):
            if r.returncode != -4: raise SystemExit("QEMU stopped with %d: %s" % (r.returncode, r.stderr[:300]))
            out.append(None)
            i += 1
    return out


def main():
    n_enc = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    n_space = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    pats = patterns()
    cases = []
    for k in range(n_enc + n_space):
        w = encoded_word(rnd, pats) if k < n_enc else space_word(rnd)
        while (w >> 24) & 0x1f == 0x10: w = space_word(rnd)
        cases.append((w, rnd.getrandbits(32)))
    results = run_qemu(cases)
    with open(OUT, "w") as f:
        f.write("# word seed result: generated by src/test/python/dp_corpus.py with qemu-aarch64-static -cpu cortex-a57\n")
        for (w, seed), res in zip(cases, results):
            if res is None:
                f.write("%08x %08x UNDEF\n" % (w, seed))
                continue
            regs, nzcv, sp = res
            r0, n0, sp0 = state(seed)
            parts = ["nzcv=%x" % nzcv]
            if sp != sp0: parts.append("sp=%x" % sp)
            parts += ["x%d=%x" % (k, regs[k]) for k in range(31) if regs[k] != r0[k]]
            f.write("%08x %08x %s\n" % (w, seed, " ".join(parts)))


if __name__ == "__main__":
    main()
