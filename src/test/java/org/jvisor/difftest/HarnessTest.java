package org.jvisor.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvisor.cpu.InstructionGroups;
import org.jvisor.cpu.Translation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The harness itself: its hand-written encodings, and outcomes that QEMU and jvisor must agree on. */
class HarnessTest {
    /** The processors' mode: the process default, so that a run of the tests with -Djvisor.translate=force translates here too. */
    private static final Translation MODE = Translation.processDefault();

    @BeforeAll
    static void qemu() {
        QemuRunner.checkAvailable();
    }

    @Test
    void handWrittenEncodingsDisassembleAsIntended() {
        int[] w = {A64.movz(3, 0x1234, 1), A64.movk(30, 0xffff, 0), A64.addImm(31, 1, 0), A64.addImm(1, 31, 0),
                A64.ldr(5, 0, 248), A64.str(1, 0, 528), A64.ldp(2, 3, 0, 16), A64.stp(29, 30, 0, 504),
                A64.ldp(5, 6, 4, 224), A64.mrsNzcv(1), A64.msrNzcv(1), A64.mrsTpidrEl0(1), A64.msrTpidrEl0(31),
                A64.CLREX, A64.SVC0, A64.RET, A64.NOP, A64.ldrQ(31, 0, 1104), A64.strQ(5, 3, 576), A64.ldrW(5, 2, 476),
                A64.mrsFpcr(1), A64.msrFpcr(1), A64.mrsFpsr(2), A64.msrFpsr(2), A64.MRS_XZR_CNTVCT, A64.b(0xf00), A64.b(4)};
        String[] want = {"mov x3, #0x12340000", "movk x30, #0xffff", "mov sp, x1", "mov x1, sp", "ldr x5, [x0, #248]",
                "str x1, [x0, #528]", "ldp x2, x3, [x0, #16]", "stp x29, x30, [x0, #504]", "ldp x5, x6, [x4, #224]",
                "mrs x1, nzcv", "msr nzcv, x1", "mrs x1, tpidr_el0", "msr tpidr_el0, xzr", "clrex", "svc #0x0", "ret", "nop",
                "ldr q31, [x0, #1104]", "str q5, [x3, #576]", "ldr w5, [x2, #476]", "mrs x1, fpcr", "msr fpcr, x1",
                "mrs x2, fpsr", "msr fpsr, x2", "mrs xzr, cntvct_el0", "b 0x1f64", "b 0x106c"};
        String[] got = Disassembler.disassemble(w, 0x1000);
        for (int i = 0; i < w.length; i++) assertEquals(want[i], got[i].replaceAll("\\s*//.*", "").replaceAll("\\s+", " "), "word " + i);
    }

    private static Sequence seq(Profile p, int... words) {
        long[] x = new long[31];
        for (int k = 0; k < 31; k++) x[k] = 0x1111111111111111L * (k % 16) + k;
        byte[] scratch = new byte[Layout.SCRATCH_SIZE];
        for (int i = 0; i < scratch.length; i++) scratch[i] = (byte) (i * 7);
        List<Unit> units = new ArrayList<>();
        for (int w : words) units.add(new Unit("test", List.of(Insn.fixed(w))));
        return new Sequence(x, 512, 0b1010, scratch, units, p);
    }

    private static List<Outcome> qemu(Layout l) throws Exception {
        return new QemuRunner.Run(l, l.seqs.getFirst().profile()).outcomes();
    }

    @Test
    void emptySequenceKeepsTheInitialStateOnBothSides() throws Exception {
        Sequence s = seq(Profile.A57);
        Layout l = new Layout(List.of(s, s));
        List<Outcome> q = qemu(l), j = JvisorRunner.run(l, Profile.A57, MODE);
        for (int i = 0; i < 2; i++) {
            assertEquals(List.of(), Comparison.diff(j.get(i), q.get(i), l.recAddr[i], l.initialRecord(i)));
            for (int k = 0; k < 31; k++) assertEquals(s.x()[k], q.get(i).x()[k], "QEMU x" + k);
            assertEquals(l.scratchAddr(i) + 512, q.get(i).sp());
            assertEquals(0b1010, q.get(i).nzcv());
            assertEquals(0, q.get(i).signal());
        }
    }

