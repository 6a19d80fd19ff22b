package org.jvisor.vmm.debug;

import org.jvisor.vmm.VirtBoard;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.UnaryOperator;
import org.jvisor.hyp.GuestDebug;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.Vm;

/**
 * A GDB remote stub for the board (QEMU's gdbstub, {@code -s}/{@code -gdb tcp::PORT}): each vCPU is a
 * thread (ids from 1), all-stop (a halt of one vCPU parks them all through {@link VirtBoard#pause}),
 * memory at guest virtual addresses through the selected vCPU's current stage 1 translation (or at
 * guest physical addresses after {@code maintenance packet Qqemu.PhyMemMode:1}), and breakpoints,
 * watchpoints and single step kept by the host ({@link Vcpu#setGuestDebug}): guest memory and the guest's debug
 * registers are never touched, so breakpoints work before and after the guest enables its MMU and
 * their number is not limited.
 *
 * <p>One client at a time; another connection is closed at once while one is served. A client that goes away
 * at any point leaves the VM as it was (stopped or running), with its breakpoints removed. The client
 * is untrusted: any packet it sends is answered (an error or an empty reply), never a failure of the VMM.
 */
public final class GdbStub implements AutoCloseable {
    /** Register numbers of the target description. */
    static final int REG_SP = 31, REG_PC = 32, REG_CPSR = 33, REG_V0 = 34, REG_FPSR = 66, REG_FPCR = 67, REG_SYS = 68;
    /** System registers shown in GDB (feature org.jvisor.aarch64.sysregs), in register number order from {@link #REG_SYS}. */
    static final List<String> SYSREGS = List.of("SCTLR_EL1", "TCR_EL1", "TTBR0_EL1", "TTBR1_EL1", "MAIR_EL1",
            "VBAR_EL1", "ESR_EL1", "FAR_EL1", "ELR_EL1", "SPSR_EL1", "SP_EL0", "SP_EL1", "TPIDR_EL0", "TPIDR_EL1",
            "CONTEXTIDR_EL1", "CPACR_EL1", "MDSCR_EL1", "CNTV_CTL_EL0", "CNTV_CVAL_EL0", "MPIDR_EL1");
    private static final int SIGINT = 2, SIGTRAP = 5;

    private final VirtBoard board;
    private final Vm vm;
    private final List<Vcpu> vcpus;
    private final ServerSocket server;
    private final PrintStream log;
    private final Thread acceptor;
    private volatile UnaryOperator<String> monitor;
    private volatile Session session;
    private volatile Thread sessionThread;
    private volatile boolean closed;

    private GdbStub(VirtBoard board, ServerSocket server, PrintStream log) {
        this.board = board;
        this.vm = board.vm();
        this.vcpus = board.vcpus();
        this.server = server;
        this.log = log;
        board.setDebugListener(this::halted);
        acceptor = Thread.ofPlatform().name("gdbstub").daemon().start(this::acceptLoop);
    }

    /**
     * Listens on {@code address:port} (port 0: any free port, see {@link #port()}) for GDB. A null address
     * is the loopback: exposing a debugger of the guest to the network is the user's explicit choice.
     */
    public static GdbStub listen(VirtBoard board, InetAddress address, int port, PrintStream log) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        try {
            s.bind(new InetSocketAddress(address == null ? InetAddress.getLoopbackAddress() : address, port), 1);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new GdbStub(board, s, log);
    }

    /** The port listened on. */
    public int port() { return server.getLocalPort(); }

    /** Where GDB's {@code monitor} commands go (qRcmd): the command line in, the text to show out. */
    public void setMonitor(UnaryOperator<String> monitor) { this.monitor = monitor; }

