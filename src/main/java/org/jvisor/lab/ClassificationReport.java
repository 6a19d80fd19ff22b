package org.jvisor.lab;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.Predicate;

/** {@code jvisor classify}'s output: a classification as a terminal table, as CSV rows, and Theorem 1's answer. */
public final class ClassificationReport {
    public static final String CSV_HEADER = "setting,instruction,group,encoding,privileged,traps_at_el0_and_el1,"
            + "control_sensitive,behaviour_sensitive,critical,trap,state_changed,result_differed";

    private ClassificationReport() {}

    /** The rows {@code filter} keeps, as a table: instruction, the four classes, and the evidence for each yes. */
    public static void table(Classification c, Predicate<Verdict> filter, PrintStream out) {
        List<Verdict> rows = c.verdicts().stream().filter(filter).toList();
        int width = Math.max(11, rows.stream().mapToInt(v -> v.name().length()).max().orElse(0));
        String format = "%-" + width + "s  %-4s  %-4s  %-5s  %-4s  %s%n";
        out.println("PRIV: yes = an exception at EL0 and none at EL1, both = an exception at both. CTRL, BEHAV: control-,"
                + " behaviour-sensitive. CRIT: critical, sensitive with no exception at EL0.");
        out.printf(format, "INSTRUCTION", "PRIV", "CTRL", "BEHAV", "CRIT", "WHY");
        for (Verdict v : rows) {
            out.printf(format, v.name(), v.privileged() ? "yes" : v.trapsAtBoth() ? "both" : "-",
                    yes(v.controlSensitive()), yes(v.behaviourSensitive()), yes(v.critical()), why(v));
        }
    }

    /** The answer to Theorem 1 under the classification's setting, in a few lines. */
    public static void theorem(Classification c, PrintStream out) {
        out.printf("Theorem 1 under '%s' (%s: %s):%n", c.controls().name(), c.controls().description(), c.controls().summary(c.pan()));
        long both = c.verdicts().stream().filter(Verdict::trapsAtBoth).count();
        out.printf("  %d instructions: %d privileged, %d trap at EL0 and at EL1, %d sensitive, %d critical.%n",
                c.verdicts().size(), c.privileged().size(), both, c.sensitive().size(), c.critical().size());
        out.println("  (An instruction that traps at EL0 and at EL1, PRIV 'both': SVC, BRK, HVC, SMC, HLT, the EL2 registers"
                + " and operations, what this processor lacks, is not privileged, not compared, never critical: its"
                + " exception is what it does, and run at EL0 it traps, so a VMM sees it.)");
        if (c.sensitiveSubsetOfPrivileged()) {
            out.println("  Sensitive is a subset of privileged: yes. Every sensitive instruction traps at EL0, so a VMM"
                    + " that runs the kernel at EL0 can trap and emulate them all.");
        } else {
            out.println("  Sensitive is a subset of privileged: no. Critical (sensitive, yet executed at EL0 without an exception):");
            // Instructions with the same evidence (the LDTR/STTR family) share a line.
            Map<String, List<String>> byReason = new LinkedHashMap<>();
            for (Verdict v : c.critical())
                byReason.computeIfAbsent(String.join("; ", sensitivity(v)).replaceAll(", ESR 0x[0-9a-f]+", ""),
                        k -> new ArrayList<>()).add(v.name());
            byReason.forEach((reason, names) -> {
                if (names.size() == 1) {
                    out.println("    " + names.get(0) + ": " + reason);
                    return;
                }
                out.println("    " + names.size() + " instructions: " + reason + ":");
                StringBuilder line = new StringBuilder("     ");
                for (String n : names) {
                    if (line.length() + n.length() > 100) {
                        out.println(line);
                        line = new StringBuilder("     ");
                    }
                    line.append(' ').append(n).append(n == names.getLast() ? "" : ";");
                }
                out.println(line);
            });
            out.println("  A VMM that runs the kernel at EL0 never sees these: it must find them first (patch or translate them).");
        }
    }

    /** What was omitted: the encodings that the processor UNDEFINEs at every EL. */
    public static void notImplemented(Classification c, PrintStream out) {
        if (c.notImplemented().isEmpty()) return;
        // The fields and variants the Arm ARM names are listed; the unallocated encodings are only counted.
        List<String> named = c.notImplemented().stream().filter(s -> !s.contains("(op1=") && !s.contains("?")).toList();
        out.println("Not implemented by this processor (UNDEFINED at EL0, EL1 and EL2), left out: "
                + String.join(", ", named.stream().map(s -> s.replaceFirst(", #\\d+$", "")).toList())
                + " and " + (c.notImplemented().size() - named.size()) + " unallocated encodings.");
    }

    /** The rows {@code filter} keeps as CSV (without the header), one line each. */
    public static void csv(Classification c, Predicate<Verdict> filter, PrintStream out) {
        for (Verdict v : c.verdicts()) {
            if (!filter.test(v)) continue;
            out.println(String.join(",", c.controls().name(), quote(v.name()), quote(v.instruction().group()),
                    String.format(Locale.ROOT, "0x%08x", v.instruction().word()), bool(v.privileged()),
                    bool(v.trapsAtBoth()), bool(v.controlSensitive()), bool(v.behaviourSensitive()), bool(v.critical()),
                    quote(v.trapReason()), quote(String.join("; ", v.controlReasons())),
                    quote(String.join("; ", v.behaviourReasons()))));
        }
    }

    static String why(Verdict v) {
        List<String> parts = new ArrayList<>();
        if (!v.trapReason().isEmpty()) parts.add("traps " + v.trapReason());
        parts.addAll(sensitivity(v));
        return String.join("; ", parts);
    }

    private static List<String> sensitivity(Verdict v) {
        List<String> parts = new ArrayList<>();
        if (v.controlSensitive()) parts.add("changes " + String.join(", ", v.controlReasons()));
        for (String b : v.behaviourReasons()) parts.add("differs with " + b);
        return parts;
    }

    private static String yes(boolean b) { return b ? "yes" : "-"; }

    private static String bool(boolean b) { return b ? "yes" : "no"; }

    /** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
    static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
