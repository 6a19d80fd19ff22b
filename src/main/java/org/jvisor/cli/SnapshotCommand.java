package org.jvisor.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.BootException;
import org.jvisor.vmm.VirtBoard;
import org.jvisor.vmm.snapshot.SnapshotException;
import org.jvisor.vmm.snapshot.SnapshotFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code jvisor snapshot}: boots a machine as {@code jvisor run} would (the same options), waits until the
 * guest prints a marker, saves the whole VM to a file and exits: a snapshot made from a command line, for
 * {@code jvisor run -loadvm FILE} to start from.
 */
@Command(name = "snapshot", sortOptions = false, customSynopsis = "jvisor snapshot -o FILE [--marker TEXT] [--timeout S] [RUN OPTION]...",
        description = "Boot as 'jvisor run' would (same options), save the VM to FILE once the guest prints the marker, and exit.")
final class SnapshotCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "The snapshot file to write.")
    Path output;

    @Option(names = "--marker", paramLabel = "TEXT", description = "Save once the guest's console prints TEXT (default: the default guest's shell prompt, '${DEFAULT-VALUE}').")
    String marker = org.jvisor.guest.DefaultGuest.PROMPT;

    @Option(names = "--timeout", paramLabel = "S", description = "Give up if the marker has not come after S seconds (default ${DEFAULT-VALUE}).")
    long timeout = 600;

    @Option(names = {"-q", "--quiet"}, description = "Do not show the guest's console.")
    boolean quiet;

    @Unmatched
    List<String> runOptions = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (timeout <= 0) throw new UserError("--timeout: the time must be positive");
        if (marker.isEmpty()) throw new UserError("--marker: the text must not be empty");
        RunCommand run = new RunCommand();
        CommandLine cl = new CommandLine(run);
        try {
            cl.parseArgs(runOptions.toArray(new String[0]));
        } catch (CommandLine.ParameterException e) {
            throw new UserError(e.getMessage());
        }
        if (run.loadvm != null) throw new UserError("-loadvm: 'jvisor snapshot' boots the machine it saves");
        BoardConfig config = run.config();
        OutputStream console = quiet ? OutputStream.nullOutputStream() : System.out;
        VirtBoard board;
        try {
            board = VirtBoard.build(config, console, console, System.err, false);
        } catch (BootException e) {
            throw new UserError(e.getMessage());
        }
        try (board) {
            if (run.trap != null) board.vm().trapConfig().traps(TrapOption.parse(run.trap));
            int[] status = {-1};
            Thread runner = Thread.ofPlatform().name("snapshot-run").start(() -> {
                try {
                    status[0] = board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long start = System.nanoTime();
            boolean found = board.consoleWatch().waitFor(marker, Duration.ofSeconds(timeout));
            if (!found) {
                boolean ended = System.nanoTime() - start < Duration.ofSeconds(timeout).toNanos(); // the run ended the wait
                board.stop(1);
                runner.join();
                throw new UserError(ended ? "the guest stopped (status " + status[0] + ") before it printed '" + marker + "': nothing saved"
                        : "the guest did not print '" + marker + "' within " + timeout + " s: nothing saved");
            }
            board.pause();
            long t0 = System.nanoTime();
            try {
                board.save(output, "jvisor snapshot at '" + marker + "'");
            } catch (IOException e) {
                throw new UserError("cannot write " + output + ": " + e.getMessage());
            } catch (IllegalStateException e) { // a machine jvisor cannot save (trap-and-emulate)
                throw new UserError(e.getMessage());
            } finally {
                board.stop(0);
                runner.join();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long stored;
            try {
                stored = SnapshotFile.read(output).storedBytes();
            } catch (SnapshotException e) {
                throw new UserError(e.getMessage());
            }
            if (!quiet) System.out.println();
            System.err.printf(Locale.ROOT, "jvisor: saved %s: %.1f MiB stored of %d MiB RAM, in %d ms%n", output, stored / 1048576.0,
                    config.ramSize() >> 20, ms);
            return 0;
        }
    }
}
