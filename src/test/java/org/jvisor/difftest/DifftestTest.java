package org.jvisor.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.jvisor.cpu.InstructionGroups;
import org.jvisor.cpu.Translation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Differential test of jvisor against QEMU user mode. The groups below are those on main that pass;
 * add a group here when it lands and passes ({@code ./jvisor difftest --groups NAME} shows its mismatches).
 */
class DifftestTest {
    /** Instruction groups checked in CI (see the class comment). */
    static final List<String> GROUPS = List.of("dp", "ls", "branch", "lse", "sys", "fp", "simd");

    @BeforeAll
    static void qemuIsInstalled() {
        QemuRunner.checkAvailable(); // fails with instructions: QEMU is the reference, nothing is skipped
    }

    @Test
    void tenThousandSequencesMatchQemu() {
        assertMatchesQemu(10_000, Translation.OFF);
    }

    /**
     * The same sequences through the translator, forced on every block: each must also have run translated,
     * every instruction it retired (the runner notes it otherwise, which is a mismatch).
     */
    @Test
    void theSameSequencesRunTranslatedMatchQemu() {
        assertMatchesQemu(10_000, Translation.FORCE);
    }

    private static void assertMatchesQemu(int count, Translation translation) {
        for (String g : GROUPS) assertTrue(!InstructionGroups.encodings(g).isEmpty(), "group " + g + " has no encodings");
        Difftest.Result r = new Difftest(new Difftest.Options(count, 20261121, GROUPS, 8, 500, 5, Difftest.JvisorRuns.PROGRAM,
                translation)).run();
        assertEquals(count, r.sequences());
        if (r.mismatches() != 0) {
            StringBuilder b = new StringBuilder(r.mismatches() + " mismatches (translation: " + translation + "):\n");
            for (Difftest.Mismatch m : r.reports()) b.append(m.report()).append('\n');
            fail(b.toString());
        }
    }

    @Test
    void anInjectedDifferenceIsReportedAndMinimised() {
        // jvisor "gets wrong" every sequence that contains an unconditional B: the report must show that one unit.
        Difftest d = new Difftest(new Difftest.Options(40, 7, List.of("branch"), 8, 500, 3));
        d.jvisorTamper = (s, o) -> {
            for (Unit u : s.units())
                if ((u.main().word() & 0xfc000000) == 0x14000000) {
                    long[] x = o.x().clone();
                    x[5] ^= 0x10;
                    return new Outcome(x, o.sp(), o.nzcv(), o.signal(), o.faultPc(), o.faultAddr(), o.memory(), o.note(), o.fp());
                }
            return o;
        };
        Difftest.Result r = d.run();
        assertTrue(r.mismatches() > 0, "some sequence has a B");
        Difftest.Mismatch m = r.reports().getFirst();
        assertEquals(1, m.minimalLength(), m.report());
        assertTrue(m.report().contains("[B]"), m.report());
        assertTrue(m.report().contains("x5: jvisor"), m.report());
    }

    @Test
    void anInjectedDifferenceInAVectorRegisterIsReportedAndMinimised() {
        // jvisor "gets wrong" V5 and FPSR after any SIMD&FP LDR (unsigned offset): the report shows that unit
        // and the initial FP state.
        Difftest d = new Difftest(new Difftest.Options(60, 11, List.of("simdls"), 8, 500, 2));
        d.jvisorTamper = (s, o) -> {
            for (Unit u : s.units())
                if ((u.main().word() & 0x3f400000) == 0x3d400000) {
                    long[] v = o.fp().v().clone();
                    v[11] ^= 1L << 63;
                    return new Outcome(o.x(), o.sp(), o.nzcv(), o.signal(), o.faultPc(), o.faultAddr(), o.memory(), o.note(),
                            new FpState(v, o.fp().fpcr(), o.fp().fpsr() | 0x10));
                }
            return o;
        };
        Difftest.Result r = d.run();
        assertTrue(r.mismatches() > 0, "some sequence has an LDR (SIMD&FP, unsigned offset)");
        Difftest.Mismatch m = r.reports().getFirst();
        assertEquals(1, m.minimalLength(), m.report());
        assertTrue(m.report().contains("ldr "), m.report());
        assertTrue(m.report().contains("v5: jvisor 0x8"), m.report());
        assertTrue(m.report().contains("fpsr: jvisor"), m.report());
        assertTrue(m.report().contains("fpcr "), m.report());
    }

    @Test
    void aSequenceThatBreaksAWholeBatchIsFoundAndReported() {
        // jvisor "crashes" on any batch holding a sequence with an unconditional B: bisection finds them.
        Difftest d = new Difftest(new Difftest.Options(60, 8, List.of("branch", "dp"), 6, 500, 2));
        d.jvisorTamper = (s, o) -> {
            for (Unit u : s.units())
                if ((u.main().word() & 0xfc000000) == 0x14000000) throw new IllegalStateException("boom");
            return o;
        };
        Difftest.Result r = d.run();
        assertTrue(r.mismatches() > 0 && r.mismatches() < 60, "mismatches: " + r.mismatches());
        Difftest.Mismatch m = r.reports().getFirst();
        assertEquals(1, m.minimalLength(), m.report());
        assertTrue(m.report().contains("jvisor failed: java.lang.IllegalStateException: boom"), m.report());
    }
}
