package org.jvisor.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Seconds that machines took for tasks, run by run, shown as each one's median next to its ratio to QEMU's
 * median for the same task (above 1: it took longer than QEMU). Tasks and machines keep the order they were
 * first added in; QEMU is the machine named {@link #QEMU}.
 */
final class MedianTable {
    static final String QEMU = "qemu";

    private final Map<String, Map<String, List<Double>>> seconds = new LinkedHashMap<>();

    void add(String task, String machine, double s) {
        seconds.computeIfAbsent(task, t -> new LinkedHashMap<>()).computeIfAbsent(machine, m -> new ArrayList<>()).add(s);
    }

    /** The median of {@code machine}'s times for {@code task}, or NaN if it has none. */
    double median(String task, String machine) {
        List<Double> v = seconds.getOrDefault(task, Map.of()).get(machine);
        return v == null ? Double.NaN : BenchCommand.median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** One row per task and machine: the median in seconds with {@code decimals} decimals, and the ratio to QEMU. */
    String format(String taskHeading, int decimals) {
        int taskWidth = Math.max(taskHeading.length(), seconds.keySet().stream().mapToInt(String::length).max().orElse(0));
        String row = "%-" + taskWidth + "s  %-12s %10s %12s";
        StringBuilder b = new StringBuilder(String.format(row, taskHeading, "machine", "median s", "jvisor/qemu")).append('\n');
        seconds.forEach((task, machines) -> {
            double q = median(task, QEMU);
            for (String m : machines.keySet()) {
                double s = median(task, m);
                String ratio = m.equals(QEMU) || Double.isNaN(q) ? "" : String.format(Locale.ROOT, "%.2f", s / q);
                b.append(String.format(Locale.ROOT, row, task, m, String.format(Locale.ROOT, "%." + decimals + "f", s), ratio).stripTrailing()).append('\n');
            }
        });
        return b.toString();
    }
}