    /** Tells a connected client that the guest ended (W), and stops listening. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        Session s = session;
        if (s != null) s.end(true);
        board.setDebugListener(null);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed) log.println("jvisor: gdbstub: " + e.getMessage());
                return;
            }
            Session current = session;
            Thread last = sessionThread;
            if (current != null && (current.ended || current.disconnected) && last != null) {
                // A client that has left (end of stream, detach, kill) is still being let go: wait for that
                // (what it sent before leaving, and a pause of the vCPUs), so that one reconnecting is served.
                try {
                    last.join(java.time.Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closeQuietly(c);
                    return;
                }
            }
            if (session != null) {
                // One client at a time, and any other is refused at once: the accept loop never waits for a
                // session that goes on (gdbserver and QEMU leave extra clients unanswered in the backlog).
                closeQuietly(c);
                continue;
            }
            try {
                c.setTcpNoDelay(true);
                Session s = new Session(c);
                session = s;
                sessionThread = Thread.ofPlatform().name("gdbstub-client").daemon().start(() -> {
                    try {
                        s.serve();
                    } finally {
                        session = null;
                    }
                });
            } catch (IOException e) {
                closeQuietly(c);
            }
        }
    }

    /** A vCPU halted for the debugger (its own thread): stop all, and let the session report it. */
    private void halted(Vcpu v) {
        Session s = session;
        if (s == null || !s.running) return;
        board.requestPause();
        s.events.offer(new Halt(v));
    }

    private static void closeQuietly(Socket c) {
        try {
            c.close();
        } catch (IOException e) {
            // gone
        }
    }

    // ---- one client ----------------------------------------------------------------------------------

    sealed interface Event {}

    record Input(GdbPacket.Input input) implements Event {}

    record Halt(Vcpu vcpu) implements Event {}

    record Gone() implements Event {}

    private final class Session {
        final Socket socket;
        final GdbPacket link;
        final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        /** The guest runs on behalf of this client (a c/s/vCont awaits its stop reply). */
        volatile boolean running;
        /** Halts that came while the vCPUs were already stopped, reported at the next resume. */
        final List<Vcpu> pendingHalts = new ArrayList<>();
        int gThread = 1, cThread = 1;
        boolean physical;
        /** The client's breakpoints and watchpoints, set in every vCPU (as Firecracker's gdb target keeps them). */
        final Set<Long> breakpoints = new LinkedHashSet<>();
        final Set<GuestDebug.Watchpoint> watchpoints = new LinkedHashSet<>();
        /** The client asked to leave (D, k, vKill), or the session is over. */
        private volatile boolean ended;
        /** The connection reached its end (or failed): the events before it are still served. */
        private volatile boolean disconnected;

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.link = new GdbPacket(socket.getInputStream(), socket.getOutputStream());
        }

