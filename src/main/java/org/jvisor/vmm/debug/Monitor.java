package org.jvisor.vmm.debug;

import org.jvisor.vmm.VirtBoard;
import org.jvisor.vmm.snapshot.SnapshotStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jvisor.cpu.Esr;
import org.jvisor.hyp.GuestStage2;
import org.jvisor.hyp.HideSeek;
import org.jvisor.hyp.MemorySlot;
import org.jvisor.hyp.Stage2Descriptor;
import org.jvisor.hyp.Stage2PageTable;
import org.jvisor.hyp.TrapStats;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.Vm;

/**
 * The VMM's monitor, as QEMU's human monitor (HMP): one command line in, the text to print out. The
 * console's Ctrl-A c ({@link MonitorConsole}), {@code -monitor stdio} and a GDB stub's {@code monitor ...}
 * (qRcmd) all end in {@link #execute}. Command names and output shapes are QEMU's where QEMU has the
 * command ({@code info registers}, {@code x}, {@code xp}, {@code cpu}, {@code stop}, {@code cont},
 * {@code quit}, {@code info status}, {@code info cpus}); {@code info traps} is kvm_stat's view per vCPU and
 * {@code info stage2} shows a stage-2 descriptor field by field. For scripts piped into {@code -monitor stdio},
 * {@code wait-for TEXT [SECONDS]} waits for the guest's console output as expect does, and {@code sleep MS}.
 *
 * <p>Whatever reads a vCPU's registers (registers, a guest-virtual address, {@code info cpus}) first parks
 * every vCPU outside the guest for the moment of the look ({@link VirtBoard#hold}), as QEMU synchronizes
 * a CPU's state before showing it; a VM someone stopped stays stopped. Counters and guest memory are
 * read while the VM runs, as QEMU reads them.
 *
 * <p>Thread-safe (one command at a time); never throws for bad input: the answer is then an error line.
 */
public final class Monitor {
    /** The most bytes one {@code x}/{@code xp} shows (QEMU has no limit; a typo should not print for minutes). */
    static final int MAX_DUMP_BYTES = 64 * 1024;

    private static final String HELP = """
            cont|c  -- resume emulation
            cpu index -- set the default CPU
            delvm tag -- delete the snapshot named tag
            help|? [cmd] -- show the help
            info cpus  -- show infos for each CPU
            info registers [-a|vcpu] -- show the cpu registers (-a: all vCPUs; vcpu: that one; else the default CPU)
            info snapshots  -- show the saved snapshots
            info stage2 ipa -- show the stage-2 descriptor that maps IPA ipa on the default CPU's view
            info status  -- show the current VM status (running|paused)
            info traps  -- show the trap counters per vCPU and per exception class (as kvm_stat)
            loadvm tag -- restore the VM from the snapshot named tag
            quit|q  -- quit the emulator
            savevm tag -- save the whole VM as a snapshot named tag (replacing one of that name)
            sleep ms -- wait ms milliseconds before the next command (for scripts)
            stop|s  -- stop emulation
            wait-for text [seconds] -- wait until the guest's console prints text (a word, or "in quotes" with \\" and \\\\), at most seconds (default 60)
            x /fmt addr -- virtual memory dump starting at 'addr' (through the default CPU's stage 1)
            xp /fmt addr -- physical memory dump starting at 'addr'
            """;
    private static final String FORMAT_HELP = """
            /fmt is /[count][format][size]: format x (hex, default), d (signed), u (unsigned), o (octal), \
            c (char); size b (1 byte), h (2), w (4, default), g (8); addr is a number (0x... hex) or $pc, \
            $sp, $xN, with + and - terms
            """;

    private final VirtBoard board;
    private final MonitorSnapshots snapshots;
    private int current;

    /** A monitor whose snapshot commands use the user's {@link SnapshotStore#standard() store}. */
    public Monitor(VirtBoard board) {
        this(board, SnapshotStore.standard());
    }

    public Monitor(VirtBoard board, SnapshotStore snapshots) {
        this.board = board;
        this.snapshots = new MonitorSnapshots(board, snapshots);
    }

