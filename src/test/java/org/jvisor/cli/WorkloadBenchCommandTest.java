package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Translation;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.testing.BootsLinux;
import org.jvisor.testing.NeedsQemu;
import org.jvisor.vmm.LinuxLoader;
import org.jvisor.guest.ProgressListener;
import picocli.CommandLine;

/**
 * {@code jvisor bench workload}: the machines' command lines, the guest's script as /init extracts it, and
 * the script run for real in the default guest under qemu-system-aarch64 (the reference; a few seconds),
 * its results checked against the host's own computation and the programs' own clocks.
 */
class WorkloadBenchCommandTest {
    static final Path KERNEL = Path.of("/guest/Image"), INITRD = Path.of("/guest/initrd");

    @NeedsQemu
    @Test
    void jvisorAndQemuGetTheSameGuestAndCommandLine() {
        String append = WorkloadBenchCommand.append(WorkloadBenchCommand.WORKLOADS);
        List<String> j = BenchMachines.jvisor(Translation.OFF, "virt,virtualization=on", 1, KERNEL, INITRD, append);
        assertEquals(ProcessHandle.current().info().command().orElseThrow(), j.get(0));
        int main = j.indexOf(Main.class.getName());
        assertEquals(System.getProperty("java.class.path"), j.get(main - 1));
        // what jvisor's own parser makes of the arguments after the main class
        CommandLine.ParseResult parsed = Main.commandLine(null).parseArgs(j.subList(main + 1, j.size()).toArray(String[]::new));
        RunCommand run = (RunCommand) parsed.subcommand().commandSpec().userObject();
        assertEquals(KERNEL, run.kernel);
        assertEquals(INITRD, run.initrd);
        assertEquals(append, run.append);
        assertEquals("512M", run.memory);
        assertTrue(run.machine.contains("virtualization=on"), "the machine options reach jvisor's -M");
        assertEquals("1", run.smp);
        assertEquals(Translation.OFF, run.translate.mode);
        assertEquals(Translation.FORCE, ((RunCommand) Main.commandLine(null).parseArgs(
                BenchMachines.jvisor(Translation.FORCE, "virt", 2, KERNEL, INITRD, append).subList(main + 1, j.size()).toArray(String[]::new))
                .subcommand().commandSpec().userObject()).translate.mode);

        assertEquals(List.of("qemu-system-aarch64", "-nodefaults", "-display", "none", "-serial", "stdio", "-M", "virt", "-cpu", "cortex-a57",
                "-m", "512M", "-smp", "1", "-no-reboot", "-kernel", KERNEL.toString(), "-initrd", INITRD.toString(), "-append", append),
                BenchMachines.qemu("qemu-system-aarch64", "virt", 1, KERNEL, INITRD, append));
        assertTrue(append.length() <= LinuxLoader.MAX_COMMAND_LINE, append.length() + " bytes");
    }

    /** The default guest's /init takes jvisor.run="..." from /proc/cmdline with these lines of its own; run them on the append. */
    @Test
    void initFindsTheScriptInTheCommandLine() throws Exception {
        String init = new String(DefaultGuest.class.getResourceAsStream("init").readAllBytes(), StandardCharsets.UTF_8);
        StringBuilder extract = new StringBuilder("cmdline=$1\ncase \" $cmdline \" in\n");
        init.lines().filter(l -> l.contains("jvisor.run=") && l.contains(") run=")).forEach(l -> extract.append(l).append('\n'));
        extract.append("esac\nprintf %s \"$run\"\n");
        for (List<WorkloadBenchCommand.Workload> ws : List.of(WorkloadBenchCommand.WORKLOADS, WorkloadBenchCommand.WORKLOADS.subList(2, 3))) {
            String append = WorkloadBenchCommand.append(ws);
            Process p = new ProcessBuilder("sh", "-c", extract.toString(), "sh", append).start();
            String run = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(WorkloadBenchCommand.script(ws), run);
        }
    }

    @Test
    void markerLinesGiveTheGuestsTimes() {
        Map<String, WorkloadBenchCommand.Sample> s = new HashMap<>();
        WorkloadBenchCommand.parse("@jvisor-bench gzip 0 1796619338.818400 1796619339.020685 987684", s);
        WorkloadBenchCommand.parse("@jvisor-bench sha256sum 1 1796619339.999999 1796619341.000000", s);
        WorkloadBenchCommand.parse("@jvisor-bench cpubench 0 1796619338 1796619339.1 x", s); // not $EPOCHREALTIME's form
        assertEquals(Map.of("gzip", new WorkloadBenchCommand.Sample(0.202285, 0, "987684"),
                "sha256sum", new WorkloadBenchCommand.Sample(1.000001, 1, "")), s);
    }

    @Test
    void unknownOrRepeatedWorkloadsAreOneLine() {
        RunCommandTest.Result r = RunCommandTest.run("bench", "workload", "cpubench", "bzip2");
        assertEquals(2, r.status());
        assertEquals("jvisor: unknown workload 'bzip2' (cpubench, sha256sum, gzip)\n", r.err());
        r = RunCommandTest.run("bench", "workload", "gzip", "gzip");
        assertEquals(2, r.status());
        assertEquals("jvisor: workload gzip given twice\n", r.err());
        r = RunCommandTest.run("bench", "workload", "--runs", "0");
        assertEquals(2, r.status());
        assertEquals("jvisor: --runs and --timeout must be positive\n", r.err());
    }

    /**
     * The script in the real default guest under QEMU, read by the bench's own code: every program ends with
     * status 0; sha256sum's hash is the host's for 16 MiB of zeros; cpubench's own CLOCK_MONOTONIC time lies
     * within the shell's $EPOCHREALTIME interval around it.
     */
    @BootsLinux
    @NeedsQemu
    @Test
    void theScriptRunsInTheDefaultGuestUnderQemu() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        List<WorkloadBenchCommand.Workload> ws = WorkloadBenchCommand.WORKLOADS;
        String append = WorkloadBenchCommand.append(ws);
        Map<String, WorkloadBenchCommand.Sample> s = WorkloadBenchCommand.measure("qemu",
                BenchMachines.qemu("qemu-system-aarch64", "virt", 1, g.kernel(), g.initrd(), append), ws, 120);
        assertEquals(List.of("cpubench", "sha256sum", "gzip"), List.copyOf(s.keySet()));
        s.forEach((name, x) -> assertEquals(0, x.status(), name + ": " + x));

        String zeros = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(new byte[16 << 20]));
        assertEquals(zeros + " z", s.get("sha256sum").output());

        Matcher m = Pattern.compile("cpubench: 4000 rounds in ([0-9.]+) ms, checksum [0-9a-f]{16}").matcher(s.get("cpubench").output());
        assertTrue(m.matches(), s.get("cpubench").output());
        double own = Double.parseDouble(m.group(1)) / 1e3, shell = s.get("cpubench").seconds();
        assertTrue(own > 0.01 && own <= shell && shell < own + 0.5, "cpubench's own " + own + " s, the shell's " + shell + " s");

        long gzipped = Long.parseLong(s.get("gzip").output());
        assertTrue(gzipped > 100_000 && gzipped < 2_000_000 && s.get("gzip").seconds() > 0, s.get("gzip").toString());
    }
}