        void serve() {
            Thread reader = Thread.ofPlatform().name("gdbstub-reader").daemon().start(() -> {
                try {
                    while (true) events.put(new Input(link.read()));
                } catch (IOException | RuntimeException | InterruptedException e) {
                    disconnected = true;
                    events.offer(new Gone());
                }
            });
            try {
                // GDB expects a stopped target when it connects, as QEMU stops the VM for it.
                board.pause();
                while (!ended) {
                    Event e = events.take();
                    switch (e) {
                        case Gone g -> ended = true;
                        case Halt h -> onHalt(h.vcpu());
                        case Input(GdbPacket.Interrupt i) -> {
                            if (running) stopAll(null, SIGINT);
                        }
                        case Input(GdbPacket.Packet p) -> {
                            if (running) stopAll(null, -1); // all-stop: packets come only while stopped
                            handle(p.text(), p.data());
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client went away while we answered
            } finally {
                forget();
                closeQuietly(socket);
                reader.interrupt();
            }
        }

        /** The client leaves: its breakpoints go; the VM stays as it is, running or stopped. */
        private void forget() {
            boolean wasPaused = !running;
            try {
                if (!wasPaused) board.pause();
                clearDebug();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (!wasPaused) board.resume();
            }
            running = false;
        }

        void end(boolean guestEnded) {
            if (guestEnded) {
                try {
                    link.send("W00");
                } catch (IOException e) {
                    // gone
                }
            }
            ended = true;
            events.offer(new Gone());
            closeQuietly(socket);
        }

        private void onHalt(Vcpu v) throws IOException, InterruptedException {
            if (!running) {
                pendingHalts.add(v);
                return;
            }
            stopAll(v, SIGTRAP);
        }

        /** Parks every vCPU and sends the stop reply for {@code v} (null: the selected thread), unless {@code signal} < 0. */
        private void stopAll(Vcpu v, int signal) throws IOException, InterruptedException {
            board.pause();
            running = false;
            setDebug(null);
            if (v == null) v = vcpu(cThread);
            gThread = cThread = v.id() + 1;
            if (signal >= 0) link.send(stopReply(v, signal));
        }

        private String stopReply(Vcpu v, int signal) {
            StringBuilder b = new StringBuilder(String.format("T%02x", signal));
            if (signal == SIGTRAP) {
                GuestDebug.Stop s = v.debugStop();
                String kind = switch (s.reason()) {
                    case WATCH_WRITE -> "watch";
                    case WATCH_READ -> "rwatch";
                    case WATCH_ACCESS -> "awatch";
                    default -> null;
                };
                if (kind != null) b.append(kind).append(':').append(Long.toHexString(s.address())).append(';');
            }
            b.append("thread:").append(Integer.toHexString(v.id() + 1)).append(';');
            return b.toString();
        }

        private void resume() throws IOException, InterruptedException {
            if (!pendingHalts.isEmpty()) {
                Vcpu v = pendingHalts.removeFirst();
                setDebug(null);
                gThread = cThread = v.id() + 1;
                link.send(stopReply(v, SIGTRAP));
                return;
            }
            running = true;
            board.resume();
        }

        private Vcpu vcpu(int thread) {
            int i = thread - 1;
            return i >= 0 && i < vcpus.size() ? vcpus.get(i) : vcpus.get(0);
        }

        // ---- packets ---------------------------------------------------------------------------------

        private void handle(String p, byte[] raw) throws IOException, InterruptedException {
            String reply;
            try {
                reply = answer(p, raw);
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                reply = "E01"; // a malformed packet
            } catch (RuntimeException e) {
                reply = "E02";
            }
            if (reply != null) link.send(reply);
        }

        /** The reply to packet {@code p}; null when the reply is a later stop reply (or none). */
        private String answer(String p, byte[] raw) throws IOException, InterruptedException {
            if (p.isEmpty()) return "";
            char c = p.charAt(0);
            switch (c) {
                case '?':
                    return stopReply(vcpu(cThread), SIGTRAP);
                case 'g':
                    return readAllRegisters(vcpu(gThread));
                case 'G':
                    return writeAllRegisters(vcpu(gThread), p.substring(1));
                case 'p': {
                    String v = readRegister(vcpu(gThread), Integer.parseInt(p.substring(1), 16));
                    return v == null ? "E00" : v;
                }
                case 'P': {
                    int eq = p.indexOf('=');
                    return writeRegister(vcpu(gThread), Integer.parseInt(p.substring(1, eq), 16), p.substring(eq + 1)) ? "OK" : "E00";
                }
                case 'm':
                    return readMemory(p.substring(1));
                case 'M':
                    return writeMemory(p.substring(1));
                case 'X':
                    return writeBinary(raw);
                case 'Z':
                case 'z':
                    return breakpoint(c == 'Z', p.substring(1));
                case 'c':
                    if (p.length() > 1) setPc(vcpu(cThread), Long.parseUnsignedLong(p.substring(1), 16));
                    resume();
                    return null;
                case 's':
                    if (p.length() > 1) setPc(vcpu(cThread), Long.parseUnsignedLong(p.substring(1), 16));
                    step(vcpu(cThread));
                    resume();
                    return null;
                case 'H': {
                    if (p.length() < 3) return "E01";
                    int t = parseThread(p.substring(2));
                    if (t > vcpus.size()) return "E01";
                    if (t <= 0) t = 1;
                    if (p.charAt(1) == 'g') gThread = t;
                    else cThread = t;
                    return "OK";
                }
                case 'T': {
                    int t = parseThread(p.substring(1));
                    return t >= 1 && t <= vcpus.size() ? "OK" : "E01";
                }
                case 'D':
                    link.send("OK");
                    clearDebug();
                    board.resume();
                    ended = true;
                    return null;
                case 'k':
                    ended = true;
                    board.stop(0);
                    board.resume();
                    return null;
                case 'v':
                    return vPacket(p);
                case 'q':
                case 'Q':
                    return query(p);
                default:
                    return "";
            }
        }

        private String vPacket(String p) throws IOException, InterruptedException {
            if (p.equals("vCont?")) return "vCont;c;C;s;S";
            if (p.startsWith("vCont;")) {
                Vcpu stepper = null;
                boolean any = false;
                for (String action : p.substring(6).split(";")) {
                    if (action.isEmpty()) continue;
                    int colon = action.indexOf(':');
                    String a = colon < 0 ? action : action.substring(0, colon);
                    int thread = colon < 0 ? -1 : parseThread(action.substring(colon + 1));
                    char k = a.isEmpty() ? '?' : a.charAt(0);
                    if (k == 's' || k == 'S') {
                        if (stepper == null) stepper = vcpu(thread <= 0 ? cThread : thread);
                    } else if (k != 'c' && k != 'C') {
                        return "E01"; // t, r: not offered in vCont?
                    }
                    any = true;
                }
                if (!any) return "E01";
                // Threads without an action continue too: the vCPUs run together (no scheduler locking).
                if (stepper != null) step(stepper);
                resume();
                return null;
            }
            if (p.startsWith("vKill")) {
                ended = true;
                board.stop(0);
                board.resume();
                return "OK";
            }
            return "";
        }

        private String query(String p) {
            if (p.startsWith("qSupported")) {
                return "PacketSize=" + Integer.toHexString(GdbPacket.MAX_PAYLOAD)
                        + ";qXfer:features:read+;vContSupported+;QStartNoAckMode+";
            }
            if (p.equals("QStartNoAckMode")) {
                try {
                    link.send("OK");
                } catch (IOException e) {
                    ended = true;
                    return null;
                }
                link.disableAcks();
                return null;
            }
            if (p.startsWith("qXfer:features:read:")) return features(p.substring(20));
            if (p.equals("qC")) return "QC" + Integer.toHexString(cThread);
            if (p.equals("qfThreadInfo")) {
                StringBuilder b = new StringBuilder("m");
                for (int i = 1; i <= vcpus.size(); i++) b.append(i == 1 ? "" : ",").append(Integer.toHexString(i));
                return b.toString();
            }
            if (p.equals("qsThreadInfo")) return "l";
            if (p.equals("qAttached")) return "1";
            if (p.startsWith("qThreadExtraInfo,")) {
                Vcpu v = vcpu(parseThread(p.substring(17)));
                String s = "vCPU " + v.id() + ", EL" + currentEl(v) + (v.isIdle() ? ", idle" : "");
                return hex(s.getBytes(StandardCharsets.US_ASCII));
            }
            if (p.startsWith("Qqemu.PhyMemMode:")) {
                physical = p.endsWith(":1");
                return "OK";
            }
            if (p.equals("qqemu.PhyMemMode")) return physical ? "1" : "0";
            if (p.startsWith("qRcmd,")) return monitorCommand(p.substring(6));
            return "";
        }

        private String monitorCommand(String hexCommand) {
            String cmd = new String(HexFormat.of().parseHex(hexCommand), StandardCharsets.UTF_8);
            UnaryOperator<String> m = monitor;
            String out;
            if (m == null) {
                out = "no monitor on this board\n";
            } else {
                try {
                    out = m.apply(cmd);
                } catch (RuntimeException e) {
                    out = "monitor error: " + e.getMessage() + "\n";
                }
            }
            if (out == null) out = "";
            if (!out.isEmpty() && !out.endsWith("\n")) out += "\n";
            byte[] bytes = out.getBytes(StandardCharsets.UTF_8);
            try {
                // Console output ('O' packets) in pieces a packet holds, then the final OK.
                for (int i = 0; i < bytes.length; i += 4096)
                    link.send("O" + hex(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 4096))));
            } catch (IOException e) {
                ended = true;
                return null;
            }
            return "OK";
        }

        private String features(String args) {
            int colon = args.indexOf(':');
            if (colon < 0) return "E00";
            String annex = args.substring(0, colon);
            if (!annex.equals("target.xml")) return "E00";
            String[] range = args.substring(colon + 1).split(",");
            int offset = Integer.parseInt(range[0], 16);
            int length = Math.min(Integer.parseInt(range[1], 16), GdbPacket.MAX_PAYLOAD - 1);
            byte[] xml = targetXml().getBytes(StandardCharsets.US_ASCII);
            if (offset < 0 || length < 0) return "E01";
            if (offset >= xml.length) return "l";
            int end = Math.min(xml.length, offset + length);
            return (end == xml.length ? "l" : "m") + new String(xml, offset, end - offset, StandardCharsets.US_ASCII);
        }

        // ---- breakpoints, stepping -----------------------------------------------------------------

        private String breakpoint(boolean insert, String args) {
            String[] f = args.split(";")[0].split(",");
            if (f.length < 3) return "E01";
            int type = Integer.parseInt(f[0]);
            long addr = Long.parseUnsignedLong(f[1], 16);
            long len = Long.parseLong(f[2], 16);
            switch (type) {
                case 0, 1 -> {
                    if (insert) breakpoints.add(addr);
                    else breakpoints.remove(addr);
                }
                case 2, 3, 4 -> {
                    if (len < 1 || len > 1L << 30) return "E01";
                    var access = type == 2 ? GuestDebug.Access.WRITE : type == 3 ? GuestDebug.Access.READ : GuestDebug.Access.ACCESS;
                    var w = new GuestDebug.Watchpoint(addr, len, access);
                    if (insert) watchpoints.add(w);
                    else watchpoints.remove(w);
                }
                default -> {
                    return "";
                }
            }
            setDebug(null);
            return "OK";
        }

        /** Sets the client's breakpoints and watchpoints in every vCPU, and single step in {@code stepper} alone (null: none). */
        private void setDebug(Vcpu stepper) {
            GuestDebug d = new GuestDebug(false, List.copyOf(breakpoints), List.copyOf(watchpoints));
            for (Vcpu v : vcpus) v.setGuestDebug(v == stepper ? d.withSingleStep(true) : d);
        }

        private void clearDebug() {
            breakpoints.clear();
            watchpoints.clear();
            for (Vcpu v : vcpus) v.clearGuestDebug();
        }

        private void step(Vcpu v) {
            setDebug(v);
        }

        // ---- registers ---------------------------------------------------------------------------------

        private String readAllRegisters(Vcpu v) {
            StringBuilder b = new StringBuilder();
            for (int r = 0; r < REG_SYS; r++) b.append(readRegister(v, r));
            return b.toString();
        }

        private String writeAllRegisters(Vcpu v, String data) {
            int pos = 0;
            for (int r = 0; r < REG_SYS && pos < data.length(); r++) {
                int len = 2 * registerBytes(r);
                if (pos + len > data.length()) return "E01";
                writeRegister(v, r, data.substring(pos, pos + len));
                pos += len;
            }
            return "OK";
        }

        private static int registerBytes(int r) {
            if (r == REG_CPSR || r == REG_FPSR || r == REG_FPCR) return 4;
            if (r >= REG_V0 && r < REG_V0 + 32) return 16;
            return 8;
        }

        private String readRegister(Vcpu v, int r) {
            if (r >= 0 && r <= 30) return le(v.x(r), 8);
            if (r == REG_SP) return le(v.sp(), 8);
            if (r == REG_PC) return le(v.pc(), 8);
            if (r == REG_CPSR) return le(v.pstate(), 4);
            if (r >= REG_V0 && r < REG_V0 + 32) return le(v.vLow(r - REG_V0), 8) + le(v.vHigh(r - REG_V0), 8);
            if (r == REG_FPSR) return le(v.register("FPSR"), 4);
            if (r == REG_FPCR) return le(v.register("FPCR"), 4);
            if (r >= REG_SYS && r < REG_SYS + SYSREGS.size()) return le(sysReg(v, SYSREGS.get(r - REG_SYS)), 8);
            return null;
        }

        private boolean writeRegister(Vcpu v, int r, String hexValue) {
            if (r < 0 || r >= REG_SYS + SYSREGS.size() || hexValue.length() != 2 * registerBytes(r)) return false;
            if (hexValue.indexOf('x') >= 0) return true; // unavailable ("xx"): keep the value
            long lo = fromLe(hexValue.substring(0, Math.min(16, hexValue.length())));
            if (r <= 30) v.setX(r, lo);
            else if (r == REG_SP) v.setSp(lo);
            else if (r == REG_PC) setPc(v, lo);
            else if (r == REG_CPSR) {
                // Only a PSTATE an exception return could give the guest (EL0/EL1, AArch64).
                if (((lo >>> 2) & 3) > 1 || (lo & 0x10) != 0) return false;
                v.setPstate(lo);
            } else if (r < REG_V0 + 32) v.setV(r - REG_V0, lo, fromLe(hexValue.substring(16)));
            else if (r == REG_FPSR) v.setRegister("FPSR", lo);
            else if (r == REG_FPCR) v.setRegister("FPCR", lo);
            else {
                try {
                    v.setRegister(SYSREGS.get(r - REG_SYS), lo);
                } catch (RuntimeException e) {
                    return false;
                }
            }
            return true;
        }

        private void setPc(Vcpu v, long pc) {
            v.setPc(pc);
        }

        private static long sysReg(Vcpu v, String name) {
            try {
                return v.register(name);
            } catch (RuntimeException e) {
                return 0;
            }
        }

        private static int currentEl(Vcpu v) { return (int) (v.pstate() >>> 2) & 3; }

        // ---- memory ----------------------------------------------------------------------------------

        private String readMemory(String args) {
            int comma = args.indexOf(',');
            long addr = Long.parseUnsignedLong(args.substring(0, comma), 16);
            long len = Long.parseUnsignedLong(args.substring(comma + 1), 16);
            // A reply holds at most PacketSize hex digits: longer requests get a shorter, partial answer.
            int n = (int) Math.min(len, (GdbPacket.MAX_PAYLOAD - 4) / 2);
            byte[] data = new byte[n];
            int done = access(addr, data, n, false);
            if (done == 0 && n > 0) return "E14";
            return hex(java.util.Arrays.copyOf(data, done));
        }

        private String writeMemory(String args) {
            int comma = args.indexOf(','), colon = args.indexOf(':');
            long addr = Long.parseUnsignedLong(args.substring(0, comma), 16);
            int len = Integer.parseInt(args.substring(comma + 1, colon), 16);
            byte[] data = HexFormat.of().parseHex(args.substring(colon + 1));
            if (len != data.length) return "E01";
            return access(addr, data, len, true) == len ? "OK" : "E14";
        }

        private String writeBinary(byte[] raw) {
            int colon = -1;
            for (int i = 0; i < raw.length; i++) if (raw[i] == ':') { colon = i; break; }
            if (colon < 0) return "E01";
            String head = new String(raw, 1, colon - 1, StandardCharsets.ISO_8859_1);
            int comma = head.indexOf(',');
            long addr = Long.parseUnsignedLong(head.substring(0, comma), 16);
            int len = Integer.parseInt(head.substring(comma + 1), 16);
            byte[] data = java.util.Arrays.copyOfRange(raw, colon + 1, raw.length);
            if (len != data.length) return "E01";
            if (len == 0) return "OK"; // GDB's probe for X support
            return access(addr, data, len, true) == len ? "OK" : "E14";
        }

        /**
         * Copies guest memory at {@code addr} (virtual through the selected vCPU's stage 1, or guest
         * physical), page by page; returns how many bytes from the start could be accessed (only RAM).
         */
        private int access(long addr, byte[] data, int len, boolean write) {
            Vcpu v = vcpu(gThread);
            int done = 0;
            while (done < len) {
                long va = addr + done;
                int chunk = (int) Math.min(len - done, 0x1000 - (va & 0xfff));
                OptionalLong t = physical ? OptionalLong.of(va) : v.translate(va);
                if (t.isEmpty()) break;
                long gpa = t.getAsLong();
                try {
                    if (write) vm.writeGuest(gpa, data, done, chunk);
                    else vm.readGuest(gpa, data, done, chunk);
                } catch (IllegalArgumentException e) {
                    break;
                }
                done += chunk;
            }
            return done;
        }
    }