    /**
     * Runs one command line and returns what to print: zero or more lines, each ending in '\n' (the
     * caller converts line ends for a raw terminal). Never throws; bad input gives an error line.
     */
    public synchronized String execute(String commandLine) {
        try {
            return dispatch(commandLine == null ? "" : commandLine.strip());
        } catch (CommandError e) {
            return e.getMessage() + "\n" + (e.command == null ? "" : "Try \"help " + e.command + "\" for more information\n");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted\n";
        } catch (RuntimeException e) {
            return "error: " + e + "\n";
        }
    }

    /** The vCPU that {@code info registers}, {@code x} and {@code info stage2} use (QEMU's "cpu" command). */
    public synchronized int currentCpu() { return current; }

    /** A malformed command: its message, and the command whose help explains the syntax. */
    private static final class CommandError extends Exception {
        final String command;

        CommandError(String message, String command) {
            super(message, null, false, false);
            this.command = command;
        }
    }

    private String dispatch(String line) throws CommandError, InterruptedException {
        if (line.isEmpty()) return "";
        int cut = 0;
        while (cut < line.length() && !Character.isWhitespace(line.charAt(cut)) && line.charAt(cut) != '/') cut++;
        String name = line.substring(0, cut);
        String args = line.substring(cut).strip();
        return switch (name) {
            case "help", "?" -> help(args);
            case "info" -> info(args);
            case "cpu" -> selectCpu(args);
            case "x" -> dump(args, false);
            case "xp" -> dump(args, true);
            case "stop", "s" -> {
                noArgs(name, args);
                board.pause();
                yield "";
            }
            case "cont", "c" -> {
                noArgs(name, args);
                board.resume();
                yield "";
            }
            case "quit", "q" -> {
                noArgs(name, args);
                board.stop(0);
                yield "";
            }
            case "sleep" -> {
                if (!args.matches("[0-9]{1,9}")) throw new CommandError("sleep: a whole number of milliseconds is expected", "sleep");
                Thread.sleep(Long.parseLong(args));
                yield "";
            }
            case "wait-for" -> waitFor(args);
            case "savevm" -> snapshots.save(tag(name, args));
            case "loadvm" -> snapshots.load(tag(name, args));
            case "delvm" -> snapshots.delete(tag(name, args));
            default -> throw new CommandError("unknown command: '" + name + "'", null);
        };
    }

    /** The one argument of savevm, loadvm and delvm. */
    private static String tag(String command, String args) throws CommandError {
        if (args.isEmpty() || args.contains(" ")) throw new CommandError(command + ": one snapshot name (tag) is expected", command);
        return args;
    }

    /** The longest a wait-for waits when the script does not say. */
    static final long WAIT_FOR_DEFAULT_SECONDS = 60;

    /**
     * {@code wait-for TEXT [SECONDS]}: as expect's {@code expect}, TEXT is looked for in what the guest printed
     * since the previous wait-for matched (or since the board started), so it is found even if it came before
     * the command; see {@link ConsoleWatch}. Quiet when found; one line when not.
     */
    private String waitFor(String args) throws CommandError, InterruptedException {
        String text, rest;
        if (args.startsWith("\"")) {
            StringBuilder t = new StringBuilder();
            int i = 1;
            while (i < args.length() && args.charAt(i) != '"') {
                char c = args.charAt(i++);
                if (c == '\\' && i < args.length() && (args.charAt(i) == '"' || args.charAt(i) == '\\')) c = args.charAt(i++);
                t.append(c);
            }
            if (i == args.length()) throw new CommandError("wait-for: the text's closing quote is missing", "wait-for");
            text = t.toString();
            rest = args.substring(i + 1);
        } else {
            String[] w = args.split("\\s+", 2);
            text = w[0];
            rest = w.length > 1 ? w[1] : "";
        }
        if (text.isEmpty()) throw new CommandError("wait-for: the text to wait for is expected", "wait-for");
        rest = rest.strip();
        long seconds = WAIT_FOR_DEFAULT_SECONDS;
        if (!rest.isEmpty()) {
            if (!rest.matches("[0-9]{1,9}")) throw new CommandError("wait-for: invalid timeout: '" + rest + "' (whole seconds)", "wait-for");
            seconds = Long.parseLong(rest);
        }
        return switch (board.consoleWatch().await(text, TimeUnit.SECONDS.toNanos(seconds))) {
            case FOUND -> "";
            case TIMED_OUT -> "wait-for: \"" + text + "\" did not appear within " + seconds + " s\n";
            case ENDED -> "wait-for: the guest stopped before \"" + text + "\" appeared\n";
        };
    }

