package org.jvisor.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.BootException;
import org.jvisor.vmm.GdbStub;
import org.jvisor.vmm.GuestImage;
import org.jvisor.vmm.HostConsole;
import org.jvisor.vmm.Monitor;
import org.jvisor.vmm.MonitorConsole;
import org.jvisor.vmm.VirtBoard;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor run}: boots a kernel on the virt board, with qemu-system-aarch64's option names where
 * they overlap so that users' habits carry over. The guest's serial console is the terminal.
 */
@Command(name = "run", sortOptions = false,
        description = "Boot a kernel on the virt board (options as qemu-system-aarch64's).")
final class RunCommand implements Callable<Integer> {
    @Option(names = "-kernel", paramLabel = "FILE", description = "arm64 Linux Image, or a raw binary loaded at RAM + 0x80000"
            + " (default: jvisor's default guest, Debian's kernel and a busybox initramfs with the test programs; see 'jvisor guest').")
    Path kernel;

    @Option(names = "-initrd", paramLabel = "FILE", description = "Initial ramdisk.")
    Path initrd;

    @Option(names = "-append", paramLabel = "ARGS", description = "Kernel command line.")
    String append;

    @Option(names = "-m", paramLabel = "SIZE", description = "Guest RAM (MiB, or with K/M/G suffix; default ${DEFAULT-VALUE}).", defaultValue = "512M")
    String memory;

    @Option(names = "-smp", paramLabel = "N", description = "Number of vCPUs (or cpus=N; default ${DEFAULT-VALUE}).", defaultValue = "1")
    String smp;

    @Option(names = {"-M", "-machine"}, paramLabel = "virt[,gic-version=2|3][,hide-seek=on|off]",
            description = "Board and its properties (default ${DEFAULT-VALUE}).", defaultValue = "virt")
    String machine;

    @Option(names = "-drive", paramLabel = "file=IMG,format=raw,if=virtio[,readonly=on]",
            description = "A raw disk image behind virtio-blk (repeatable).")
    List<String> drives = new ArrayList<>();

    @Option(names = "-nographic", description = "Accepted for compatibility: the console is always the terminal.")
    boolean nographic;

    @Option(names = "-monitor", paramLabel = "stdio|none",
            description = "stdio: the keyboard starts in the monitor (Ctrl-A c switches to the guest's console and back; "
                    + "from a pipe, stdin is monitor commands); none: no monitor. Default: the monitor behind Ctrl-A c.")
    String monitorOption;

    @Option(names = "--trace-traps", paramLabel = "MS", arity = "0..1", fallbackValue = "1000",
            description = "Print every vCPU's trap counters every MS milliseconds (default 1000), and once more when the run ends, on stderr.")
    Long traceTraps;

    @Option(names = "-s", description = "Shorthand for -gdb tcp::1234: GDB's remote protocol on 127.0.0.1:1234.")
    boolean gdbDefault;

    @Option(names = "-gdb", paramLabel = "tcp:[HOST]:PORT",
            description = "Wait for GDB's remote protocol on PORT (HOST: the loopback unless given).")
    String gdb;

    @Option(names = "-S", description = "Start with the vCPUs stopped (until GDB continues them).")
    boolean startStopped;

    @Option(names = "--dump-dtb", paramLabel = "FILE", description = "Write the board's device tree blob to FILE and exit.")
    Path dumpDtb;

    @Option(names = "--clock", paramLabel = "host|instructions", defaultValue = "host",
            description = "Source of the system counter: the host's monotonic clock, or retired instructions (repeatable runs).")
    String clock;

    @Option(names = "--on-reboot", paramLabel = "exit|restart", defaultValue = "exit",
            description = "What a guest's reboot request does (default ${DEFAULT-VALUE}).")
    String onReboot;

    @Override
    public Integer call() throws Exception {
        BoardConfig config = config();
        if (monitorOption != null && !monitorOption.equals("stdio") && !monitorOption.equals("none"))
            throw new UserError("-monitor " + monitorOption + ": expected stdio or none");
        boolean restart = switch (onReboot) {
            case "exit" -> false;
            case "restart" -> true;
            default -> throw new UserError("--on-reboot: '" + onReboot + "' (expected exit or restart)");
        };
        OutputStream console = System.out;
        VirtBoard board;
        try {
            board = VirtBoard.build(config, console, System.err, restart);
        } catch (BootException e) {
            throw new UserError(e.getMessage());
        }
        try (board) {
            if (dumpDtb != null) {
                writeDtb(board.deviceTree());
                return 0;
            }
            if (traceTraps != null) board.traceTraps(traceTraps, System.err);
            InetSocketAddress gdbAddress = gdbAddress();
            Monitor monitor = new Monitor(board);
            GdbStub stub = null;
            if (gdbAddress != null) {
                try {
                    stub = GdbStub.listen(board, gdbAddress.getAddress(), gdbAddress.getPort(), System.err);
                } catch (IOException e) {
                    throw new UserError("-gdb: cannot listen on " + gdbAddress + ": " + e.getMessage());
                }
                stub.setMonitor(monitor::execute);
                System.err.println("jvisor: gdbstub listening on " + gdbAddress.getAddress().getHostAddress() + ":" + stub.port());
            }
            if (startStopped) board.requestPause();
            boolean withMonitor = monitorOption == null || monitorOption.equals("stdio");
            MonitorConsole[] monitorConsole = new MonitorConsole[1];
            Runnable toggle = () -> {
                if (monitorConsole[0] != null) monitorConsole[0].toggle();
            };
            try (HostConsole input = HostConsole.forStdin(board.consoleInput(), () -> board.stop(0), toggle)) {
                if (withMonitor) {
                    monitorConsole[0] = new MonitorConsole(monitor, System.out, input.isTerminal());
                    monitorConsole[0].attach(input, board.consoleInput());
                    if (monitorOption != null) monitorConsole[0].enter();
                }
                input.start();
                return board.run();
            } finally {
                if (stub != null) stub.close();
            }
        }
    }