    // ---- encoding ----------------------------------------------------------------------------------------

    static int parseThread(String s) {
        if (s.startsWith("p")) { // multiprocess syntax pPID.TID
            int dot = s.indexOf('.');
            s = dot < 0 ? "1" : s.substring(dot + 1);
        }
        if (s.equals("-1")) return -1;
        return (int) Math.min(Integer.MAX_VALUE, Long.parseLong(s, 16));
    }

    static String le(long value, int bytes) {
        StringBuilder b = new StringBuilder(bytes * 2);
        for (int i = 0; i < bytes; i++) b.append(String.format("%02x", (value >>> (8 * i)) & 0xff));
        return b.toString();
    }

    static long fromLe(String hex) {
        long v = 0;
        for (int i = hex.length() / 2 - 1; i >= 0; i--) v = v << 8 | Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        return v;
    }

    static String hex(byte[] b) { return HexFormat.of().formatHex(b); }

    private static String cachedXml;

    /** The target description: GDB's aarch64 core and fpu features, and the system registers. */
    static synchronized String targetXml() {
        if (cachedXml != null) return cachedXml;
        StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n<architecture>aarch64</architecture>\n");
        b.append("<feature name=\"org.gnu.gdb.aarch64.core\">\n");
        for (int i = 0; i <= 30; i++) b.append(String.format("<reg name=\"x%d\" bitsize=\"64\" regnum=\"%d\"/>\n", i, i));
        b.append("<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n");
        b.append("<flags id=\"cpsr_flags\" size=\"4\">\n<field name=\"SP\" start=\"0\" end=\"0\"/>\n<field name=\"EL\" start=\"2\" end=\"3\"/>\n")
                .append("<field name=\"F\" start=\"6\" end=\"6\"/>\n<field name=\"I\" start=\"7\" end=\"7\"/>\n")
                .append("<field name=\"A\" start=\"8\" end=\"8\"/>\n<field name=\"D\" start=\"9\" end=\"9\"/>\n")
                .append("<field name=\"IL\" start=\"20\" end=\"20\"/>\n<field name=\"SS\" start=\"21\" end=\"21\"/>\n")
                .append("<field name=\"PAN\" start=\"22\" end=\"22\"/>\n<field name=\"V\" start=\"28\" end=\"28\"/>\n")
                .append("<field name=\"C\" start=\"29\" end=\"29\"/>\n<field name=\"Z\" start=\"30\" end=\"30\"/>\n")
                .append("<field name=\"N\" start=\"31\" end=\"31\"/>\n</flags>\n");
        b.append("<reg name=\"cpsr\" bitsize=\"32\" type=\"cpsr_flags\"/>\n</feature>\n");
        b.append("""
                <feature name="org.gnu.gdb.aarch64.fpu">
                <vector id="v2d" type="ieee_double" count="2"/>
                <vector id="v2u" type="uint64" count="2"/>
                <vector id="v2i" type="int64" count="2"/>
                <vector id="v4f" type="ieee_single" count="4"/>
                <vector id="v4u" type="uint32" count="4"/>
                <vector id="v4i" type="int32" count="4"/>
                <vector id="v8f" type="ieee_half" count="8"/>
                <vector id="v8u" type="uint16" count="8"/>
                <vector id="v8i" type="int16" count="8"/>
                <vector id="v16u" type="uint8" count="16"/>
                <vector id="v16i" type="int8" count="16"/>
                <vector id="v1u" type="uint128" count="1"/>
                <vector id="v1i" type="int128" count="1"/>
                <union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/><field name="s" type="v2i"/></union>
                <union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/><field name="s" type="v4i"/></union>
                <union id="vnh"><field name="f" type="v8f"/><field name="u" type="v8u"/><field name="s" type="v8i"/></union>
                <union id="vnb"><field name="u" type="v16u"/><field name="s" type="v16i"/></union>
                <union id="vnq"><field name="u" type="v1u"/><field name="s" type="v1i"/></union>
                <union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/><field name="h" type="vnh"/><field name="b" type="vnb"/><field name="q" type="vnq"/></union>
                """);
        for (int i = 0; i < 32; i++)
            b.append(String.format("<reg name=\"v%d\" bitsize=\"128\" type=\"aarch64v\" regnum=\"%d\"/>\n", i, REG_V0 + i));
        b.append("<reg name=\"fpsr\" bitsize=\"32\"/>\n<reg name=\"fpcr\" bitsize=\"32\"/>\n</feature>\n");
        b.append("<feature name=\"org.jvisor.aarch64.sysregs\">\n");
        for (int i = 0; i < SYSREGS.size(); i++)
            b.append(String.format("<reg name=\"%s\" bitsize=\"64\" regnum=\"%d\" group=\"system\"/>\n", SYSREGS.get(i), REG_SYS + i));
        b.append("</feature>\n</target>\n");
        cachedXml = b.toString();
        return cachedXml;
    }
}
