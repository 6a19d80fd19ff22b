package org.jvisor.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.jvisor.cpu.Translation;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench boot}: the time from process start to the marker the guest's /init prints, for
 * {@code jvisor run} in each translation mode asked for and for {@code qemu-system-aarch64 -M virt -cpu
 * cortex-a57} (TCG) on the same kernel, initramfs and command line ({@link BenchMachines}), run alternately
 * in one session so that a busy host slows all alike. All are whole processes started from here (the JVM's
 * start and JIT warm-up count, as QEMU's start does).
 */
@Command(name = "boot",
        description = "Time from process start to the guest's ready marker: jvisor run vs qemu-system-aarch64 (TCG), same guest.")
final class BootBenchCommand implements Callable<Integer> {
    static final String MARKER = "JVISOR-READY";

    @Option(names = "-kernel", paramLabel = "FILE", description = "Kernel (default: the default guest's).")
    Path kernel;

    @Option(names = "-initrd", paramLabel = "FILE", description = "Initrd printing the marker (default: the default guest's).")
    Path initrd;

    @Option(names = "--marker", description = "The line the guest prints when it is up (default: ${DEFAULT-VALUE}).")
    String marker = MARKER;

    @Option(names = "--append", description = "Kernel command line (default: ${DEFAULT-VALUE}).")
    String append = "console=ttyAMA0 readyoff";

    @Option(names = "--runs", description = "Boots of each (default: ${DEFAULT-VALUE}); the median is reported.")
    int runs = 3;

    @Option(names = "-M", paramLabel = "MACHINE", description = "Machine options for both, as QEMU's -M (default: ${DEFAULT-VALUE}; "
            + "virt,virtualization=on,gic-version=3 gives the guest EL2).")
    String machine = "virt";

    @Option(names = "--marker-count", paramLabel = "N", description = "Stop at the N-th marker (default: ${DEFAULT-VALUE}; "
            + "2 for a nested boot, where the guest's guest prints the marker after the guest).")
    int markerCount = 1;

    @Option(names = "-smp", description = "vCPUs (default: ${DEFAULT-VALUE}).")
    int smp = 1;

    @Option(names = "--timeout", description = "Seconds a boot may take (default: ${DEFAULT-VALUE}).")
    int timeout = 300;

    @Option(names = "--qemu", description = "qemu-system-aarch64 binary (default: ${DEFAULT-VALUE}).")
    String qemu = "qemu-system-aarch64";

    @Option(names = "--no-qemu", description = "Measure jvisor only.")
    boolean noQemu;

    @Mixin
    TranslateOption.Modes translate;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || smp < 1 || timeout < 1 || markerCount < 1) throw new UserError("--runs, -smp, --timeout and --marker-count must be positive");
        if ((kernel == null) != (initrd == null)) throw new UserError("give both -kernel and -initrd, or neither (the default guest)");
        List<Translation> modes = translate.modes();
        if (kernel == null) {
            GuestImage g = DefaultGuest.obtain(ProgressListener.console());
            kernel = g.kernel();
            initrd = g.initrd();
        }
        System.out.printf("jvisor bench boot: %s; Java %s; -M %s, %d vCPU(s); process start to '%s'%s, %d runs each, alternately (median)%n",
                BenchCommand.hostCpu(), Runtime.version(), machine, smp, marker, markerCount > 1 ? " x" + markerCount : "", runs);
        System.out.println("kernel " + kernel);
        MedianTable table = new MedianTable();
        for (int i = 0; i < runs; i++) {
            System.out.printf("  run %d:", i + 1);
            try {
                for (Translation mode : modes) {
                    String row = "jvisor " + TranslateOption.name(mode);
                    double s = timeToMarker("jvisor run", BenchMachines.jvisor(mode, machine, smp, kernel, initrd, append));
                    table.add("boot", row, s);
                    System.out.printf("  %s %6.2f s", row, s);
                }
                if (!noQemu) {
                    double s = timeToMarker(qemu, BenchMachines.qemu(qemu, machine, smp, kernel, initrd, append));
                    table.add("boot", MedianTable.QEMU, s);
                    System.out.printf("  %s %6.2f s", MedianTable.QEMU, s);
                }
            } finally {
                System.out.println(); // ends the run's line, also before an error's own line
            }
        }
        System.out.print(table.format("task", 2));
        return 0;
    }

    /** Seconds from starting {@code command} to the marker on its stdout; the process is then stopped. */
    private double timeToMarker(String name, List<String> command) throws IOException, InterruptedException {
        byte[] want = marker.getBytes(StandardCharsets.US_ASCII);
        int[] matched = {0, 0};
        return WatchedProcess.run(name, command, "printing '" + marker + "'" + (markerCount > 1 ? " " + markerCount + " times" : ""), timeout, b -> {
            matched[0] = b == want[matched[0]] ? matched[0] + 1 : (b == want[0] ? 1 : 0);
            if (matched[0] < want.length) return false;
            matched[0] = 0;
            return ++matched[1] == markerCount;
        }) / 1e9;
    }
}
