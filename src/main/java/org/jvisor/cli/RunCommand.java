package org.jvisor.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.BootException;
import org.jvisor.vmm.devices.ConsoleInput;
import org.jvisor.vmm.debug.GdbStub;
import org.jvisor.guest.GuestImage;
import org.jvisor.vmm.debug.HostConsole;
import org.jvisor.vmm.InputFiles;
import org.jvisor.vmm.debug.Monitor;
import org.jvisor.vmm.debug.MonitorConsole;
import org.jvisor.vmm.VirtBoard;
import org.jvisor.vmm.snapshot.SnapshotException;
import org.jvisor.vmm.snapshot.SnapshotFile;
import org.jvisor.vmm.snapshot.SnapshotStore;
import org.jvisor.vmm.net.Nic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvisor run}: boots a kernel on the virt board, with qemu-system-aarch64's option names and
 * meanings where they overlap so that users' habits carry over (jvisor behaves as QEMU with -nographic).
 * The guest's serial console is the terminal.
 */
// The options are many and their values long: a synopsis listing them all wraps inside a value, which
// the man page's AsciiDoc cannot take; the option list below shows them all anyway.
@Command(name = "run", sortOptions = false, customSynopsis = "jvisor run [OPTION]...",
        description = "Boot a kernel on the virt board (options as qemu-system-aarch64's, which jvisor runs like with -nographic).")
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

    @Option(names = "--ram-overcommit", description = "Allow -m above the host's RAM + swap (refused otherwise, as by QEMU):"
            + " the guest sees it all, and the host's OOM killer decides if it touches too much.")
    boolean ramOvercommit;

    @Option(names = "-smp", paramLabel = "N", description = "Number of vCPUs (or cpus=N; default ${DEFAULT-VALUE}).", defaultValue = "1")
    String smp;

    @Option(names = "-cpu", paramLabel = "MODEL", defaultValue = CpuOption.MODEL,
            description = "cortex-a57 (jvisor's processor, the default); max gets the same, with a note saying so; help lists the models.")
    String cpu;

    @Option(names = {"-M", "-machine"}, paramLabel = "virt[,gic-version=2|3][,virtualization=on|off][,trap-and-emulate=on|off][,hide-seek=on|off][,dumpdtb=FILE]",
            description = "Board and its properties (default ${DEFAULT-VALUE}); virtualization=on gives the guest EL2 (Linux starts"
                    + " its KVM there, with a vGIC on either GIC); trap-and-emulate=on runs the kernel deprivileged at EL0, every"
                    + " privileged instruction emulated and its page tables shadowed (Popek and Goldberg's VMM); dumpdtb=FILE writes the device tree blob and exits;"
                    + " help lists the boards.", defaultValue = "virt")
    String machine;

    @HostSide
    @Option(names = "-accel", paramLabel = "tcg",
            description = "Accepted: jvisor runs the guest on its own hypervisor, in Java, as QEMU's tcg does (kvm, hvf, ... are refused"
                    + " unless a tcg follows as the fallback).")
    List<String> accels = new ArrayList<>();

    @Option(names = "-enable-kvm", hidden = true, description = "Refused: jvisor does not use KVM.")
    boolean enableKvm;

    @Option(names = "-drive", paramLabel = "file=IMG,format=raw,if=virtio|none[,id=ID][,readonly=on]",
            description = "A raw disk image: if=virtio (the default) is a virtio-blk disk; if=none,id=ID is one for"
                    + " -device virtio-blk-device,drive=ID (repeatable).")
    List<String> drives = new ArrayList<>();

    @Option(names = "-device", paramLabel = "DRIVER[,PROP=VALUE...]",
            description = "virtio-blk-device,drive=ID; virtio-net-device,netdev=ID[,mac=MAC][,host_mtu=N]; virtio-rng-device; virtio-serial-device with virtconsole (hvc0); help lists them."
                    + " The entropy device and the console are there by default, as if given, unless -nodefaults.")
    List<String> devices = new ArrayList<>();

    @Option(names = "-nodefaults", description = "No default devices: no virtio entropy device or console (name them with -device),"
            + " and the serial port and monitor are connected only if -serial or -monitor says so.")
    boolean nodefaults;

    @HostSide
    @Option(names = "-serial", paramLabel = "mon:stdio|stdio|none",
            description = "The PL011: mon:stdio (the default) shares the terminal with the monitor (Ctrl-A c switches, Ctrl-A x quits);"
                    + " stdio gives the terminal to the guest alone (no escapes; Ctrl-C ends jvisor); none connects it to nothing"
                    + " (the monitor then has the terminal unless -monitor none).")
    List<String> serials = new ArrayList<>();

    @HostSide
    @Option(names = "-monitor", paramLabel = "stdio|none",
            description = "stdio: the keyboard starts in the monitor (Ctrl-A c switches to the guest's console and back; "
                    + "from a pipe, stdin is monitor commands); none: no monitor. Default: the monitor behind Ctrl-A c.")
    String monitorOption;

    @HostSide
    @Option(names = "-nographic", description = "Accepted: jvisor always runs as QEMU does with -nographic.")
    boolean nographic;

    @HostSide
    @Option(names = "-display", paramLabel = "none", description = "Accepted: jvisor has no display.")
    String display;

    @Option(names = "-nic", paramLabel = "user|stream|socket|none[,...][,mac=MAC]",
            description = "A NIC (virtio-net-device) and its network in one: user is user-mode networking through passt"
                    + " (DHCP, DNS, the host's loopback at 10.0.2.2; hostfwd=tcp::HOSTPORT-:GUESTPORT forwards a host port),"
                    + " stream and socket a link to another VM, with -netdev's properties. No NIC unless asked for (QEMU has one). Repeatable.")
    List<String> nics = new ArrayList<>();

    @Option(names = "-netdev", paramLabel = "user|stream|socket,id=ID[,...]",
            description = "A network for -device virtio-net-device,netdev=ID: user[,hostfwd=...] (passt);"
                    + " stream,server=on|off,addr.type=inet,addr.host=HOST,addr.port=PORT or addr.type=unix,addr.path=FILE"
                    + " (server=off to a passt you started: addr.type=unix,addr.path=its socket);"
                    + " socket,listen=[HOST]:PORT or socket,connect=HOST:PORT (HOST: the loopback unless given). Repeatable.")
    List<String> netdevs = new ArrayList<>();

    @Option(names = "-net", paramLabel = "none", description = "Accepted as none only (QEMU's older spelling: use -nic).")
    List<String> nets = new ArrayList<>();

    @Option(names = "-rtc", paramLabel = "base=utc|localtime|DATE[,clock=host|vm]",
            description = "What the PL031 real-time clock shows: the host's time in UTC (the default), in the host's zone"
                    + " (as at start), or from DATE on (2006-06-17T16:01:21 or 2006-06-17, UTC); clock=vm: it runs with the"
                    + " machine's system counter instead of the host's clock (with --clock instructions, a repeatable run).")
    String rtc;

    @HostSide
    @Option(names = "-no-reboot", description = "A guest's reboot ends jvisor (jvisor's default, unlike QEMU's; see --on-reboot).")
    boolean noReboot;

    @HostSide
    @Option(names = "-s", description = "Shorthand for -gdb tcp::1234: GDB's remote protocol on 127.0.0.1:1234.")
    boolean gdbDefault;

    @HostSide
    @Option(names = "-gdb", paramLabel = "tcp:[HOST]:PORT",
            description = "Wait for GDB's remote protocol on PORT (HOST: the loopback unless given).")
    String gdb;

    @HostSide
    @Option(names = "-S", description = "Start with the vCPUs stopped (until GDB continues them).")
    boolean startStopped;

    @HostSide
    @Option(names = "--trace-traps", paramLabel = "MS", arity = "0..1", fallbackValue = "1000",
            description = "Print every vCPU's trap counters every MS milliseconds (default 1000), and once more when the run ends, on stderr.")
    Long traceTraps;

    @HostSide
    @Option(names = "--trap", paramLabel = "SET", description = TrapOption.HELP)
    String trap;

    @Option(names = "--dump-dtb", paramLabel = "FILE", description = "Write the board's device tree blob to FILE and exit (as -M virt,dumpdtb=FILE).")
    Path dumpDtb;

    @Option(names = "--clock", paramLabel = "host|instructions", defaultValue = "host",
            description = "Source of the system counter: the host's monotonic clock, or retired instructions (repeatable runs).")
    String clock;

    @HostSide
    @Option(names = "--on-reboot", paramLabel = "exit|restart", defaultValue = "exit",
            description = "What a guest's reboot request does (default ${DEFAULT-VALUE}).")
    String onReboot;

    @HostSide
    @Option(names = "-loadvm", paramLabel = "FILE|TAG", description = "Start from a snapshot (as QEMU's -loadvm): a file, or"
            + " a tag the monitor's savevm saved. The machine is the snapshot's: the options that shape one are refused with it.")
    String loadvm;

    @HostSide
    @Option(names = "--cold-boot", description = "Boot the default guest's kernel even if a snapshot of it booted to its shell"
            + " is cached (jvisor run with no option that shapes the machine restores that snapshot, made by the first such run).")
    boolean coldBoot;

    @Mixin
    TranslateOption translate;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The options given on the command line that shape the machine (by their first name): those not {@link HostSide}. */
    private List<String> machineOptionsGiven() {
        List<String> given = new ArrayList<>();
        if (spec == null) return given;
        for (var o : spec.commandLine().getParseResult().matchedOptions())
            if (!(o.userObject() instanceof java.lang.reflect.Field f && f.isAnnotationPresent(HostSide.class))) given.add(o.shortestName());
        return given;
    }

    /** {@code -M help}, as QEMU lists its boards. */
    static final String MACHINE_HELP = "Supported machines are:\n" + String.format("%-20s %s%n", "virt", "QEMU's virt board (the only one)");

    /** {@code -accel help}, as QEMU lists its accelerators. */
    static final String ACCEL_HELP = "Accelerators supported by jvisor:\ntcg\n";

    @Override
    public Integer call() throws Exception {
        String help = helpAsked();
        if (help != null) {
            System.out.print(help);
            return 0;
        }
        translate.apply();
        Stdio stdio = Stdio.of(serials, monitorOption, nodefaults);
        CpuOption.check(cpu, System.err);
        if (loadvm != null) {
            List<String> shaping = machineOptionsGiven();
            if (!shaping.isEmpty()) throw new UserError("-loadvm: the machine is the snapshot's; " + String.join(", ", shaping) + " cannot change it");
            if (coldBoot) throw new UserError("-loadvm and --cold-boot: one starts from a snapshot, the other boots");
        }
        checkAcceleratorAndDisplay();
        boolean defaultGuest = kernel == null;
        BoardConfig config = loadvm != null ? null : config();
        Path dtbFile = loadvm != null ? null : dtbFile();
        boolean restart = switch (onReboot) {
            case "exit" -> false;
            case "restart" -> true;
            default -> throw new UserError("--on-reboot: '" + onReboot + "' (expected exit or restart)");
        };
        if (restart && noReboot) throw new UserError("-no-reboot and --on-reboot restart: a reboot cannot both end and restart the guest");
        OutputStream serial = stdio.serial() == Stdio.Serial.NONE ? OutputStream.nullOutputStream() : System.out;
        BootedGuest cache = loadvm == null && defaultGuest && !coldBoot && dtbFile == null && machineOptionsGiven().isEmpty()
                ? BootedGuest.of(config) : null;
        VirtBoard board = board(config, cache, serial, restart);
        // Saved once the shell first prompts, unless the board came from it, or --trap changed what it would save.
        BootedGuest booted = cache != null && !board.restored() && trap == null ? cache : null;
        try (board) {
            if (booted != null) booted.saveWhenReady(board, System.err);
            // A restored shell waits at its prompt, printed before the save: the terminal shows it again.
            if (board.restored()) {
                System.out.print(board.restoredConsoleLine());
                System.out.flush();
            }
            if (dtbFile != null) {
                writeDtb(dtbFile, board.deviceTree());
                return 0;
            }
            if (traceTraps != null) board.traceTraps(traceTraps, System.err);
            if (trap != null) board.vm().trapConfig().traps(TrapOption.parse(trap));
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
                if (!gdbAddress.getAddress().isLoopbackAddress())
                    System.err.println("jvisor: warning: the GDB stub is not on the loopback: anyone who can reach "
                            + gdbAddress.getAddress().getHostAddress() + ":" + stub.port()
                            + " can read and write the guest's memory and registers (the stub has no authentication)");
            }
            if (startStopped) board.requestPause();
            try {
                if (!stdio.readsTerminal()) return board.run();
                try (HostConsole input = hostConsole(stdio, board, monitor)) {
                    input.start();
                    return board.run();
                }
            } finally {
                if (stub != null) stub.close();
            }
        }
    }

    /**
     * The board: restored from -loadvm's snapshot, or from the booted guest's if there is one ({@code cache}:
     * a snapshot that does not restore is deleted, and the guest boots), else booted.
     */
    private VirtBoard board(BoardConfig config, BootedGuest cache, OutputStream serial, boolean restart) {
        try {
            if (loadvm != null) return VirtBoard.restore(openSnapshot(loadvm), serial, System.out, System.err, restart);
            if (cache != null && cache.exists()) {
                try {
                    return VirtBoard.restore(SnapshotFile.open(cache.file()), serial, System.out, System.err, restart);
                } catch (SnapshotException | BootException e) {
                    System.err.println("jvisor: booting, as the booted guest's snapshot did not restore: " + e.getMessage());
                    cache.delete();
                }
            }
            return VirtBoard.build(config, serial, System.out, System.err, restart);
        } catch (SnapshotException | BootException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** The snapshot -loadvm names: a file, else a tag in the user's snapshot store. */
    private static SnapshotFile openSnapshot(String spec) throws SnapshotException {
        Path file = Path.of(spec);
        if (Files.exists(file) || spec.contains("/")) return SnapshotFile.open(file);
        SnapshotStore store = SnapshotStore.standard();
        try {
            if (store.exists(spec)) return SnapshotFile.open(store.path(spec));
        } catch (IllegalArgumentException e) {
            // not a tag either
        }
        throw new UserError("-loadvm " + spec + ": no such file, and no snapshot of that name in " + store.dir());
    }

    /**
     * The terminal as {@code stdio} says: the guest's alone (-serial stdio), or shared by the guest's
     * serial port (if connected) and the monitor (if on), with QEMU's Ctrl-A escapes.
     */
    private static HostConsole hostConsole(Stdio stdio, VirtBoard board, Monitor monitor) {
        if (stdio.serial() == Stdio.Serial.STDIO) return HostConsole.forStdinAlone(board.consoleInput());
        ConsoleInput guest = stdio.serial() == Stdio.Serial.NONE ? (bytes, offset, length) -> { } : board.consoleInput();
        MonitorConsole[] monitorConsole = new MonitorConsole[1];
        Runnable toggle = () -> {
            if (monitorConsole[0] != null) monitorConsole[0].toggle();
        };
        HostConsole input = HostConsole.forStdin(guest, () -> board.stop(0), toggle);
        if (stdio.monitor()) {
            monitorConsole[0] = new MonitorConsole(monitor, System.out, input.isTerminal());
            monitorConsole[0].attach(input, guest);
            if (stdio.startInMonitor()) monitorConsole[0].enter();
        }
        return input;
    }

    /** What a {@code help} (or {@code ?}) value of -cpu, --trap, -device, -M or -accel asks to print; null if none does. */
    private String helpAsked() {
        if (CpuOption.isHelp(cpu)) return CpuOption.HELP;
        if (trap != null && TrapOption.isHelp(trap)) return TrapOption.list();
        if (devices.contains("help") || devices.contains("?")) return VirtioOptions.HELP;
        String board = machine.split(",", 2)[0];
        if (board.equals("help") || board.equals("?")) return MACHINE_HELP;
        if (accels.contains("help") || accels.contains("?")) return ACCEL_HELP;
        return null;
    }

    /**
     * -accel (repeatable: QEMU tries each in turn, so {@code -accel kvm -accel tcg} ends on tcg) and the
     * older {@code -M accel=kvm:tcg}: one of them must be tcg.
     */
    private static void checkAccelerators(String given, List<String> wanted) {
        for (String a : wanted)
            if (QemuStyle.parseKeyValues("-accel", a, "accel").get("accel").equals("tcg")) return;
        throw new UserError(given + ": jvisor runs the guest on its own hypervisor, in Java, as QEMU's tcg does (only tcg is accepted)");
    }

    private void checkAcceleratorAndDisplay() {
        if (enableKvm) throw new UserError("-enable-kvm: jvisor runs the guest on its own hypervisor, in Java, as QEMU's tcg does");
        if (!accels.isEmpty()) checkAccelerators("-accel " + String.join(" -accel ", accels), accels);
        if (display != null && !display.equals("none")) throw new UserError("-display " + display + ": jvisor has no display (only -display none)");
    }

    /** The file -M virt,dumpdtb=FILE or --dump-dtb names, or null. */
    private Path dtbFile() {
        String fromMachine = QemuStyle.parseKeyValues("-M", machine, "type", MACHINE_PROPERTIES).get("dumpdtb");
        if (fromMachine != null && dumpDtb != null) throw new UserError("-M dumpdtb= and --dump-dtb: give one of them");
        if (fromMachine != null && fromMachine.isEmpty()) throw new UserError("-M " + machine + ": dumpdtb needs a file name");
        return fromMachine != null ? Path.of(fromMachine) : dumpDtb;
    }

    private static final String[] MACHINE_PROPERTIES = {"gic-version", "virtualization", "hide-seek", "dumpdtb", "accel", "trap-and-emulate"};

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

    private static void writeDtb(Path file, byte[] dtb) {
        try {
            Files.write(file, dtb);
        } catch (IOException e) {
            throw new UserError("cannot write the device tree blob to '" + file + "': " + InputFiles.reason(e));
        }
    }

    /** Whether {@code -M MACHINE} gives the guest EL2 (virtualization=on). */
    static boolean virtualizationOn(String machine) {
        return virtualizationOn(QemuStyle.parseKeyValues("-M", machine, "type", MACHINE_PROPERTIES));
    }

    private static boolean virtualizationOn(Map<String, String> machineProperties) {
        return QemuStyle.parseSwitch("-M", "virtualization", machineProperties.getOrDefault("virtualization", "off"));
    }

    BoardConfig config() {
        Map<String, String> m = QemuStyle.parseKeyValues("-M", machine, "type", MACHINE_PROPERTIES);
        if (!m.get("type").equals("virt")) throw new UserError("-M " + machine + ": the only board is 'virt'");
        if (m.containsKey("accel")) checkAccelerators("-M " + machine, List.of(m.get("accel").split(":")));
        boolean virtualization = virtualizationOn(m);
        VirtioOptions.Devices virtio = VirtioOptions.parse(drives, devices, nodefaults);
        List<Nic> networkCards = NetOptions.parse(nics, netdevs, virtio.nics(), nets);
        Instant now = Instant.now();
        Duration rtcOffset = rtc == null ? Duration.ZERO : RtcOption.offset(rtc, now, ZoneId.systemDefault());
        Instant rtcStart = rtc == null ? null : RtcOption.vmStart(rtc, now, ZoneId.systemDefault());
        long ram = GuestRam.parse(memory, BoardConfig.MIN_RAM, ramOvercommit);
        if (kernel == null) {
            if (initrd != null) throw new UserError("-initrd without -kernel: give both, or neither for the default guest");
            // With EL2 its own, the guest's KVM has something to run: kvm-hello-world, kvm-vmm and a nested guest.
            GuestImage guest = ExperimentCommand.obtainDefaultGuest(virtualization);
            kernel = guest.kernel();
            initrd = guest.initrd();
            // A panic restarts at once, as a warm reset (Linux's default, panic=0, spins a core forever; Debian's
            // kernel has no pvpanic driver): the run then ends with one line and its own status.
            if (append == null) append = "console=ttyAMA0 panic=-1 reboot=panic_warm";
        }

        int gic = switch (m.getOrDefault("gic-version", "2")) {
            case "2" -> 2;
            case "3" -> 3;
            default -> throw new UserError("-M: gic-version=" + m.get("gic-version") + " (expected 2 or 3)");
        };
        boolean trapAndEmulate = QemuStyle.parseSwitch("-M", "trap-and-emulate", m.getOrDefault("trap-and-emulate", "off"));
        if (trapAndEmulate && virtualization)
            throw new UserError("-M " + machine + ": trap-and-emulate=on runs the kernel deprivileged at EL0; virtualization=on gives it EL2: one or the other");
        boolean hideSeek = QemuStyle.parseSwitch("-M", "hide-seek", m.getOrDefault("hide-seek", virtualization ? "off" : "on"));

        Map<String, String> s = QemuStyle.parseKeyValues("-smp", smp, "cpus", "cpus");
        int cpus;
        try {
            cpus = Integer.parseInt(s.get("cpus"));
        } catch (NumberFormatException e) {
            throw new UserError("-smp " + smp + ": not a number of CPUs");
        }
        if (trapAndEmulate && cpus > 1) throw new UserError("-smp " + smp + ": trap-and-emulate=on runs one vCPU (its shadow page tables are not shared yet)");
        int max = gic == 2 ? 8 : BoardConfig.MAX_CPUS;
        if (cpus < 1 || cpus > max) throw new UserError("-smp " + smp + ": 1 to " + max + " vCPUs" + (gic == 2 ? " with a GICv2" : ""));

        boolean instructions = switch (clock) {
            case "host" -> false;
            case "instructions" -> true;
            default -> throw new UserError("--clock: '" + clock + "' (expected host or instructions)");
        };
        if (traceTraps != null && traceTraps <= 0) throw new UserError("--trace-traps: the period must be positive");
        if (trap != null) {
            if (TrapOption.isDeprivileged(trap))
                throw new UserError("--trap " + trap + ": a board mode here, -M virt,trap-and-emulate=on (--trap says what EL2 traps)");
            TrapOption.parse(trap); // misspelt: one line before anything boots
            if (virtualization) throw new UserError("--trap " + trap + ": with virtualization=on the guest's own hypervisor decides what traps");
        }
        return new BoardConfig(ram, cpus, gic, hideSeek, virtio.drives(), kernel, initrd, append == null ? "" : append, instructions,
                virtio.rng(), virtio.console(), rtcOffset, rtcStart, virtualization, trapAndEmulate, networkCards);
    }
}