    /** -s and -gdb tcp:[HOST]:PORT (QEMU's syntax); null without either. */
    InetSocketAddress gdbAddress() {
        if (gdb == null) return gdbDefault ? new InetSocketAddress(InetAddress.getLoopbackAddress(), 1234) : null;
        String spec = gdb.startsWith("tcp:") ? gdb.substring(4) : gdb;
        int colon = spec.lastIndexOf(':');
        String host = colon < 0 ? "" : spec.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(spec.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UserError("-gdb " + gdb + ": expected tcp:[HOST]:PORT");
        }
        if (port < 0 || port > 65535) throw new UserError("-gdb " + gdb + ": no such port");
        try {
            InetAddress a = host.isEmpty() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
            return new InetSocketAddress(a, port);
        } catch (java.net.UnknownHostException e) {
            throw new UserError("-gdb " + gdb + ": unknown host '" + host + "'");
        }
    }

    private void writeDtb(byte[] dtb) {
        try {
            Files.write(dumpDtb, dtb);
        } catch (IOException e) {
            throw new UserError("--dump-dtb: cannot write '" + dumpDtb + "': " + e.getMessage());
        }
    }

    BoardConfig config() {
        if (kernel == null) {
            if (initrd != null) throw new UserError("-initrd without -kernel: give both, or neither for the default guest");
            GuestImage guest = ExperimentCommand.obtainDefaultGuest();
            kernel = guest.kernel();
            initrd = guest.initrd();
            if (append == null) append = "console=ttyAMA0";
        }
        long ram = QemuStyle.parseSize("-m", memory);
        if (ram < BoardConfig.MIN_RAM) throw new UserError("-m " + memory + ": at least " + (BoardConfig.MIN_RAM >> 20) + " MiB of RAM are needed");
        if (ram > BoardConfig.MAX_RAM) throw new UserError("-m " + memory + ": at most " + (BoardConfig.MAX_RAM >> 30) + " GiB of RAM");
        if ((ram & 0xfff) != 0) throw new UserError("-m " + memory + ": not a whole number of 4 KiB pages");

        Map<String, String> m = QemuStyle.parseKeyValues("-M", machine, "type", "gic-version", "hide-seek");
        if (!m.get("type").equals("virt")) throw new UserError("-M " + machine + ": the only board is 'virt'");
        int gic = switch (m.getOrDefault("gic-version", "2")) {
            case "2" -> 2;
            case "3" -> 3;
            default -> throw new UserError("-M: gic-version=" + m.get("gic-version") + " (expected 2 or 3)");
        };
        boolean hideSeek = QemuStyle.parseSwitch("-M", "hide-seek", m.getOrDefault("hide-seek", "on"));

        Map<String, String> s = QemuStyle.parseKeyValues("-smp", smp, "cpus", "cpus");
        int cpus;
        try {
            cpus = Integer.parseInt(s.get("cpus"));
        } catch (NumberFormatException e) {
            throw new UserError("-smp " + smp + ": not a number of CPUs");
        }
        int max = gic == 2 ? 8 : BoardConfig.MAX_CPUS;
        if (cpus < 1 || cpus > max) throw new UserError("-smp " + smp + ": 1 to " + max + " vCPUs" + (gic == 2 ? " with a GICv2" : ""));

        List<BoardConfig.Drive> disks = new ArrayList<>();
        for (String d : drives) disks.add(drive(d));

        boolean instructions = switch (clock) {
            case "host" -> false;
            case "instructions" -> true;
            default -> throw new UserError("--clock: '" + clock + "' (expected host or instructions)");
        };
        if (traceTraps != null && traceTraps <= 0) throw new UserError("--trace-traps: the period must be positive");
        return new BoardConfig(ram, cpus, gic, hideSeek, disks, kernel, initrd, append == null ? "" : append, instructions);
    }

    private static BoardConfig.Drive drive(String spec) {
        Map<String, String> p = QemuStyle.parseKeyValues("-drive", spec, null, "file", "format", "if", "readonly");
        String file = p.get("file");
        if (file == null || file.isEmpty()) throw new UserError("-drive " + spec + ": file= is required");
        if (!p.getOrDefault("format", "raw").equals("raw")) throw new UserError("-drive " + spec + ": only format=raw is supported");
        if (!p.getOrDefault("if", "virtio").equals("virtio")) throw new UserError("-drive " + spec + ": only if=virtio is supported");
        boolean ro = QemuStyle.parseSwitch("-drive", "readonly", p.getOrDefault("readonly", "off"));
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) throw new UserError("-drive: disk image '" + file + "' not found");
        return new BoardConfig.Drive(path, ro);
    }
}
