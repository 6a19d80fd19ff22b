package org.jvisor.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The value syntax of qemu-system's options ({@code -m 1G}, {@code -M virt,gic-version=3}), so users' habits carry over. */
final class QemuStyle {
    private QemuStyle() {}

    /** A size as {@code -m} takes it: a number of MiB, or with a K/M/G/T suffix (optionally followed by B). */
    static long parseSize(String option, String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("B") && t.length() > 1 && Character.isLetter(t.charAt(t.length() - 2))) t = t.substring(0, t.length() - 1);
        long unit = 1L << 20;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        switch (last) {
            case 'K' -> unit = 1L << 10;
            case 'M' -> unit = 1L << 20;
            case 'G' -> unit = 1L << 30;
            case 'T' -> unit = 1L << 40;
            default -> { }
        }
        if (Character.isLetter(last)) t = t.substring(0, t.length() - 1);
        try {
            double v = Double.parseDouble(t);
            if (!(v > 0) || v * unit > Long.MAX_VALUE / 2 || t.contains("E") || t.contains("N") || t.contains("I"))
                throw new NumberFormatException();
            return (long) (v * unit);
        } catch (NumberFormatException e) {
            throw new UserError(option + ": '" + text + "' is not a size (e.g. 512M, 1G)");
        }
    }

    /**
     * A comma-separated option value: the first item may be bare (it is returned under {@code firstKey}),
     * the others are key=value. Keys must be in {@code allowed}.
     */
    static Map<String, String> parseKeyValues(String option, String text, String firstKey, String... allowed) {
        Map<String, String> out = new LinkedHashMap<>();
        String[] parts = text.split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            String key, value;
            if (eq < 0) {
                if (i == 0 && firstKey != null) {
                    key = firstKey;
                    value = p;
                } else {
                    throw new UserError(option + ": expected key=value, found '" + p + "'");
                }
            } else {
                key = p.substring(0, eq);
                value = p.substring(eq + 1);
            }
            if (!java.util.Arrays.asList(allowed).contains(key) && !key.equals(firstKey))
                throw new UserError(option + ": unknown property '" + key + "' ("
                        + (allowed.length == 0 ? "it takes none" : "known: " + String.join(", ", allowed)) + ")");
            if (out.put(key, value) != null) throw new UserError(option + ": '" + key + "' given twice");
        }
        return out;
    }

    /** on/off, as QEMU spells booleans (also yes/no, true/false). */
    static boolean parseSwitch(String option, String key, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on", "yes", "true" -> true;
            case "off", "no", "false" -> false;
            default -> throw new UserError(option + ": " + key + "=" + value + " (expected on or off)");
        };
    }
}
