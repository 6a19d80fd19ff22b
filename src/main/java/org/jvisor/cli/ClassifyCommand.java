package org.jvisor.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.jvisor.cpu.Features;
import org.jvisor.lab.Classification;
import org.jvisor.lab.ClassificationReport;
import org.jvisor.lab.Classifier;
import org.jvisor.lab.El1Controls;
import org.jvisor.lab.Verdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor classify}: Popek and Goldberg's classes of every A64 system instruction, decided by executing
 * each one on jvisor's processor, under one or more settings of EL1's controls, and Theorem 1's answer.
 */
@Command(name = "classify", sortOptions = false, description = {
        "Classify every A64 system instruction the processor implements (MRS/MSR of",
        "each system register, MSR (immediate), DC/IC/AT/TLBI, hints, barriers, ERET,",
        "SVC/HVC/SMC/BRK/HLT, LDTR/STTR) as privileged, control-sensitive,",
        "behaviour-sensitive and critical (Popek and Goldberg), by executing each at",
        "EL0 and EL1 on jvisor's processor; print a table per setting of EL1's",
        "controls and the answer to Theorem 1."})
final class ClassifyCommand implements Callable<Integer> {
    /** Which rows the table and the CSV keep. */
    enum Rows {
        all(v -> true), privileged(Verdict::privileged), sensitive(Verdict::sensitive), critical(Verdict::critical),
        control(Verdict::controlSensitive), behaviour(Verdict::behaviourSensitive), both(Verdict::trapsAtBoth);

        final Predicate<Verdict> keep;

        Rows(Predicate<Verdict> keep) { this.keep = keep; }
    }

    @Option(names = "--setting", split = ",", paramLabel = "NAME", defaultValue = "linux,strictest",
            description = "EL1's controls to classify under: linux (arm64 Linux 6.1's), strictest (every EL0 enable"
                    + " off), permissive (every EL0 enable on), or all (default: ${DEFAULT-VALUE}).")
    List<String> settings = new ArrayList<>();

    @Option(names = "--only", paramLabel = "ROWS", defaultValue = "all",
            description = "Rows to show: ${COMPLETION-CANDIDATES} (both: those that trap at EL0 and at EL1;"
                    + " default: ${DEFAULT-VALUE}).")
    Rows rows;

    @Option(names = "--csv", paramLabel = "FILE", description = "Also write the rows as CSV to FILE (- for standard"
            + " output, instead of the table).")
    Path csv;

    @Option(names = "--no-table", description = "Print only the answer to Theorem 1.")
    boolean noTable;

    @Option(names = "--pan", description = "Classify a processor with FEAT_PAN (the default one, a Cortex-A57, has"
            + " none); EL1 then runs with PSTATE.PAN set under linux and strictest, as Linux sets it.")
    boolean pan;

    @Override
    public Integer call() throws IOException {
        Set<El1Controls> chosen = new LinkedHashSet<>();
        for (String s : settings) {
            if (s.equalsIgnoreCase("all")) chosen.addAll(El1Controls.ALL);
            else {
                try {
                    chosen.add(El1Controls.byName(s));
                } catch (IllegalArgumentException e) {
                    throw new UserError("--setting: " + e.getMessage());
                }
            }
        }
        boolean csvToStdout = csv != null && csv.toString().equals("-");
        if (csv != null && !csvToStdout && csv.getParent() != null && !Files.isDirectory(csv.getParent()))
            throw new UserError("--csv " + csv + ": no such directory " + csv.getParent());
        // Each setting has its own machine: classify them side by side.
        Features features = Features.cortexA57();
        features.pan = pan;
        List<Classification> results = chosen.stream().parallel().map(c -> Classifier.classify(c, features)).toList();
        if (csv != null) {
            if (csvToStdout) writeCsv(results, System.out);
            else {
                try (PrintStream out = new PrintStream(Files.newOutputStream(csv), false, StandardCharsets.UTF_8)) {
                    writeCsv(results, out);
                } catch (IOException e) {
                    throw new UserError("--csv " + csv + ": " + e.getMessage());
                }
            }
        }
        if (csvToStdout) return 0;
        PrintStream out = System.out;
        for (Classification c : results) {
            if (!noTable) {
                out.printf("== %s: %s (%s)%n", c.controls().name(), c.controls().description(), c.controls().summary(c.pan()));
                ClassificationReport.table(c, rows.keep, out);
                ClassificationReport.notImplemented(c, out);
                out.println();
            }
        }
        for (Classification c : results) ClassificationReport.theorem(c, out);
        if (csv != null) out.println("CSV: " + csv);
        return 0;
    }

    private void writeCsv(List<Classification> results, PrintStream out) {
        out.println(ClassificationReport.CSV_HEADER);
        for (Classification c : results) ClassificationReport.csv(c, rows.keep, out);
    }
}