    @Test
    void faultsBecomeSignalsWithTheRegistersAtTheFault() throws Exception {
        int movz = A64.movz(7, 0x42, 0), brk = 0xd4200000 | 3 << 5, udf = 0x00000000;
        List<Sequence> seqs = List.of(seq(Profile.A57, movz, brk, A64.movz(8, 1, 0)), seq(Profile.A57, udf, movz),
                seq(Profile.A57, movz));
        Layout l = new Layout(seqs);
        List<Outcome> q = qemu(l), j = JvisorRunner.run(l, Profile.A57, MODE);
        assertEquals(Outcome.SIGTRAP, q.get(0).signal());
        assertEquals(l.seqStart[0] + 4, q.get(0).faultPc());
        assertEquals(0x42, q.get(0).x()[7]);
        assertEquals(seqs.get(0).x()[8], q.get(0).x()[8]);
        assertEquals(0b1010, q.get(0).nzcv());
        assertEquals(Outcome.SIGILL, q.get(1).signal());
        assertEquals(l.seqStart[1], q.get(1).faultPc());
        assertEquals(0, q.get(2).signal(), "the sequence after a fault runs normally");
        assertEquals(0x42, q.get(2).x()[7]);
        for (int i = 0; i < 3; i++)
            assertEquals(List.of(), Comparison.diff(j.get(i), q.get(i), l.recAddr[i], l.initialRecord(i)), "sequence " + i);
    }

    @Test
    void segmentsHaveTheirElfPermissionsOnBothSides() throws Exception {
        // A store into the code segment, a jump into the data segment, unaligned loads and DC ZVA (Normal memory).
        Sequence storeToCode = seq(Profile.A57).withUnits(List.of(new Unit("t", List.of(
                new Insn(A64.movz(0, 0, 0), Insn.Fix.CODE_LO, 0), new Insn(A64.movk(0, 0, 1), Insn.Fix.CODE_HI, 0),
                Insn.fixed(A64.str(1, 0, 0))))));
        Sequence jumpToData = seq(Profile.A57).withUnits(List.of(new Unit("t", List.of(
                new Insn(A64.movz(2, 0, 0), Insn.Fix.DATA_LO, 64), new Insn(A64.movk(2, 0, 1), Insn.Fix.DATA_HI, 64),
                Insn.fixed(0xd61f0040)))));
        Sequence normalMemory = seq(Profile.A57).withUnits(List.of(new Unit("t", List.of(
                new Insn(A64.movz(3, 0, 0), Insn.Fix.DATA_LO, 101), new Insn(A64.movk(3, 0, 1), Insn.Fix.DATA_HI, 101),
                Insn.fixed(0xf8400064), // ldur x4, [x3]
                Insn.fixed(0xd50b7423))))); // dc zva, x3
        List<Sequence> seqs = List.of(storeToCode, jumpToData, normalMemory);
        Layout l = new Layout(seqs);
        List<Outcome> q = qemu(l), j = JvisorRunner.run(l, Profile.A57, MODE);
        assertEquals(Outcome.SIGSEGV, q.get(0).signal());
        assertEquals(l.seqStart[0], q.get(0).faultAddr());
        assertEquals(Outcome.SIGSEGV, q.get(1).signal());
        assertEquals(l.scratchAddr(1) + 64, q.get(1).faultPc());
        assertEquals(0, q.get(2).signal());
        for (int i = 0; i < 3; i++)
            assertEquals(List.of(), Comparison.diff(j.get(i), q.get(i), l.recAddr[i], l.initialRecord(i)), "sequence " + i);
    }

