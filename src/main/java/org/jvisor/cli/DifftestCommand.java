package org.jvisor.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.jvisor.difftest.Difftest;
import org.jvisor.cpu.InstructionGroups;
import org.jvisor.cpu.Translation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvisor difftest}: random instruction sequences run in jvisor and under QEMU user mode, compared. */
@Command(name = "difftest",
        description = {"Runs random A64 instruction sequences in jvisor and under qemu-aarch64-static and compares"
                + " every register, the flags, the memory touched and any fault. Prints each mismatch minimised,"
                + " then one line: N sequences, M mismatches (translation: MODE). Exit status 1 if any mismatch."})
public final class DifftestCommand implements Callable<Integer> {
    @Option(names = "--count", defaultValue = "1000", description = "Sequences to run (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--groups", split = ",", defaultValue = "dp,ls,branch,lse,sys,fp,simd",
            description = "Instruction groups to draw from: dp, ls, branch, lse, sys, fp, simd (or its parts simdls, simdperm,"
                    + " simdint, simdfp, crypto) (default ${DEFAULT-VALUE}).")
    List<String> groups;

    @Option(names = "--length", defaultValue = "8", description = "Instructions per sequence (default ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--batch", defaultValue = "500", description = "Sequences per QEMU process (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--max-reports", defaultValue = "20",
            description = "Mismatches to minimise and print; all are counted (default ${DEFAULT-VALUE}).")
    int maxReports;

    @Option(names = "--jvisor-runs", defaultValue = "program",
            description = "What jvisor executes: 'program' (the whole generated program, harness included, its Linux"
                    + " system calls and signals emulated) or 'sequences' (only the sequences, state set and read in Java).")
    String jvisorRuns;

    @Option(names = "--translate", defaultValue = "off", paramLabel = TranslateOption.LABEL,
            converter = TranslateOption.Converter.class, completionCandidates = TranslateOption.Names.class,
            description = "How jvisor's processors run the sequences, whatever -Djvisor.translate says: off interprets"
                    + " every instruction (the default: a mismatch is then the interpreter's), on translates the code that"
                    + " runs often, force translates every block the first time it runs, so that the sequences run"
                    + " through the translator.")
    Translation translation;

    @Option(names = "--stats", description = "Print how often each encoding was generated and faulted (to stderr).")
    boolean stats;

    @Override
    public Integer call() {
        if (count < 0) throw new UserError("--count must not be negative");
        if (length < 1 || length > 1000) throw new UserError("--length must be between 1 and 1000");
        if (batch < 1 || batch > 5000) throw new UserError("--batch must be between 1 and 5000");
        for (String g : groups)
            if (!InstructionGroups.NAMES.contains(g))
                throw new UserError("unknown group '" + g + "' (groups: " + String.join(", ", InstructionGroups.NAMES) + ")");
        Difftest.JvisorRuns runs = switch (jvisorRuns) {
            case "program" -> Difftest.JvisorRuns.PROGRAM;
            case "sequences" -> Difftest.JvisorRuns.SEQUENCES;
            default -> throw new UserError("--jvisor-runs must be 'program' or 'sequences'");
        };
        Difftest.Result r;
        try {
            r = new Difftest(new Difftest.Options(count, seed, List.copyOf(groups), length, batch, maxReports, runs,
                    translation)).run();
        } catch (IllegalStateException e) {
            throw new UserError(e.getMessage());
        }
        for (String n : r.notes()) System.err.println("jvisor difftest: " + n);
        if (stats) System.err.print(r.stats());
        for (Difftest.Mismatch m : r.reports()) System.out.println(m.report());
        if (r.mismatches() > r.reports().size())
            System.out.println("(" + (r.mismatches() - r.reports().size()) + " more mismatches not shown; see --max-reports)");
        System.out.println(r.sequences() + " sequences, " + r.mismatches() + " mismatches (translation: "
                + TranslateOption.name(translation) + ")");
        return r.mismatches() == 0 ? 0 : 1;
    }
}
