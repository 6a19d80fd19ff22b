package org.jvisor.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jvisor.cpu.Esr;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import org.jvisor.hyp.TrapConfig;
import org.jvisor.testing.BootsLinux;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's trap levels on Linux: with every trap control of the processor set (each trapped instruction
 * emulated by the hypervisor), the default guest's unmodified kernel boots and its programs print what they
 * print without traps (the same expectations as {@link TrapExperimentTest}, from the Arm ARM and the
 * programs' own arithmetic), and the traps the controls cause are there: FP/SIMD (CPTR_EL2.TFP) and
 * system-register traps (TVM/TRVM on every context switch, TTLB...).
 */
@BootsLinux
class TrapLevelsBootTest {
    @Test
    void theDefaultGuestBootsAndRunsItsProgramsUnderEveryTrap() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        TrapExperiment.Report r = new TrapExperiment(g, 512L << 20, 1, List.of("mem,16", "io,100", "divide"))
                .traps("all", TrapConfig.ALL).deadlines(900, 120).run(null);
        assertFalse(r.timedOut(), r.console());
        assertEquals(0, r.boardStatus(), r.console());
        assertEquals(3, r.results().size(), r.console());
        for (TrapExperiment.Result x : r.results()) assertEquals(0, x.status(), x.spec() + ": " + x.output());
        assertTrue(r.results().get(0).output().contains("mem: touched " + (16 << 20 >> 12) + " pages of 4096 bytes"), r.console());
        assertTrue(r.results().get(1).output().contains("io line 100\n"), r.console());
        assertTrue(r.results().get(2).output().contains("a = 50\nb = 0\nc = a/b = 0\n"), r.console());
        long[] ec = r.totals().exitsByEc();
        assertTrue(ec[Esr.EC_FP_ASIMD] > 1000, "every FP/SIMD instruction traps: " + ec[Esr.EC_FP_ASIMD]);
        assertTrue(ec[Esr.EC_SYS64] > 1000, "system registers and operations trap: " + ec[Esr.EC_SYS64]);
        assertTrue(r.totals().counters().cpu() >= ec[Esr.EC_FP_ASIMD] + ec[Esr.EC_SYS64]);
        assertEquals("all", r.totals().trapSet());
        assertTrue(r.totals().bootNanos() > 0 && r.totals().bootNanos() < r.totals().wallNanos());
    }
}