    @Test
    void theProbePageIsReadableAndALoadPastItsEndFaultsAtTheBoundary() throws Exception {
        int[] base = A64.mov32(3, Layout.PROBE_BASE + 0xffc);
        Sequence s = seq(Profile.A57, base[0], base[1], 0xb85fc065 /* ldur w5, [x3, #-4] */, 0xf9400064 /* ldr x4, [x3] */);
        Layout l = new Layout(List.of(s));
        Outcome q = qemu(l).getFirst();
        byte[] probe = Layout.probeBytes();
        long want = 0;
        for (int k = 3; k >= 0; k--) want = want << 8 | (probe[0xff8 + k] & 0xff);
        assertEquals(want, q.x()[5]);
        assertEquals(Outcome.SIGSEGV, q.signal());
        assertEquals(Layout.PROBE_BASE + 0x1000, q.faultAddr());
        Outcome j = JvisorRunner.run(l, Profile.A57, MODE).getFirst(), p = ProgramRunner.run(l, Profile.A57, MODE).getFirst();
        assertEquals(List.of(), Comparison.diff(j, q, l.recAddr[0], l.initialRecord(0)));
        assertEquals(List.of(), Comparison.diff(p, q, l.recAddr[0], l.initialRecord(0)));
    }

    @Test
    void aSignalFrameNeverLandsInTheDataWhereverSpPoints() throws Exception {
        // SP moved past the records, where a signal stack that followed the data segment would begin.
        Sequence s = seq(Profile.A57, 0x914007ff /* add sp, sp, #1, lsl #12 */, 0 /* udf */);
        Layout l = new Layout(List.of(s));
        List<Outcome> q = qemu(l), j = JvisorRunner.run(l, Profile.A57, MODE);
        assertEquals(Outcome.SIGILL, q.get(0).signal());
        assertEquals(List.of(), Comparison.diff(j.get(0), q.get(0), l.recAddr[0], l.initialRecord(0)));
        assertTrue(java.util.Arrays.equals(l.initialRecord(0), q.get(0).memory()));
    }

