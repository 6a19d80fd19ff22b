package org.jvisor.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jvisor.cpu.Esr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison's tables, CSV and chart from two made-up runs: slowdowns against the first, every EC any run had. */
class TrapComparisonTest {
    private static TrapExperiment.Report report(String set, long bootMs, long wallMs, long fp, long sys, long dabt) {
        long[] ec = new long[64];
        ec[Esr.EC_FP_ASIMD] = fp;
        ec[Esr.EC_SYS64] = sys;
        ec[Esr.EC_DABT_LOW] = dabt;
        var results = List.of(new TrapExperiment.Result("mem,64", new TrapExperiment.Counters(fp + sys, dabt, 0), wallMs * 1_000_000L / 2, 0, 0, 0, "", wallMs * 100_000L),
                new TrapExperiment.Result("bomb,10", new TrapExperiment.Counters(0, 0, 0), 10_000_000_000L, 0, 0, 0, "", 9_000_000_000L));
        return new TrapExperiment.Report(results, List.of(), "", 0, false, 64L << 20,
                new TrapExperiment.Totals(set, bootMs * 1_000_000L, wallMs * 1_000_000L, bootMs * 900_000L, wallMs * 800_000L, new TrapExperiment.Counters(fp + sys, dabt, 10), ec,
                        sys == 0 ? java.util.Map.of() : java.util.Map.of("SCTLR_EL1", sys / 4, "TTBR0_EL1", sys - sys / 4)));
    }

    @Test
    void tablesCsvAndChart(@TempDir Path dir) throws Exception {
        TrapComparison c = new TrapComparison(List.of(report("kvm", 16_000, 20_000, 0, 0, 1000), report("all", 38_000, 50_000, 800, 400, 1001)));
        String t = c.table();
        // cost: boot cpu + the programs' but the bomb's: (14.4 + 2.0) and (34.2 + 5.0)
        assertTrue(t.contains("kvm                     16.00    20.00     14.40      2.00    1.00x"), t);
        assertTrue(t.contains("all                     38.00    50.00     34.20      5.00    2.39x       1,200       1,001         10       2,201"), t);
        assertTrue(t.contains("0x07 FP_ASIMD                         0            800"), t);
        assertTrue(t.contains("0x18 SYS64                            0            400"), t);
        assertTrue(t.contains("mem 64               2.000 s          0     5.000 s      1,200"), t);
        assertTrue(t.contains("TTBR0_EL1                             0            300\nSCTLR_EL1                             0            100\n"), t);
        assertEquals(1 + 2 * 3 + 1 + 3 + 2, c.csv().lines().count(), c.csv());
        assertTrue(c.csv().contains("all,38.000,50.000,34.200,40.000,sysreg,TTBR0_EL1,300\n"), c.csv());
        assertTrue(c.csv().contains("all,38.000,50.000,34.200,40.000,ec,SYS64,400\n"), c.csv());
        assertTrue(!t.contains("kernel at EL0"), "no deprivileged run, no table for it");
        Path png = dir.resolve("compare.png");
        c.chart(png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(TrapComparison.WIDTH, img.getWidth());
        assertEquals(TrapComparison.HEADER + TrapComparison.HEIGHT, img.getHeight());
    }

    @Test
    void aDeprivilegedRunCountsItsExitsToEl1() {
        TrapExperiment.Report kvm = report("kvm", 16_000, 20_000, 0, 0, 1000);
        long[] ec = new long[64];
        ec[Esr.EC_DABT_LOW] = 1000 + 300 + 700; // stage 2, and the EL1 exits: faults delivered or filled
        ec[Esr.EC_UNKNOWN] = 700; // the emulated instructions
        var d = new TrapExperiment.Deprivileged(java.util.Map.of("MRS SP_EL0", 500L, "ERET", 200L), 300, 40, 700);
        TrapExperiment.Report tae = new TrapExperiment.Report(kvm.results(), List.of(), "", 0, false, 64L << 20,
                new TrapExperiment.Totals("deprivileged", 20_000_000_000L, 25_000_000_000L, 18_000_000_000L, 20_000_000_000L,
                        new TrapExperiment.Counters(1000, 1000, 10), ec, java.util.Map.of(), d));
        String t = new TrapComparison(List.of(tae, kvm)).table();
        assertTrue(t.contains("deprivileged") && t.contains("      2,700 "), t);
        assertTrue(t.contains("kernel at EL0: EL1 exits"), t);
        assertTrue(t.matches("(?s).*\\nemulated instructions +700 +0\\n.*"), t);
        assertTrue(t.matches("(?s).*\\nvirtual exceptions +300 +0\\n.*"), t);
        assertTrue(t.matches("(?s).*\\nshadow fills +700 +0\\n.*"), t);
        assertTrue(t.matches("(?s).*\n  MRS SP_EL0 +500 +0\n.*"), t);
    }
}
