package org.jvisor.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/**
 * The chart's layout as docs/experiments.md describes it, read back from the PNG's pixels: one row per program,
 * its bars and its time series in the colours of the classes it has traps of (and only those), and a
 * 20 ms program's series spread over its row although a 60 s program ran after it.
 */
class TrapChartTest {
    static final int CPU = 0, MEM = 1, IO = 2;

    @Test
    void everyProgramHasItsOwnRowAndTimeAxis(@TempDir Path dir) throws Exception {
        List<TrapExperiment.Sample> samples = new ArrayList<>();
        samples.add(new TrapExperiment.Sample(10.00, 0, counters(0, 0, 0), "start short"));
        samples.add(new TrapExperiment.Sample(10.02, 0, counters(0, 0, 50), "end short"));
        samples.add(new TrapExperiment.Sample(11.00, 0, counters(0, 0, 60), "start long,60"));
        for (int i = 1; i < 600; i++) samples.add(new TrapExperiment.Sample(11 + i * 0.1, 0, counters(i / 200, i, 60 + 10L * i), ""));
        samples.add(new TrapExperiment.Sample(71.00, 0, counters(3, 1000, 6060), "end long,60"));
        List<TrapExperiment.Result> results = List.of(
                new TrapExperiment.Result("short", counters(0, 0, 50), 20_000_000L, 0, 0, 0, ""),
                new TrapExperiment.Result("long,60", counters(3, 1000, 6000), 60_000_000_000L, 0, 0, 0, ""));
        Path png = dir.resolve("traps.png");
        TrapChart.write(new TrapExperiment.Report(results, samples, "", 0, false, 64L << 20), png);

        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(TrapChart.WIDTH, img.getWidth());
        assertEquals(TrapChart.HEADER + 2 * TrapChart.ROW, img.getHeight());
        // row 0, the short program: IO traps only, in the bars and in the series
        assertEquals(List.of(false, false, true), present(img, 0, 0, TrapChart.BARS));
        assertEquals(List.of(false, false, true), present(img, 0, TrapChart.BARS, TrapChart.WIDTH));
        int[] span = span(img, 0, IO);
        assertTrue(span[1] - span[0] > 0.6 * (TrapChart.WIDTH - TrapChart.BARS), "the 20 ms series spans its row: " + span[0] + ".." + span[1]);
        // row 1, the long program: all three classes
        assertEquals(List.of(true, true, true), present(img, 1, 0, TrapChart.BARS));
        assertEquals(List.of(true, true, true), present(img, 1, TrapChart.BARS, TrapChart.WIDTH));
    }

    static TrapExperiment.Counters counters(long cpu, long mem, long io) { return new TrapExperiment.Counters(cpu, mem, io); }

    /** Whether row {@code row} has pixels of each class's colour between x0 and x1. */
    static List<Boolean> present(BufferedImage img, int row, int x0, int x1) {
        List<Boolean> r = new ArrayList<>();
        for (int k = 0; k < 3; k++) r.add(span(img, row, k, x0, x1)[1] >= 0);
        return r;
    }

    static int[] span(BufferedImage img, int row, int k) { return span(img, row, k, TrapChart.BARS, TrapChart.WIDTH); }

    /** The leftmost and rightmost x of class k's colour in the row between x0 and x1; {-1, -1} if none. */
    static int[] span(BufferedImage img, int row, int k, int x0, int x1) {
        int rgb = TrapChart.COLORS[k].getRGB(), lo = -1, hi = -1;
        for (int y = TrapChart.HEADER + row * TrapChart.ROW; y < TrapChart.HEADER + (row + 1) * TrapChart.ROW; y++) {
            for (int x = x0; x < x1; x++) {
                if (img.getRGB(x, y) != rgb) continue;
                if (lo < 0 || x < lo) lo = x;
                hi = Math.max(hi, x);
            }
        }
        return new int[] {lo, hi};
    }
}
