package org.jvisor.vmm.debug;

import org.jvisor.vmm.devices.ConsoleInput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The monitor on the host terminal, as QEMU's character multiplexer puts it there: {@link #toggle} (the
 * console's Ctrl-A c) takes the keyboard from the guest's console and gives it back; while the monitor
 * has it, typed bytes come here, are edited into a line (printable characters, backspace/DEL, Ctrl-U
 * and Ctrl-C to drop the line; escape sequences such as arrow keys are ignored) and each line, on CR or
 * LF, is run by the {@link Monitor}, its answer printed followed by the prompt {@value #PROMPT}. The
 * guest's output keeps going to the terminal meanwhile, as with QEMU's mux.
 *
 * <p>On a terminal (raw mode, so no echo and no output translation to rely on) the console echoes what
 * is typed and ends lines with CR LF, and {@code cont} also gives the keyboard back to the guest: the
 * user stopped the VM to look, and now wants it back. From a pipe ({@code -monitor stdio} with a script)
 * lines end with LF, and the keyboard stays here whatever the script says.
 *
 * <p>Bytes arrive on the console's forwarder thread, toggles on its reader thread: the state is guarded.
 */
public final class MonitorConsole implements ConsoleInput {
    public static final String PROMPT = "(jvisor) ";
    static final String BANNER = "jvisor monitor - type 'help' for more information";
    /** The longest line kept; more typed on it is dropped, as a terminal line discipline does. */
    static final int MAX_LINE = 4096;

    private final Monitor monitor;
    private final OutputStream out;
    private final boolean terminal;
    private final String newline;
    private ConsoleInput guest;
    private HostConsole console;
    private final StringBuilder line = new StringBuilder();
    private boolean active, bannerShown, lastWasCr;
    /** 0: normal; 1: after ESC; 2: inside a CSI sequence (ESC [ ... final byte). */
    private int escape;

    /**
     * A monitor console writing to {@code out} (the terminal, where the guest's output goes too);
     * {@code terminal} says whether the host side is a terminal in raw mode. Call {@link #attach} before use.
     */
    public MonitorConsole(Monitor monitor, OutputStream out, boolean terminal) {
        this.monitor = Objects.requireNonNull(monitor);
        this.out = Objects.requireNonNull(out);
        this.terminal = terminal;
        this.newline = terminal ? "\r\n" : "\n";
    }

    /** Connects to the host console whose keyboard it shares with {@code guest} (the guest's console input). */
    public synchronized void attach(HostConsole console, ConsoleInput guest) {
        this.console = Objects.requireNonNull(console);
        this.guest = Objects.requireNonNull(guest);
    }

    /** Whether the keyboard is the monitor's. */
    public synchronized boolean isActive() { return active; }

    /** Ctrl-A c: switches the keyboard between the guest's console and the monitor. */
    public synchronized void toggle() {
        if (active) leave();
        else enter();
    }

    /** Gives the keyboard to the monitor (the start of {@code -monitor stdio}), with the banner the first time and a prompt. */
    public synchronized void enter() {
        if (console == null) throw new IllegalStateException("not attached");
        if (active) return;
        active = true;
        line.setLength(0);
        escape = 0;
        console.setInput(this);
        StringBuilder b = new StringBuilder();
        if (terminal) b.append(newline); // the guest may have left the cursor mid-line
        if (!bannerShown) b.append(BANNER).append(newline);
        bannerShown = true;
        b.append(PROMPT);
        print(b);
    }

    private void leave() {
        active = false;
        console.setInput(guest);
        if (terminal) print(newline);
    }

    @Override
    public synchronized void receive(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) accept(bytes[i] & 0xff);
    }

    private void accept(int b) {
        if (!active) return; // typed after a toggle back, still in flight: nobody's
        boolean cr = lastWasCr;
        lastWasCr = b == '\r';
        if (escape == 1) {
            escape = b == '[' || b == 'O' ? 2 : 0;
            return;
        }
        if (escape == 2) {
            if (b >= 0x40 && b <= 0x7e) escape = 0;
            return;
        }
        switch (b) {
            case 0x1b -> escape = 1;
            case '\n' -> {
                if (!cr) runLine(); // CR LF from a terminal or a file is one line end
            }
            case '\r' -> runLine();
            case 0x7f, 0x08 -> {
                if (!line.isEmpty()) {
                    line.setLength(line.length() - 1);
                    if (terminal) print("\b \b");
                }
            }
            case 0x03, 0x15 -> { // Ctrl-C, Ctrl-U: forget the line
                line.setLength(0);
                print(newline + PROMPT);
            }
            default -> {
                if (b >= 0x20 && b < 0x7f && line.length() < MAX_LINE) {
                    line.append((char) b);
                    print(String.valueOf((char) b));
                }
            }
        }
    }

    private void runLine() {
        String command = line.toString();
        line.setLength(0);
        print(newline);
        String answer = monitor.execute(command);
        print(answer.replace("\n", newline));
        String word = command.strip();
        if (word.equals("quit") || word.equals("q")) return;
        if (terminal && (word.equals("cont") || word.equals("c"))) {
            active = false;
            console.setInput(guest);
            return;
        }
        if (active) print(PROMPT);
    }

    private void print(CharSequence s) {
        try {
            out.write(s.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // the terminal is gone: nothing to show the answer on, and the VM goes on
        }
    }
}
