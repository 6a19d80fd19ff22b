package org.jvisor.vmm.debug;

import org.jvisor.vmm.devices.ConsoleInput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host's terminal as the guest's console input, like QEMU's {@code -nographic}: bytes read from the
 * host (stdin) go to a {@link ConsoleInput} (the PL011, later a virtio console). The guest's output does
 * not pass here; the device writes it to stdout itself.
 *
 * <p><b>On a terminal</b> the console switches it to raw mode for the VM's life: no echo, no line editing,
 * no signals (Ctrl-C, Ctrl-Z, Ctrl-\ go to the guest), no CR-to-NL or XON/XOFF translation; output
 * processing is left as it was, as QEMU does. It is restored by {@link #close}, by Ctrl-A x (which also
 * stops reading, so the shell gets its terminal back) before the quit action runs, and by a JVM shutdown hook (System.exit, an uncaught exception ending the JVM,
 * SIGTERM); only SIGKILL escapes, as it does for QEMU. QEMU's escapes after Ctrl-A are interpreted:
 * x quits, c switches to the monitor, h or ? prints help, b sends a break, Ctrl-A sends one Ctrl-A, and
 * any other key is dropped with the escape. Raw mode is set with {@code stty} on the JVM's own stdin
 * (which needs no native access and works on Linux and macOS). {@link #forStdinAlone} is QEMU's plain
 * {@code -serial stdio} instead: no escapes, and Ctrl-C still interrupts (ends) the process.
 *
 * <p><b>When stdin is not a terminal</b> (a pipe, a file, /dev/null in CI) it is data, not a person: its
 * bytes reach the guest unchanged, 0x01 included, and no escape is interpreted (a script ends the VM
 * through the guest, or the board's own means). End of input only ends the input: the VM keeps running.
 *
 * <p><b>Flow.</b> A reader thread reads the host, interprets escapes and queues the guest's bytes (at
 * most {@link #QUEUE_CAPACITY}); a forwarder thread hands them to the device, which blocks it while the
 * guest does not read. From a pipe the reader then waits too, so a large input is fed at the guest's pace.
 * From a terminal the reader keeps reading, so that Ctrl-A x works even when the guest is stuck, and
 * keystrokes beyond the queue are dropped, as characters overrun a real serial line nobody reads.
 */
public final class HostConsole implements AutoCloseable {
    /** Ctrl-A, QEMU's escape character. */
    public static final int ESCAPE = 0x01;
    public static final int QUEUE_CAPACITY = 16384;
    /** The most bytes the forwarder hands the device at once. */
    static final int CHUNK = 4096;

    static final String HELP = """
            C-a h    print this help\r
            C-a x    exit jvisor\r
            C-a b    send break (magic SysRq)\r
            C-a c    switch between console and monitor\r
            C-a C-a  sends C-a\r
            """;

    /** Switches the host terminal to raw mode and back. */
    public interface RawMode {
        void enter() throws IOException;

        /** Puts back the mode saved before {@link #enter}; may be called more than once. */
        void restore();
    }

    private final InputStream in;
    private final PrintStream messages;
    private final RawMode rawMode;
    private final boolean escapes;
    private volatile ConsoleInput target;
    private final Runnable quit, monitor;
    private final Queue queue = new Queue(QUEUE_CAPACITY);

    private final Object state = new Object();
    private boolean started, raw, closed, stopped, delivering;
    private Thread reader, forwarder, shutdownHook;
    private int escapeState; // 0: normal, 1: after Ctrl-A

    /**
     * The JVM's stdin feeding {@code guest}; on a terminal in raw mode with escapes, else as plain data.
     * {@code quit} runs on Ctrl-A x (the terminal already restored), {@code monitor} on Ctrl-A c; both on
     * the console's reader thread. Help goes to stdout. Call {@link #start}.
     */
    public static HostConsole forStdin(ConsoleInput guest, Runnable quit, Runnable monitor) {
        RawMode tty = Stty.forStdin(false);
        return new HostConsole(System.in, System.out, tty, tty != null, guest, quit, monitor);
    }

    /**
     * The JVM's stdin feeding {@code guest} and nothing else, as QEMU's {@code -serial stdio} without the
     * monitor: every byte reaches the guest (Ctrl-A too), and on a terminal in raw mode Ctrl-C still sends
     * SIGINT, which ends the JVM (its shutdown hook restores the terminal). Ctrl-\ is switched off so that
     * it does not make the JVM print its threads. Call {@link #start}.
     */
    public static HostConsole forStdinAlone(ConsoleInput guest) {
        RawMode tty = Stty.forStdin(true);
        return new HostConsole(System.in, System.out, tty, false, guest, () -> { }, () -> { });
    }

    /**
     * A console reading {@code in}. {@code rawMode} is the terminal to switch (null: not a terminal);
     * {@code escapes} says whether Ctrl-A sequences are interpreted; help text goes to {@code messages}.
     */
    public HostConsole(InputStream in, OutputStream messages, RawMode rawMode, boolean escapes, ConsoleInput guest,
            Runnable quit, Runnable monitor) {
        this.in = Objects.requireNonNull(in);
        this.messages = messages instanceof PrintStream p ? p : new PrintStream(messages, true, StandardCharsets.UTF_8);
        this.rawMode = rawMode;
        this.escapes = escapes;
        this.target = Objects.requireNonNull(guest);
        this.quit = Objects.requireNonNull(quit);
        this.monitor = Objects.requireNonNull(monitor);
    }

    /**
     * Sends what is typed from now on to {@code input} instead: QEMU's multiplexer switching the keyboard
     * between the serial port and the monitor (Ctrl-A c calls the monitor action, which can take the
     * keyboard with this and give it back). Bytes already queued go to the new input.
     */
    public void setInput(ConsoleInput input) {
        target = Objects.requireNonNull(input);
        // A delivery blocked on the old input (a guest that does not read) must not hold the keyboard:
        // it is abandoned, as keystrokes overrun a serial line nobody reads.
        Thread f;
        synchronized (state) {
            f = delivering ? forwarder : null;
        }
        if (f != null) f.interrupt();
    }

    /** Whether the host side is a terminal (switched to raw mode while the console runs). */
    public boolean isTerminal() { return rawMode != null; }

    /** Enters raw mode (on a terminal) and starts reading. */
    public HostConsole start() throws IOException {
        synchronized (state) {
            if (started) throw new IllegalStateException("started");
            started = true;
            if (rawMode != null) {
                shutdownHook = new Thread(this::restoreTerminal, "jvisor-console-restore");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
                raw = true;
                try {
                    rawMode.enter();
                } catch (IOException | RuntimeException e) {
                    restoreTerminal();
                    throw e;
                }
            }
            forwarder = Thread.ofPlatform().daemon().name("jvisor-console-forwarder").start(this::forward);
            reader = Thread.ofPlatform().daemon().name("jvisor-console-reader").start(this::read);
        }
        return this;
    }

    /**
     * Stops forwarding input and restores the terminal. A reader blocked in a read of the host stream
     * stays blocked (stdin cannot be interrupted) but delivers nothing more.
     */
    @Override
    public void close() {
        Thread hook;
        synchronized (state) {
            if (closed) return;
            closed = true;
            hook = shutdownHook;
            if (forwarder != null) forwarder.interrupt();
        }
        restoreTerminal();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway, harmlessly
            }
        }
    }

    private void restoreTerminal() {
        synchronized (state) {
            if (!raw) return;
            raw = false;
        }
        rawMode.restore();
    }

    private boolean isClosed() {
        synchronized (state) {
            return closed;
        }
    }

    private boolean isStopped() {
        synchronized (state) {
            return closed || stopped;
        }
    }

    Thread readerThread() { return reader; }

    Thread forwarderThread() { return forwarder; }

    // ---- reader: host bytes, escapes ----

    private void read() {
        byte[] buf = new byte[CHUNK];
        while (!isStopped()) {
            int n;
            try {
                n = in.read(buf);
            } catch (IOException e) {
                return; // the host input is gone; the guest simply gets no more
            }
            if (n < 0) return; // end of input does not stop the VM
            for (int i = 0; i < n && !isStopped(); i++) {
                try {
                    accept(buf[i] & 0xff);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** One host byte: an escape action, or a byte for the guest. */
    void accept(int b) throws InterruptedException {
        boolean block = rawMode == null; // a pipe waits for the guest; a terminal drops what overruns
        if (!escapes || escapeState == 0 && b != ESCAPE) {
            queue.put(b, block);
            return;
        }
        if (escapeState == 0) {
            escapeState = 1;
            return;
        }
        escapeState = 0;
        switch (b) {
            case ESCAPE -> queue.put(ESCAPE, block);
            case 'x' -> {
                synchronized (state) {
                    stopped = true; // what was typed before still reaches the guest; nothing after
                }
                restoreTerminal();
                quit.run();
            }
            case 'c' -> monitor.run();
            case 'h', '?' -> {
                messages.print(HELP);
                messages.flush();
            }
            case 'b' -> queue.put(Queue.BREAK, block);
            default -> { } // an unknown escape is dropped, as in QEMU
        }
    }

    // ---- forwarder: queue to device ----

    private void forward() {
        byte[] chunk = new byte[CHUNK];
        while (!isClosed()) {
            try {
                int n = queue.take(chunk);
                if (isClosed()) return;
                ConsoleInput to = target;
                synchronized (state) {
                    delivering = true;
                }
                try {
                    if (n == Queue.BREAK) to.receiveBreak();
                    else to.receive(chunk, 0, n);
                } finally {
                    synchronized (state) {
                        delivering = false;
                    }
                }
            } catch (InterruptedException e) {
                // closed, or the input switched away from a device that blocked us: go on with the new one
                Thread.interrupted();
            }
        }
    }

    /** A bounded queue of host bytes and breaks between the reader and the forwarder. */
    static final class Queue {
        static final int BREAK = -1;
        private final int[] items;
        private int head, count;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition notEmpty = lock.newCondition(), notFull = lock.newCondition();

        Queue(int capacity) { items = new int[capacity]; }

        /** Adds a byte or {@link #BREAK}; when full, waits if {@code block}, else drops it and returns false. */
        boolean put(int v, boolean block) throws InterruptedException {
            lock.lockInterruptibly();
            try {
                while (count == items.length) {
                    if (!block) return false;
                    notFull.await();
                }
                items[(head + count) % items.length] = v;
                count++;
                notEmpty.signal();
                return true;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Waits for input, then takes the bytes up to the next break into {@code dst} and returns how many,
         * or takes a break that comes first and returns {@link #BREAK}.
         */
        int take(byte[] dst) throws InterruptedException {
            lock.lockInterruptibly();
            try {
                while (count == 0) notEmpty.await();
                int n = 0;
                if (items[head] == BREAK) {
                    pop();
                    n = BREAK;
                } else {
                    while (count > 0 && n < dst.length && items[head] != BREAK) dst[n++] = (byte) pop();
                }
                notFull.signalAll();
                return n;
            } finally {
                lock.unlock();
            }
        }

        private int pop() {
            int v = items[head];
            head = (head + 1) % items.length;
            count--;
            return v;
        }
    }

    // ---- raw mode through stty ----

    /**
     * Raw mode by running {@code stty} on the JVM's own stdin (the child inherits it). The settings are
     * those of QEMU's stdio character device: -icanon -echo -echonl -iexten -isig, no input translation
     * (-icrnl -inlcr -igncr -istrip), no XON/XOFF (-ixon), breaks read as NUL (-brkint -ignbrk -parmrk),
     * 8 bits (cs8 -parenb), reads return each byte (min 1 time 0).
     */
    static final class Stty implements RawMode {
        static final List<String> RAW = List.of("-icanon", "-echo", "-echonl", "-iexten", "-isig", "-ignbrk", "-brkint",
                "-parmrk", "-istrip", "-inlcr", "-igncr", "-icrnl", "-ixon", "-parenb", "cs8", "min", "1", "time", "0");
        /** RAW, but Ctrl-C still interrupts (QEMU's stdio with signal=on); no quit character. */
        static final List<String> RAW_WITH_INTERRUPT = java.util.stream.Stream.concat(
                RAW.stream().filter(a -> !a.equals("-isig")), java.util.stream.Stream.of("isig", "quit", "undef")).toList();
        private final String saved;
        private final List<String> raw;

        private Stty(String saved, List<String> raw) {
            this.saved = saved;
            this.raw = raw;
        }

        /**
         * The terminal on stdin with its current settings saved, or null if stdin is not a terminal;
         * {@code interrupt}: Ctrl-C keeps sending SIGINT in raw mode.
         */
        static Stty forStdin(boolean interrupt) {
            String g = stty(List.of("-g"));
            return g == null || g.isBlank() ? null : new Stty(g.strip(), interrupt ? RAW_WITH_INTERRUPT : RAW);
        }

        @Override
        public void enter() throws IOException {
            if (stty(raw) == null) throw new IOException("stty could not set raw mode on stdin");
        }

        @Override
        public void restore() {
            stty(List.of(saved));
        }

        /** Runs stty on the JVM's stdin; its output, or null if it failed (stdin not a terminal, no stty). */
        private static String stty(List<String> args) {
            List<String> cmd = new ArrayList<>();
            cmd.add("stty");
            cmd.addAll(args);
            try {
                Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (InputStream s = p.getInputStream()) {
                    s.transferTo(out);
                }
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return null;
                }
                return p.exitValue() == 0 ? out.toString(StandardCharsets.US_ASCII) : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }
}
