package org.jvisor.lab;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jvisor.cpu.Esr;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;

/**
 * The cost of trapping: the same boot and programs of {@link TrapExperiment} under several trap sets
 * ({@code jvisor experiment traps --trap minimal --trap kvm --trap all}), side by side. The first set is
 * the baseline of the slowdowns. Tables as text and CSV, and a chart (exits by class and by exception
 * class on a log scale; boot and program times).
 */
public final class TrapComparison {
    private final List<TrapExperiment.Report> reports;

    public TrapComparison(List<TrapExperiment.Report> reports) {
        if (reports.isEmpty()) throw new IllegalArgumentException("no runs to compare");
        this.reports = List.copyOf(reports);
    }

    public List<TrapExperiment.Report> reports() { return reports; }

    private TrapExperiment.Totals base() { return reports.getFirst().totals(); }

    /** The exception classes any run exited with, in EC order. */
    private int[] ecs() {
        boolean[] seen = new boolean[64];
        for (TrapExperiment.Report r : reports) for (int ec = 0; ec < 64; ec++) seen[ec] |= r.totals().exitsByEc()[ec] != 0;
        return java.util.stream.IntStream.range(0, 64).filter(ec -> seen[ec]).toArray();
    }

    /** The tables: per trap set, per exception class, per trapped system register (the most trapped), per program. */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-20s %8s %8s %9s %9s %8s %11s %11s %10s %11s %12s%n", "trap set", "boot s", "total s",
                "boot cpu", "progs cpu", "cost", "CPU traps", "MEM traps", "IO traps", "all exits", "exits/cpu s"));
        for (TrapExperiment.Report r : reports) {
            TrapExperiment.Totals t = r.totals();
            long exits = t.exits();
            b.append(String.format(Locale.ROOT, "%-20s %8s %8.2f %9.2f %9.2f %7.2fx %,11d %,11d %,10d %,11d %,12.0f%n", clip(t.trapSet(), 20),
                    t.bootNanos() < 0 ? "-" : String.format(Locale.ROOT, "%.2f", t.bootNanos() / 1e9), t.wallNanos() / 1e9,
                    t.bootCpuNanos() / 1e9, programsCpu(r) / 1e9, (double) costNanos(r) / Math.max(1, costNanos(reports.getFirst())),
                    t.counters().cpu(), t.counters().mem(), t.counters().io(), exits, exits / Math.max(1e-9, t.cpuNanos() / 1e9)));
        }
        b.append("(boot: to the shell, saved for each program to start from, or, in one boot, to the first program; cpu: the\n"
                + " vCPU threads' CPU time (the processor and the hypervisor), which the host's other load barely moves, unlike\n"
                + " elapsed times; progs: the programs' that end by themselves, not a bomb's fixed seconds; cost: boot and\n"
                + " progs cpu against the first set's)\n");
        b.append('\n').append(String.format(Locale.ROOT, "%-24s", "exits by class (EC)"));
        for (TrapExperiment.Report r : reports) b.append(String.format(Locale.ROOT, " %14s", clip(r.totals().trapSet(), 14)));
        b.append('\n');
        for (int ec : ecs()) {
            b.append(String.format(Locale.ROOT, "%-24s", String.format(Locale.ROOT, "0x%02x %s", ec, Esr.ecName(ec))));
            for (TrapExperiment.Report r : reports) b.append(String.format(Locale.ROOT, " %,14d", r.totals().exitsByEc()[ec]));
            b.append('\n');
        }
        if (reports.stream().anyMatch(r -> r.totals().deprivileged().any())) {
            b.append('\n').append(String.format(Locale.ROOT, "%-24s", "kernel at EL0: EL1 exits"));
            for (TrapExperiment.Report r : reports) b.append(String.format(Locale.ROOT, " %14s", clip(r.totals().trapSet(), 14)));
            b.append('\n');
            row(b, "emulated instructions", r -> r.totals().deprivileged().emulatedTotal());
            row(b, "virtual exceptions", r -> r.totals().deprivileged().virtualExceptions());
            row(b, "shadow fills", r -> r.totals().deprivileged().shadowFills());
            row(b, "(virtual IRQs)", r -> r.totals().deprivileged().virtualInterrupts());
            for (String name : most(r -> r.totals().deprivileged().emulated()))
                row(b, "  " + name, r -> r.totals().deprivileged().emulated().getOrDefault(name, 0L));
        }
        List<String> regs = most(r -> r.totals().sysRegTraps());
        if (!regs.isEmpty()) {
            b.append('\n').append(String.format(Locale.ROOT, "%-24s", "EC 0x18 by register"));
            for (TrapExperiment.Report r : reports) b.append(String.format(Locale.ROOT, " %14s", clip(r.totals().trapSet(), 14)));
            b.append('\n');
            for (String name : regs) {
                b.append(String.format(Locale.ROOT, "%-24s", clip(name, 24)));
                for (TrapExperiment.Report r : reports)
                    b.append(String.format(Locale.ROOT, " %,14d", r.totals().sysRegTraps().getOrDefault(name, 0L)));
                b.append('\n');
            }
        }
        b.append('\n').append(String.format(Locale.ROOT, "%-16s", "cpu s, CPU traps"));
        for (TrapExperiment.Report r : reports) b.append(String.format(Locale.ROOT, " %22s", clip(r.totals().trapSet(), 22)));
        b.append('\n');
        for (int i = 0; i < reports.getFirst().results().size(); i++) {
            TrapExperiment.Result first = reports.getFirst().results().get(i);
            b.append(String.format(Locale.ROOT, "%-16s", clip(first.name() + (first.args().isEmpty() ? "" : " " + first.args()), 16)));
            for (TrapExperiment.Report r : reports) {
                if (i >= r.results().size()) {
                    b.append(String.format(Locale.ROOT, " %22s", "-"));
                    continue;
                }
                TrapExperiment.Result x = r.results().get(i);
                b.append(String.format(Locale.ROOT, " %9.3f s %,10d", x.cpuNanos() / 1e9, x.delta().cpu()));
            }
            b.append('\n');
        }
        return b.toString();
    }

    static final int TOP_SYSREGS = 12;

    /** A program that runs for a set time (the fork bomb) measures nothing of what trapping costs. */
    private static boolean timed(TrapExperiment.Result x) { return x.name().equals("bomb"); }

    private static long programsCpu(TrapExperiment.Report r) {
        long t = 0;
        for (TrapExperiment.Result x : r.results()) if (!timed(x)) t += x.cpuNanos();
        return t;
    }

    private static long costNanos(TrapExperiment.Report r) { return r.totals().bootCpuNanos() + programsCpu(r); }

    /** The names counted most in any run ({@code counts} of each), most first, at most {@link #TOP_SYSREGS}. */
    private List<String> most(java.util.function.Function<TrapExperiment.Report, java.util.Map<String, Long>> counts) {
        java.util.Map<String, Long> most = new java.util.HashMap<>();
        for (TrapExperiment.Report r : reports) counts.apply(r).forEach((k, v) -> most.merge(k, v, Math::max));
        return most.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()
                .thenComparing(java.util.Map.Entry.comparingByKey())).limit(TOP_SYSREGS).map(java.util.Map.Entry::getKey).toList();
    }

    private void row(StringBuilder b, String name, java.util.function.ToLongFunction<TrapExperiment.Report> value) {
        b.append(String.format(Locale.ROOT, "%-24s", clip(name, 24)));
        for (TrapExperiment.Report r : reports) b.append(String.format(Locale.ROOT, " %,14d", value.applyAsLong(r)));
        b.append('\n');
    }

    private static String clip(String s, int n) { return s.length() <= n ? s : s.substring(0, n - 1) + "~"; }

    /**
     * One row per trap set and trap class (kind {@code class}), exception class ({@code ec}) and trapped
     * system register ({@code sysreg}): {@code trap_set,boot_s,total_s,boot_cpu_s,cpu_s,kind,name,count}.
     */
    public String csv() {
        StringBuilder b = new StringBuilder("trap_set,boot_s,total_s,boot_cpu_s,cpu_s,kind,name,count\n");
        for (TrapExperiment.Report r : reports) {
            TrapExperiment.Totals t = r.totals();
            String head = String.format(Locale.ROOT, "%s,%.3f,%.3f,%.3f,%.3f,", TrapExperiment.Report.csvField(t.trapSet()),
                    t.bootNanos() / 1e9, t.wallNanos() / 1e9, t.bootCpuNanos() / 1e9, t.cpuNanos() / 1e9);
            b.append(head).append("class,CPU,").append(t.counters().cpu()).append('\n');
            b.append(head).append("class,MEM,").append(t.counters().mem()).append('\n');
            b.append(head).append("class,IO,").append(t.counters().io()).append('\n');
            for (int ec = 0; ec < 64; ec++) {
                if (t.exitsByEc()[ec] != 0) b.append(head).append("ec,").append(Esr.ecName(ec)).append(',').append(t.exitsByEc()[ec]).append('\n');
            }
            t.sysRegTraps().forEach((k, n) -> b.append(head).append("sysreg,").append(TrapExperiment.Report.csvField(k)).append(',').append(n).append('\n'));
        }
        return b.toString();
    }

    static final int WIDTH = 1200, HEIGHT = 420, HEADER = 40;

    /** Left: exits by exception class per trap set (log scale); right: the vCPUs' CPU time for the boot and in all, per set. */
    public void chart(Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage all = new BufferedImage(WIDTH, HEADER + HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEADER + HEIGHT);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("jvisor experiment traps: the same boot and programs under each trap set", 12, 26);
        g.drawImage(BitmapEncoder.getBufferedImage(exits()), 0, HEADER, null);
        g.drawImage(BitmapEncoder.getBufferedImage(times()), WIDTH * 2 / 3, HEADER, null);
        g.dispose();
        if (!ImageIO.write(all, "png", png.toFile())) throw new IOException("no PNG writer");
    }

    private static CategoryChart styled(CategoryChart c, String yFormat) {
        CategoryStyler st = c.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotGridVerticalLinesVisible(false);
        st.setYAxisDecimalPattern(yFormat);
        st.setXAxisLabelRotation(30);
        st.setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        return c;
    }

    private CategoryChart exits() {
        CategoryChart c = styled(new CategoryChartBuilder().width(WIDTH * 2 / 3).height(HEIGHT)
                .title("exits by exception class (log scale)").build(), "#,##0");
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setYAxisMin(1.0);
        int[] ecs = ecs();
        List<String> names = new ArrayList<>();
        for (int ec : ecs) names.add(Esr.ecName(ec));
        for (TrapExperiment.Report r : reports) {
            List<Double> y = new ArrayList<>();
            for (int ec : ecs) {
                long n = r.totals().exitsByEc()[ec];
                y.add(n > 0 ? (double) n : null);
            }
            c.addSeries(r.totals().trapSet(), names, y);
        }
        return c;
    }

    private CategoryChart times() {
        CategoryChart c = styled(new CategoryChartBuilder().width(WIDTH / 3).height(HEIGHT).title("vCPU CPU seconds").build(), "0.0");
        List<String> names = List.of("boot", "programs");
        for (TrapExperiment.Report r : reports) c.addSeries(r.totals().trapSet(), names, List.of(r.totals().bootCpuNanos() / 1e9, programsCpu(r) / 1e9));
        return c;
    }
}
