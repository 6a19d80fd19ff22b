package org.jvisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.jvisor.vmm.DefaultGuest;
import org.jvisor.vmm.GuestImage;
import org.jvisor.vmm.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench boot}: the time from process start to the marker the guest's /init prints, for
 * {@code jvisor run} and for {@code qemu-system-aarch64 -M virt -cpu cortex-a57} (TCG) on the same kernel,
 * initramfs and command line, run alternately in one session so that a busy host slows both alike.
 * Both are whole processes started from here (the JVM's start and JIT warm-up count, as QEMU's start does).
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

    @Option(names = "-smp", description = "vCPUs (default: ${DEFAULT-VALUE}).")
    int smp = 1;

    @Option(names = "--timeout", description = "Seconds a boot may take (default: ${DEFAULT-VALUE}).")
    int timeout = 300;

    @Option(names = "--qemu", description = "qemu-system-aarch64 binary (default: ${DEFAULT-VALUE}).")
    String qemu = "qemu-system-aarch64";

    @Option(names = "--no-qemu", description = "Measure jvisor only.")
    boolean noQemu;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || smp < 1 || timeout < 1) throw new UserError("--runs, -smp and --timeout must be positive");
        if ((kernel == null) != (initrd == null)) throw new UserError("give both -kernel and -initrd, or neither (the default guest)");
        if (kernel == null) {
            GuestImage g = DefaultGuest.obtain(ProgressListener.console());
            kernel = g.kernel();
            initrd = g.initrd();
        }
        List<String> jvisor = jvisorCommand();
        // -nodefaults: only the board's own devices, as jvisor's (QEMU's default NIC would also need the
        // option ROM efi-virtio.rom from ipxe-qemu, which qemu-system-arm only recommends)
        List<String> q = List.of(qemu, "-nodefaults", "-display", "none", "-serial", "stdio", "-M", "virt", "-cpu", "cortex-a57",
                "-m", "512M", "-smp", String.valueOf(smp), "-no-reboot",
                "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", append);
        System.out.printf("jvisor bench boot: %s; Java %s; %d vCPU(s); process start to '%s', %d runs each (median)%n",
                BenchCommand.hostCpu(), Runtime.version(), smp, marker, runs);
        System.out.println("kernel " + kernel);
        double[] j = new double[runs], r = new double[runs];
        for (int i = 0; i < runs; i++) {
            j[i] = timeToMarker("jvisor run", jvisor);
            System.out.printf("  run %d: jvisor %6.2f s", i + 1, j[i]);
            if (!noQemu) {
                try {
                    r[i] = timeToMarker(qemu, q);
                } catch (Exception e) {
                    System.out.println(); // ends the run's line, so that the error is a line of its own
                    throw e;
                }
                System.out.printf("   qemu %6.2f s", r[i]);
            }
            System.out.println();
        }
        double jm = median(j);
        if (noQemu) {
            System.out.printf("jvisor %.2f s%n", jm);
        } else {
            double qm = median(r);
            System.out.printf("median: jvisor %.2f s, qemu %.2f s, jvisor/qemu %.2f%n", jm, qm, jm / qm);
        }
        return 0;
    }

    /** This JVM again, with its own options, running {@code jvisor run}. */
    private List<String> jvisorCommand() {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> c = new ArrayList<>();
        c.add(java);
        c.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        c.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "-m", "512M",
                "-smp", String.valueOf(smp), "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", append));
        return c;
    }

    /**
     * Seconds from starting {@code command} to the marker on its stdout; the process is then stopped. A
     * process that exits first is reported at once, with its status and stderr.
     */
    private double timeToMarker(String name, List<String> command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new UserError("cannot start " + command.get(0) + ": " + e.getMessage());
        }
        p.getOutputStream().close();
        byte[] want = marker.getBytes(StandardCharsets.US_ASCII);
        long[] at = {-1};
        Tail out = new Tail(), err = new Tail();
        Thread errReader = Thread.ofPlatform().daemon().start(() -> err.readAll(p.getErrorStream()));
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (InputStream in = p.getInputStream()) {
                int matched = 0;
                for (int b; (b = in.read()) >= 0; ) {
                    out.add(b);
                    matched = b == want[matched] ? matched + 1 : (b == want[0] ? 1 : 0);
                    if (matched == want.length) {
                        matched = 0;
                        synchronized (at) {
                            if (at[0] < 0) at[0] = System.nanoTime();
                            at.notifyAll();
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        boolean exited;
        synchronized (at) {
            long deadline = t0 + TimeUnit.SECONDS.toNanos(timeout);
            while (at[0] < 0 && p.isAlive() && System.nanoTime() < deadline) at.wait(100);
            exited = at[0] < 0 && !p.isAlive();
        }
        if (exited) {
            reader.join(1000); // its last output, which may hold the marker after all
            errReader.join(1000);
        }
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        reader.join(1000);
        if (at[0] >= 0) return (at[0] - t0) / 1e9;
        if (exited) {
            String why = !err.isEmpty() ? err.last(400) : !out.isEmpty() ? "its last output: " + out.last(200) : "no output";
            throw new UserError(name + " exited with status " + p.exitValue() + " before printing '" + marker + "': " + why);
        }
        throw new UserError(name + " did not print '" + marker + "' within " + timeout + " s; last output: " + out.last(200));
    }

    /** The last few thousand characters a stream printed. */
    private static final class Tail {
        private final StringBuilder text = new StringBuilder();

        synchronized void add(int b) {
            if (text.length() > 4000) text.delete(0, 2000);
            text.append((char) b);
        }

        void readAll(InputStream in) {
            try (in) {
                for (int b; (b = in.read()) >= 0; ) add(b);
            } catch (IOException e) {
                // the process ended
            }
        }

        synchronized boolean isEmpty() {
            return text.toString().isBlank();
        }

        /** Its last {@code n} characters on one line. */
        synchronized String last(int n) {
            String s = text.toString().strip().replaceAll("\\s+", " ");
            return s.length() > n ? "..." + s.substring(s.length() - n) : s;
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
