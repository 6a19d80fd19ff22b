package org.jvisor.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.jvisor.vmm.TrapExperiment;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The picture the seeds' report took screenshots of: CPU, MEM and IO traps (summed over the vCPUs) over
 * time, one panel each, with a line where each program starts. The window begins a second before the first
 * program (the boot before it would squeeze the programs into a sliver), counting from there. Drawn
 * headless with XChart.
 */
final class TrapChart {
    private static final int WIDTH = 1200, PANEL = 300;

    private TrapChart() {}

    static void write(TrapExperiment.Report report, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        // totals at each sampling instant (every vCPU is read at the same instant)
        TreeMap<Double, long[]> totals = new TreeMap<>();
        TreeMap<Double, String> starts = new TreeMap<>();
        for (TrapExperiment.Sample s : report.samples()) {
            long[] t = totals.computeIfAbsent(s.seconds(), k -> new long[3]);
            t[0] += s.counters().cpu();
            t[1] += s.counters().mem();
            t[2] += s.counters().io();
            if (s.event().startsWith("start ")) starts.put(s.seconds(), s.event().substring(6).split(",")[0].replaceAll(".*/", ""));
        }
        double from = starts.isEmpty() ? 0 : starts.firstKey() - 1;
        var window = totals.tailMap(totals.floorKey(from) == null ? from : totals.floorKey(from), true);
        long[] base = window.isEmpty() ? new long[3] : window.firstEntry().getValue();
        String[] names = {"CPU traps", "MEM traps", "IO traps"};
        Color[] colors = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
        List<BufferedImage> panels = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            XYChart chart = new XYChartBuilder().width(WIDTH).height(PANEL)
                    .title(k == 0 ? "jvisor experiment traps: traps since just before the first program (all vCPUs), each program marked at its start" : "")
                    .xAxisTitle(k == 2 ? "seconds since the board started" : "").yAxisTitle(names[k]).build();
            chart.getStyler().setPlotGridVerticalLinesVisible(false);
            chart.getStyler().setLegendVisible(false).setChartBackgroundColor(Color.WHITE)
                    .setAnnotationLineColor(new Color(0x888888)).setAnnotationTextFontColor(Color.DARK_GRAY);
            double[] x = new double[Math.max(1, window.size())], y = new double[x.length];
            int i = 0;
            for (var e : window.entrySet()) {
                x[i] = e.getKey();
                y[i++] = e.getValue()[k] - base[k];
            }
            XYSeries s = chart.addSeries(names[k], x, y);
            s.setMarker(SeriesMarkers.NONE).setLineColor(colors[k]);
            double top = y[y.length - 1];
            int n = 0;
            for (var e : starts.entrySet()) {
                chart.addAnnotation(new AnnotationLine(e.getKey(), true, false));
                double level = 0.92 - 0.17 * (n++ % 5);
                chart.addAnnotation(new AnnotationText(e.getValue(), e.getKey(), Math.max(top, 1) * level, false));
            }
            panels.add(BitmapEncoder.getBufferedImage(chart));
        }
        BufferedImage all = new BufferedImage(WIDTH, PANEL * panels.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        for (int k = 0; k < panels.size(); k++) g.drawImage(panels.get(k), 0, k * PANEL, null);
        g.dispose();
        if (!ImageIO.write(all, "png", png.toFile())) throw new IOException("no PNG writer");
    }
}