    private static void noArgs(String name, String args) throws CommandError {
        if (!args.isEmpty()) throw new CommandError(name + ": too many arguments", name);
    }

    private static String help(String topic) {
        if (topic.isEmpty()) return HELP + FORMAT_HELP;
        StringBuilder b = new StringBuilder();
        for (String l : HELP.split("\n")) {
            String head = l.substring(0, l.indexOf(" --"));
            String first = head.split(" ")[0];
            boolean match = topic.startsWith("info ") ? head.startsWith(topic) : List.of(first.split("\\|")).contains(topic);
            if (match) b.append(l).append('\n');
        }
        if (b.isEmpty()) return "unknown command: '" + topic + "'\n";
        if (topic.equals("x") || topic.equals("xp")) b.append(FORMAT_HELP);
        return b.toString();
    }

    private String info(String args) throws CommandError, InterruptedException {
        String[] w = args.isEmpty() ? new String[0] : args.split("\\s+");
        if (w.length == 0) {
            StringBuilder b = new StringBuilder();
            for (String l : HELP.split("\n")) if (l.startsWith("info ")) b.append(l).append('\n');
            return b.toString();
        }
        String sub = w[0];
        return switch (sub) {
            case "status" -> {
                if (w.length > 1) throw new CommandError("info status: too many arguments", "info status");
                yield "VM status: " + (board.isPaused() ? "paused" : "running") + "\n";
            }
            case "traps" -> {
                if (w.length > 1) throw new CommandError("info traps: too many arguments", "info traps");
                yield traps();
            }
            case "registers" -> registers(w);
            case "stage2" -> {
                if (w.length != 2) throw new CommandError("info stage2: one IPA expected", "info stage2");
                yield stage2(parseNumber(w[1], "info stage2"));
            }
            case "cpus" -> cpus();
            case "snapshots" -> {
                if (w.length > 1) throw new CommandError("info snapshots: too many arguments", "info snapshots");
                yield snapshots.list();
            }
            default -> throw new CommandError("unknown command: 'info " + sub + "'", null);
        };
    }

    private String selectCpu(String args) throws CommandError {
        if (args.isEmpty()) throw new CommandError("cpu: a CPU index is expected", "cpu");
        long n = parseNumber(args, "cpu");
        if (n < 0 || n >= board.vcpus().size()) throw new CommandError("invalid CPU index", "cpu");
        current = (int) n;
        return "";
    }

    private Vcpu vcpu() { return board.vcpus().get(current); }

    // ---- info traps ------------------------------------------------------------------------------------

    private String traps() {
        StringBuilder b = new StringBuilder();
        long cpu = 0, mem = 0, io = 0, exits = 0;
        for (Vcpu v : board.vcpus()) {
            TrapStats s = v.stats();
            long[] byEc = new long[64];
            for (int ec = 0; ec < 64; ec++) byEc[ec] = s.exits(ec);
            long c = s.cpuTraps(), m = s.memTraps(), i = s.ioTraps(), e = 0;
            for (long n : byEc) e += n;
            b.append(String.format("vCPU %d: CPU %d  MEM %d  IO %d  exits %d%n", v.id(), c, m, i, e));
            List<Integer> ecs = new ArrayList<>();
            for (int ec = 0; ec < 64; ec++) if (byEc[ec] != 0) ecs.add(ec);
            ecs.sort((x, y) -> byEc[x] != byEc[y] ? Long.compare(byEc[y], byEc[x]) : Integer.compare(x, y));
            for (int ec : ecs) b.append(String.format("  %-12s 0x%02x %12d%n", Esr.ecName(ec), ec, byEc[ec]));
            cpu += c;
            mem += m;
            io += i;
            exits += e;
        }
        if (board.vcpus().size() > 1) b.append(String.format("all vCPUs: CPU %d  MEM %d  IO %d  exits %d%n", cpu, mem, io, exits));
        if (board.vm().guestOwnsEl2()) {
            long irqs = 0, calls = 0;
            for (Vcpu v : board.vcpus()) {
                irqs += v.stats().interrupts();
                calls += v.stats().hostCalls();
            }
            b.append(String.format("(the guest owns EL2: these are its guests' exceptions to its EL2, taken with its stage 2 on;%n"
                    + " also %d interrupts to its EL2 and %d calls from its own kernel to its EL2)%n", irqs, calls));
        }
        return b.toString();
    }

