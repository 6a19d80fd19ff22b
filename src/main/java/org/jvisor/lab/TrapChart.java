package org.jvisor.lab;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import javax.imageio.ImageIO;

import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The experiment's picture, one row per program: on the left its CPU, MEM and IO traps as bars on one
 * logarithmic scale shared by all rows (the counts are in the bars' labels, zeros too); on the right how
 * they accrued during its run: each class's traps since the program's start as a share of its total, over
 * the seconds since its start, with the start and the end marked and a dot at each sample of the trace.
 * Each row has its own time axis, so a long program (the bomb) does not squeeze the short ones. Counters
 * are summed over the vCPUs. Drawn headless with XChart.
 */
public final class TrapChart {
    static final int WIDTH = 1200, HEADER = 64, ROW = 150, BARS = 360;
    private static final String[] CLASSES = {"CPU", "MEM", "IO"};
    static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 13), TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    private TrapChart() {}

    /** One program's run as the trace saw it: the summed counters at each sampling instant from its start to its end. */
    private record Run(TrapExperiment.Result result, double start, double end, boolean ended, List<Double> times, List<long[]> counts) {}

    public static void write(TrapExperiment.Report report, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Run> runs = runs(report);
        long most = 1;
        for (Run r : runs) most = Math.max(most, Math.max(r.result.delta().cpu(), Math.max(r.result.delta().mem(), r.result.delta().io())));
        double top = Math.pow(10, Math.ceil(Math.log10(most + 1)));

        BufferedImage all = new BufferedImage(WIDTH, HEADER + ROW * Math.max(1, runs.size()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, all.getWidth(), all.getHeight());
        header(g, report, runs.size());
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            g.drawImage(BitmapEncoder.getBufferedImage(bars(r, top)), 0, HEADER + i * ROW, null);
            g.drawImage(BitmapEncoder.getBufferedImage(series(r)), BARS, HEADER + i * ROW, null);
        }
        g.dispose();
        if (!ImageIO.write(all, "png", png.toFile())) throw new IOException("no PNG writer");
    }

    private static void header(Graphics2D g, TrapExperiment.Report report, int programs) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(String.format(Locale.ROOT, "jvisor experiment traps: %d program%s, guest RAM %d MiB, counters of all vCPUs",
                programs, programs == 1 ? "" : "s", report.guestRamBytes() >> 20), 12, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("Left: each program's CPU, MEM and IO traps (log scale, the same in every row). Right: how they accrued, as the share", 12, 44);
        g.drawString("of each class counted so far, over the program's own run time (start and end: the grey lines; dots: the trace's samples).", 12, 60);
        int x = WIDTH - 330;
        for (int k = 0; k < 3; k++) {
            g.setColor(COLORS[k]);
            g.fillRect(x, 14, 14, 14);
            g.setColor(Color.BLACK);
            g.setFont(TITLE);
            g.drawString(CLASSES[k] + " traps", x + 19, 26);
            x += 110;
        }
        g.setColor(new Color(0xcccccc));
        g.setStroke(new BasicStroke(1));
        g.drawLine(0, HEADER - 1, WIDTH, HEADER - 1);
    }

    /**
     * The trace cut per program: sums over the vCPUs at each instant, from a program's start event to its end
     * (or stop) event, paired with the results in order (a program may run twice).
     */
    private static List<Run> runs(TrapExperiment.Report report) {
        TreeMap<Double, long[]> totals = new TreeMap<>();
        List<double[]> spans = new ArrayList<>(); // start, end (NaN while open), 1 if it ended
        String lastEvent = null;
        double lastTime = Double.NaN;
        for (TrapExperiment.Sample s : report.samples()) {
            long[] t = totals.computeIfAbsent(s.seconds(), k -> new long[3]);
            t[0] += s.counters().cpu();
            t[1] += s.counters().mem();
            t[2] += s.counters().io();
            if (s.event().isEmpty() || (s.event().equals(lastEvent) && s.seconds() == lastTime)) continue; // one row per vCPU
            lastEvent = s.event();
            lastTime = s.seconds();
            if (s.event().startsWith("start ")) spans.add(new double[] {s.seconds(), Double.NaN, 0});
            else if (!spans.isEmpty() && Double.isNaN(spans.getLast()[1]))
                spans.getLast()[1] = s.seconds(); // "end ..." or "stopped ..."
            if (s.event().startsWith("end ") && !spans.isEmpty()) spans.getLast()[2] = 1;
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < Math.min(spans.size(), report.results().size()); i++) {
            double start = spans.get(i)[0], end = spans.get(i)[1];
            if (Double.isNaN(end)) end = totals.lastKey();
            List<Double> times = new ArrayList<>();
            List<long[]> counts = new ArrayList<>();
            for (var e : totals.subMap(start, true, end, true).entrySet()) {
                times.add(e.getKey() - start);
                counts.add(e.getValue());
            }
            runs.add(new Run(report.results().get(i), start, end, spans.get(i)[2] == 1, times, counts));
        }
        return runs;
    }

    private static CategoryChart bars(Run r, double top) {
        CategoryChart c = new CategoryChartBuilder().width(BARS).height(ROW).build();
        CategoryStyler st = c.getStyler();
        st.setLegendVisible(false);
        st.setChartBackgroundColor(Color.WHITE);
        st.setChartTitleVisible(false);
        st.setChartPadding(6);
        st.setPlotGridLinesVisible(false);
        st.setAxisTickLabelsFont(TICKS);
        st.setYAxisDecimalPattern("#,##0");
        st.setYAxisLogarithmic(true);
        st.setYAxisMin(1.0);
        st.setYAxisMax(top);
        st.setOverlapped(true);
        st.setAvailableSpaceFill(0.6);
        long[] v = {r.result.delta().cpu(), r.result.delta().mem(), r.result.delta().io()};
        List<String> names = new ArrayList<>();
        for (int k = 0; k < 3; k++) names.add(String.format(Locale.ROOT, "%s %,d", CLASSES[k], v[k]));
        for (int k = 0; k < 3; k++) {
            Double[] y = new Double[3];
            if (v[k] > 0) y[k] = (double) v[k]; // a zero has no bar on a log scale: its label says 0
            c.addSeries(CLASSES[k], names, Arrays.asList(y)).setFillColor(COLORS[k]);
        }
        return c;
    }

    private static XYChart series(Run r) {
        double length = r.end - r.start, pad = Math.max(length * 0.04, 0.002);
        String name = r.result.name() + (r.result.args().isEmpty() ? "" : " " + r.result.args());
        XYChart c = new XYChartBuilder().width(WIDTH - BARS).height(ROW)
                .title(String.format(Locale.ROOT, "%s: %.2f s, %s; %d samples", name, length,
                        r.ended ? "status " + TrapExperiment.statusText(r.result.status()) : "stopped before its end", r.times.size()))
                .build();
        XYStyler st = c.getStyler();
        st.setLegendVisible(false);
        st.setChartBackgroundColor(Color.WHITE);
        st.setChartTitleFont(TITLE);
        st.setChartPadding(6);
        st.setPlotGridVerticalLinesVisible(false);
        st.setAxisTickLabelsFont(TICKS);
        st.setAnnotationLineColor(new Color(0x555555));
        st.setXAxisMin(-pad);
        st.setXAxisMax(length + pad);
        st.setYAxisMin(0.0);
        st.setYAxisMax(100.0);
        st.setYAxisDecimalPattern("0'%'");
        st.setYAxisTickMarkSpacingHint(30); // 0%, 50%, 100% (or finer) in every row, however few its samples
        st.setXAxisDecimalPattern(length < 0.1 ? "0.000's'" : length < 2 ? "0.00's'" : "0.0's'");
        long[] base = r.counts.getFirst(), last = r.counts.getLast();
        double[] x = r.times.stream().mapToDouble(Double::doubleValue).toArray();
        boolean any = false;
        for (int k = 0; k < 3; k++) {
            long total = last[k] - base[k];
            if (total <= 0) continue; // nothing of this class: its bar says 0
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) y[i] = 100.0 * (r.counts.get(i)[k] - base[k]) / total;
            XYSeries s = c.addSeries(CLASSES[k], x, y);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineColor(COLORS[k]);
            s.setMarkerColor(COLORS[k]);
            any = true;
        }
        if (!any) {
            XYSeries none = c.addSeries("none", new double[] {0, length}, new double[] {0, 0});
            none.setMarker(SeriesMarkers.NONE);
            none.setLineColor(Color.LIGHT_GRAY);
        }
        c.addAnnotation(new AnnotationLine(0, true, false));
        c.addAnnotation(new AnnotationLine(length, true, false));
        return c;
    }
}