    @Test
    void theWholeProgramInJvisorAgreesWithTheSequencesRunAlone() throws Exception {
        // ProgramRunner emulates Linux (system calls, signal frames, sigreturn); JvisorRunner does the harness's
        // work in Java. Same outcomes for sequences that fault in every way show the emulation is faithful.
        Map<String, List<org.jvisor.cpu.Encoding>> tables = new LinkedHashMap<>();
        for (String g : List.of("dp", "ls", "branch", "sys")) tables.put(g, InstructionGroups.encodings(g));
        Generator gen = new Generator(99, tables, Profile.A57);
        List<Sequence> seqs = new ArrayList<>();
        for (int i = 0; i < 400; i++) seqs.add(gen.next(8));
        Layout l = new Layout(seqs);
        List<Outcome> program = ProgramRunner.run(l, Profile.A57, MODE), alone = JvisorRunner.run(l, Profile.A57, MODE);
        java.util.Set<Integer> signals = new java.util.TreeSet<>();
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(List.of(), Comparison.diff(program.get(i), alone.get(i), l.recAddr[i], l.initialRecord(i)), "sequence " + i);
            signals.add(program.get(i).signal());
        }
        assertEquals(java.util.Set.of(0, Outcome.SIGILL, Outcome.SIGTRAP, Outcome.SIGBUS, Outcome.SIGSEGV), signals);
    }

    @Test
    void fpStateGoesInAndComesOutOnBothSidesWithAndWithoutAFault() throws Exception {
        // FP/SIMD batches: V0-V31, FPCR and FPSR set before the sequence and saved after it, or taken from the
        // signal frame's fpsimd_context at a fault. Only integer and FPCR/FPSR moves run here.
        FpValues values = new FpValues(new java.util.Random(5));
        int msrFpcr = A64.msrFpcr(3), mrsFpsr = A64.mrsFpsr(4), udf = 0;
        List<Sequence> seqs = new ArrayList<>();
        for (int[] words : new int[][] {{}, {mrsFpsr}, {msrFpcr, udf}, {udf}}) {
            Sequence s = seq(Profile.A57, words).withFp(values.state());
            long[] x = s.x().clone();
            x[3] = 0x03c00000L; // RMode 3, FZ, DN
            seqs.add(s.withX(x));
        }
        Layout l = new Layout(seqs);
        List<Outcome> q = qemu(l);
        for (int i = 0; i < seqs.size(); i++) {
            FpState in = seqs.get(i).fp(), out = q.get(i).fp();
            assertTrue(java.util.Arrays.equals(in.v(), out.v()), "QEMU V registers, sequence " + i);
            assertEquals(i == 2 ? 0x03c00000 : in.fpcr(), out.fpcr(), "QEMU FPCR, sequence " + i);
            assertEquals(in.fpsr(), out.fpsr(), "QEMU FPSR, sequence " + i);
        }
        assertEquals(seqs.get(1).fp().fpsr(), q.get(1).x()[4]);
        assertEquals(Outcome.SIGILL, q.get(2).signal());
        List<Outcome> alone = JvisorRunner.run(l, Profile.A57, MODE);
        for (int i = 0; i < seqs.size(); i++)
            assertEquals(List.of(), Comparison.diff(alone.get(i), q.get(i), l.recAddr[i], l.initialRecord(i)), "sequence " + i);
        if (ProgramRunner.canRunFpHarness()) {
            List<Outcome> program = ProgramRunner.run(l, Profile.A57, MODE);
            for (int i = 0; i < seqs.size(); i++)
                assertEquals(List.of(), Comparison.diff(program.get(i), q.get(i), l.recAddr[i], l.initialRecord(i)), "sequence " + i);
        }
        // A difference in a V register or FPSR is reported.
        Outcome o = q.get(0);
        FpState changed = o.fp().withV(7, 1, 2).withFpsr(o.fp().fpsr() ^ 0x10);
        List<String> d = Comparison.diff(new Outcome(o.x(), o.sp(), o.nzcv(), 0, 0, 0, o.memory(), null, changed), o,
                l.recAddr[0], l.initialRecord(0));
        assertEquals(2, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("v7: jvisor 0x0000000000000002_0000000000000001, QEMU"), d.get(0));
        assertTrue(d.get(1).startsWith("fpsr: jvisor"), d.get(1));
    }

    @Test
    void anFpInstructionsResultAndFlagsAreCompared() throws Exception {
        // fadd d0, d1, d2 with 1.0 + 2^-60 rounded towards +infinity: the next double above 1.0, and IXC.
        Sequence s = seq(Profile.A57, 0x1e622820);
        long[] v = new long[64];
        v[2] = 0x3ff0000000000000L;
        v[4] = 0x3c30000000000000L;
        v[1] = -1; // the top half of V0 is zeroed by the scalar write
        s = s.withFp(new FpState(v, 1 << 22, 0));
        Layout l = new Layout(List.of(s));
        Outcome q = qemu(l).getFirst();
        assertEquals(0x3ff0000000000001L, q.fp().v()[0]);
        assertEquals(0, q.fp().v()[1]);
        assertEquals(0x10, q.fp().fpsr());
        Outcome j = JvisorRunner.run(l, Profile.A57, MODE).getFirst();
        assertEquals(List.of(), Comparison.diff(j, q, l.recAddr[0], l.initialRecord(0)));
    }

    @Test
    void aDifferenceInAnyPartOfTheStateIsReported() {
        long[] x = new long[31];
        byte[] m = new byte[Layout.SCRATCH_SIZE];
        Outcome a = new Outcome(x, 0x100, 4, 0, 0, 0, m, null);
        assertEquals(List.of(), Comparison.diff(a, a, 0x1000, m));
        long[] x2 = x.clone();
        x2[30] = -1;
        byte[] m2 = m.clone();
        m2[17] = 1;
        List<String> d = Comparison.diff(new Outcome(x2, 0x108, 5, 0, 0, 0, m2, null), a, 0x1000, m);
        assertEquals(4, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("x30: jvisor 0xffffffffffffffff, QEMU 0x0000000000000000"), d.get(0));
        assertTrue(d.get(1).startsWith("sp:"), d.get(1));
        assertTrue(d.get(2).equals("nzcv: jvisor nZcV, QEMU nZcv"), d.get(2));
        assertTrue(d.get(3).startsWith("mem[0x0000000000001010]: jvisor 0x0000000000000100"), d.get(3));
        List<String> sig = Comparison.diff(new Outcome(x, 0x100, 4, Outcome.SIGSEGV, 0x400000, 0x10, m, null), a, 0x1000, m);
        assertEquals(List.of("signal: jvisor SIGSEGV at pc 0x0000000000400000 (address 0x0000000000000010), QEMU none"), sig);
    }
}