    // ---- info registers, info cpus ---------------------------------------------------------------------

    private String registers(String[] w) throws CommandError, InterruptedException {
        List<Vcpu> all = board.vcpus();
        List<Vcpu> show;
        if (w.length == 1) show = List.of(vcpu());
        else if (w.length == 2 && w[1].equals("-a")) show = all;
        else if (w.length == 2) {
            long n = parseNumber(w[1], "info registers");
            if (n < 0 || n >= all.size()) throw new CommandError("invalid CPU index", "info registers");
            show = List.of(all.get((int) n));
        } else throw new CommandError("info registers: too many arguments", "info registers");
        board.hold();
        try {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < show.size(); i++) {
                if (i > 0) b.append('\n');
                appendRegisters(b, show.get(i));
            }
            return b.toString();
        } finally {
            board.release();
        }
    }

    /** QEMU's aarch64 dump ("CPU#n", PC and X0-X30 three to a line, SP, PSTATE), then EL1's main system registers. */
    private static void appendRegisters(StringBuilder b, Vcpu v) {
        GuestView g = GuestView.of(v);
        b.append("CPU#").append(v.id()).append('\n');
        b.append(String.format(" PC=%016x ", g.pc));
        for (int i = 0; i < 31; i++) b.append(String.format("X%02d=%016x%s", i, v.x(i), (i + 2) % 3 != 0 ? " " : "\n"));
        b.append(String.format(" SP=%016x%n", g.sp));
        long p = g.pstate;
        b.append(String.format("PSTATE=%08x %c%c%c%c EL%d%c%s%n", p, (p & 1L << 31) != 0 ? 'N' : '-', (p & 1L << 30) != 0 ? 'Z' : '-',
                (p & 1L << 29) != 0 ? 'C' : '-', (p & 1L << 28) != 0 ? 'V' : '-', (p >>> 2) & 3, (p & 1) != 0 ? 'h' : 't',
                g.inHypervisor ? "    (in the hypervisor: PC, PSTATE from ELR_EL2, SPSR_EL2)" : ""));
        for (String[] line : SYSTEM_REGISTER_LINES) {
            for (int i = 0; i < line.length; i++)
                b.append(i == 0 ? "" : " ").append(line[i]).append('=').append(String.format("%016x", v.register(line[i])));
            b.append('\n');
        }
        b.append(String.format("FPCR=%08x FPSR=%08x%n", v.register("FPCR"), v.register("FPSR")));
    }

    /** The system registers {@code info registers} shows after PSTATE, line by line. */
    private static final String[][] SYSTEM_REGISTER_LINES = {
            {"SP_EL0", "SP_EL1", "ELR_EL1"},
            {"SCTLR_EL1", "TCR_EL1", "MAIR_EL1"},
            {"TTBR0_EL1", "TTBR1_EL1", "VBAR_EL1"},
            {"ESR_EL1", "FAR_EL1", "SPSR_EL1"}};

    /** The guest's PC, PSTATE and SP, also when the vCPU stopped on its way into the hypervisor (then in ELR/SPSR_EL2). */
    private record GuestView(long pc, long pstate, long sp, boolean inHypervisor) {
        static GuestView of(Vcpu v) {
            long pstate = v.pstate();
            // EL2 is the guest's own when it owns EL2 (virtualization=on): nothing to look through then.
            if (((pstate >>> 2) & 3) != 2 || v.vm().guestOwnsEl2()) return new GuestView(v.pc(), pstate, v.sp(), false);
            long spsr = v.register("SPSR_EL2");
            int el = (int) (spsr >>> 2) & 3;
            return new GuestView(v.register("ELR_EL2"), spsr, v.spEl((spsr & 1) != 0 ? el : 0), true);
        }
    }

    private String cpus() throws InterruptedException {
        List<Vcpu> all = board.vcpus();
        boolean[] halted = new boolean[all.size()];
        for (int i = 0; i < halted.length; i++) halted[i] = all.get(i).isIdle(); // before the hold wakes them
        board.hold();
        try {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < halted.length; i++) {
                Vcpu v = all.get(i);
                GuestView g = GuestView.of(v);
                b.append(String.format("%c CPU #%d: PC=0x%016x EL%d%s%n", v.id() == current ? '*' : ' ', v.id(), g.pc,
                        (g.pstate >>> 2) & 3, halted[i] ? " (halted)" : ""));
            }
            return b.toString();
        } finally {
            board.release();
        }
    }

    // ---- info stage2 -----------------------------------------------------------------------------------

    private String stage2(long ipa) {
        Vcpu v = vcpu();
        Vm vm = v.vm();
        if (vm.guestOwnsEl2())
            return "the guest owns EL2 (virtualization=on): stage 2 is its own, under its VTTBR_EL2, not jvisor's\n";
        GuestStage2 view = v.stage2View();
        int index = 0;
        for (int i = 0; i < vm.stage2ViewCount(); i++) if (vm.stage2View(i) == view) index = i;
        String where = String.format("IPA 0x%016x (vCPU %d, stage-2 view %d, VMID %d)", ipa, v.id(), index, view.vmid());
        if (ipa < 0 || ipa >>> Stage2PageTable.IPA_BITS != 0)
            return where + ": beyond the " + Stage2PageTable.IPA_BITS + "-bit IPA space\n";
        long[] found = {0, -1, 0};
        view.table().walk(ipa & ~(Stage2PageTable.PAGE_SIZE - 1), Stage2PageTable.PAGE_SIZE, Stage2PageTable.WALK_LEAF,
                (base, level, desc) -> {
                    found[0] = desc;
                    found[1] = level;
                    found[2] = base;
                    return desc;
                });
        if (found[1] < 0) {
            boolean ram = false;
            for (MemorySlot s : vm.slots()) ram |= s.contains(ipa);
            return where + ": not mapped" + (ram ? " (guest RAM the guest has not touched yet)" : " (no guest RAM there)") + "\n";
        }
        long desc = found[0];
        int level = (int) found[1];
        long size = Stage2Descriptor.levelSize(level);
        long oa = Stage2Descriptor.outputAddress(desc) & ~(size - 1);
        StringBuilder b = new StringBuilder(where).append('\n');
        b.append(String.format("  level %d %s descriptor 0x%016x: maps IPA 0x%016x-0x%016x%n", level, level == 3 ? "page" : "block",
                desc, found[2], found[2] + size - 1));
        b.append(String.format("  output address 0x%016x (host PA of the %s at 0x%016x)%n", oa | ipa & (size - 1),
                sizeName(size), oa));
        int s2ap = (int) (desc >>> 6) & 3;
        b.append(String.format("  S2AP %s  XN %d  AF %d  MemAttr 0x%x (%s)  SH %s%n",
                new String[] {"none", "RO", "WO", "RW"}[s2ap], (desc >>> 54) & 1, (desc >>> 10) & 1, (desc >>> 2) & 0xf,
                memAttr((int) (desc >>> 2) & 0xf), shareability((int) (desc >>> 8) & 3)));
        b.append(String.format("  DBM %d  Contiguous %d  software bits [58:55] 0x%x  hide/seek byte [58:51] 0x%02x%n",
                (desc >>> 51) & 1, (desc >>> 52) & 1, Stage2Descriptor.softwareBits(desc), (desc & HideSeek.MASK) >>> HideSeek.SHIFT));
        return b.toString();
    }

    private static String sizeName(long size) {
        return size >= 1L << 30 ? (size >> 30) + " GiB block" : size >= 1L << 20 ? (size >> 20) + " MiB block" : (size >> 10) + " KiB page";
    }

    /** Stage-2 MemAttr[3:0] (Arm ARM D5.5.5): [3:2] 0 is Device with [1:0] the kind, else outer [3:2] and inner [1:0] cacheability. */
    static String memAttr(int m) {
        if ((m & 0xc) == 0) return "Device-" + new String[] {"nGnRnE", "nGnRE", "nGRE", "GRE"}[m & 3];
        String[] c = {"reserved", "Non-cacheable", "Write-Through", "Write-Back"};
        int outer = m >>> 2, inner = m & 3;
        return outer == inner ? "Normal " + c[outer] : "Normal outer " + c[outer] + " inner " + c[inner];
    }

    private static String shareability(int sh) {
        return new String[] {"Non-shareable", "reserved", "Outer Shareable", "Inner Shareable"}[sh];
    }

    // ---- x, xp -----------------------------------------------------------------------------------------

    private String dump(String args, boolean physical) throws CommandError, InterruptedException {
        String cmd = physical ? "xp" : "x";
        int count = 1, size = 4;
        char format = 'x';
        String rest = args;
        if (rest.startsWith("/")) {
            int end = 1;
            while (end < rest.length() && !Character.isWhitespace(rest.charAt(end))) end++;
            String f = rest.substring(1, end);
            rest = rest.substring(end).strip();
            int i = 0;
            while (i < f.length() && Character.isDigit(f.charAt(i))) i++;
            if (i > 0) {
                try {
                    count = Integer.parseInt(f.substring(0, i));
                } catch (NumberFormatException e) {
                    throw new CommandError("count too large: '" + f.substring(0, i) + "'", cmd);
                }
            }
            boolean sized = false;
            for (; i < f.length(); i++) {
                char c = f.charAt(i);
                switch (c) {
                    case 'x', 'd', 'u', 'o', 'c' -> format = c;
                    case 'b' -> { size = 1; sized = true; }
                    case 'h' -> { size = 2; sized = true; }
                    case 'w' -> { size = 4; sized = true; }
                    case 'g' -> { size = 8; sized = true; }
                    case 'i' -> throw new CommandError("format 'i' (disassembly) is not supported", cmd);
                    default -> throw new CommandError("invalid char in format: '" + c + "'", cmd);
                }
            }
            if (format == 'c') {
                if (sized && size != 1) throw new CommandError("format 'c' is for bytes", cmd);
                size = 1;
            }
        }
        if (rest.isEmpty()) throw new CommandError("unexpected end of expression", cmd);
        if ((long) count * size > MAX_DUMP_BYTES) throw new CommandError(cmd + ": at most " + MAX_DUMP_BYTES + " bytes at once", cmd);
        if (physical && !rest.contains("$")) return dumpLines(parseExpression(rest, cmd, null), count, size, format, true, null);
        board.hold(); // a register in the expression, or a walk of the guest's tables: a consistent look
        try {
            Vcpu v = vcpu();
            return dumpLines(parseExpression(rest, cmd, v), count, size, format, physical, v);
        } finally {
            board.release();
        }
    }

    /** QEMU's memory_dump: 16 bytes a line (8 for bytes), each line "address:" then the values. */
    private String dumpLines(long addr, int count, int size, char format, boolean physical, Vcpu v) {
        StringBuilder b = new StringBuilder();
        int len = count * size;
        int lineSize = size == 1 ? 8 : 16;
        int digits = switch (format) {
            case 'o' -> (size * 8 + 2) / 3;
            case 'd', 'u' -> (size * 8 * 10 + 32) / 33;
            default -> size * 2;
        };
        byte[] buf = new byte[lineSize];
        while (len > 0) {
            b.append(String.format("%016x:", addr));
            int l = Math.min(len, lineSize);
            String failure = read(addr, buf, l, physical, v);
            if (failure != null) {
                b.append(' ').append(failure).append('\n');
                break;
            }
            for (int i = 0; i < l; i += size) {
                long val = 0;
                for (int k = size - 1; k >= 0; k--) val = val << 8 | (buf[i + k] & 0xff);
                b.append(' ');
                switch (format) {
                    case 'o' -> b.append(String.format("%#" + digits + "o", val));
                    case 'd' -> b.append(String.format("%" + digits + "d", val));
                    case 'u' -> b.append(String.format("%" + digits + "s", Long.toUnsignedString(val)));
                    case 'c' -> b.append(printable((int) val));
                    default -> b.append(String.format("0x%0" + digits + "x", val));
                }
            }
            b.append('\n');
            addr += l;
            len -= l;
        }
        return b.toString();
    }

    private static String printable(int c) {
        return switch (c) {
            case '\'' -> "'\\''";
            case '\\' -> "'\\\\'";
            case '\n' -> "'\\n'";
            case '\r' -> "'\\r'";
            default -> c >= 32 && c <= 126 ? "'" + (char) c + "'" : String.format("'\\x%02x'", c);
        };
    }

    /** Fills {@code buf[0, len)} from guest RAM, a page at a time through stage 1 for virtual addresses; null, or why not. */
    private String read(long addr, byte[] buf, int len, boolean physical, Vcpu v) {
        Vm vm = board.vm();
        int done = 0;
        while (done < len) {
            long a = addr + done;
            int chunk = (int) Math.min(len - done, 0x1000 - (a & 0xfff));
            long ipa = a;
            if (!physical) {
                // The guest's tables at their IPAs in RAM, whether stage 2 maps those pages yet or not.
                var t = v.translate(a);
                if (t.isEmpty()) return "Cannot access memory";
                ipa = t.getAsLong();
            }
            try {
                vm.readGuest(ipa, buf, done, chunk);
            } catch (IllegalArgumentException e) {
                return physical ? "Cannot access memory" : String.format("Cannot access memory (IPA 0x%x is not guest RAM)", ipa);
            }
            done += chunk;
        }
        return null;
    }

    // ---- numbers and expressions -----------------------------------------------------------------------

    /** Terms joined by + and -: numbers (0x hex, else decimal) and, with a vCPU, $pc, $sp, $x0-$x30. */
    private static long parseExpression(String s, String cmd, Vcpu v) throws CommandError {
        String e = s.replace(" ", "");
        long sum = 0;
        int i = 0;
        boolean negative = false;
        if (e.startsWith("-")) {
            negative = true;
            i = 1;
        }
        while (true) {
            int j = i;
            while (j < e.length() && e.charAt(j) != '+' && e.charAt(j) != '-') j++;
            String term = e.substring(i, j);
            if (term.isEmpty()) throw new CommandError("unexpected end of expression", cmd);
            long t = term.startsWith("$") ? register(term, cmd, v) : parseNumber(term, cmd);
            sum = negative ? sum - t : sum + t;
            if (j == e.length()) return sum;
            negative = e.charAt(j) == '-';
            i = j + 1;
        }
    }

    private static long register(String term, String cmd, Vcpu v) throws CommandError {
        String r = term.substring(1).toLowerCase(Locale.ROOT);
        if (v == null) throw new CommandError("no CPU for register " + term, cmd);
        GuestView g = GuestView.of(v);
        if (r.equals("pc")) return g.pc;
        if (r.equals("sp")) return g.sp;
        if (r.matches("x([0-9]|[12][0-9]|30)")) return v.x(Integer.parseInt(r.substring(1)));
        throw new CommandError("unknown register: '" + term + "'", cmd);
    }

    private static long parseNumber(String s, String cmd) throws CommandError {
        try {
            String t = s.toLowerCase(Locale.ROOT);
            if (t.startsWith("0x")) return Long.parseUnsignedLong(t.substring(2), 16);
            return Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new CommandError("invalid number: '" + s + "'", cmd);
        }
    }
}
