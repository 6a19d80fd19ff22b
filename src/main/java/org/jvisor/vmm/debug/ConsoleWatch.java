package org.jvisor.vmm.debug;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The guest's console output on its way to the host, watched for the monitor's {@code wait-for} as expect
 * watches a spawned program: bytes pass through unchanged, and the output not yet matched is kept, so a
 * text the guest printed before the wait began is found too. A match consumes the output up to its end:
 * the next wait looks only at what came after, and two waits for the same text need two occurrences. At
 * least the last {@value #KEPT} bytes of unmatched output are kept (expect's match_max, larger).
 *
 * <p>Bytes are compared as bytes: the text is taken as UTF-8, the output as it comes.
 */
public final class ConsoleWatch extends OutputStream {
    static final int KEPT = 64 * 1024;

    /** How a wait ended. */
    enum Outcome { FOUND, TIMED_OUT, ENDED }

    private final OutputStream out;
    /** Unmatched output, one char per byte (ISO-8859-1), and how many bytes were cut from its front. Guarded by this. */
    private final StringBuilder pending = new StringBuilder();
    private long dropped;
    private boolean ended;
    /** The output since the last newline, at most {@value #LINE} bytes: a shell's prompt while it waits. Guarded by this. */
    private final StringBuilder line = new StringBuilder();
    private static final int LINE = 256;

    public ConsoleWatch(OutputStream out) {
        this.out = Objects.requireNonNull(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        synchronized (this) {
            pending.append((char) (b & 0xff));
            track(pending.length() - 1);
            trimAndWake();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        synchronized (this) {
            pending.append(new String(b, off, len, StandardCharsets.ISO_8859_1));
            track(pending.length() - len);
            trimAndWake();
        }
    }

    private void track(int from) {
        for (int i = pending.length() - 1; i >= from; i--)
            if (pending.charAt(i) == '\n') {
                line.setLength(0);
                from = i + 1;
                break;
            }
        line.append(pending, from, pending.length());
        if (line.length() > LINE) line.delete(0, line.length() - LINE);
    }

    /** What the guest printed since its last newline (bytes as ISO-8859-1 chars), e.g. the prompt a shell waits at. */
    public synchronized String currentLine() { return line.toString(); }

    /** Cuts to {@link #KEPT} bytes when twice that piled up: a copy per KEPT bytes written, not per byte. */
    private void trimAndWake() {
        if (pending.length() > 2 * KEPT) drop(pending.length() - KEPT);
        notifyAll();
    }

    private void drop(int n) {
        pending.delete(0, n);
        dropped += n;
    }

    @Override
    public void flush() throws IOException { out.flush(); }

    /** The board's run ended: waits end now, and later ones at once, unless their text is already there. */
    public synchronized void end() {
        ended = true;
        notifyAll();
    }

    /**
     * Waits until the guest prints {@code text} (as the monitor's wait-for does, consuming it), at most
     * {@code timeout}; false if it did not, or the run ended first.
     */
    public boolean waitFor(String text, java.time.Duration timeout) throws InterruptedException {
        return await(text, timeout.toNanos()) == Outcome.FOUND;
    }

    /**
     * As {@link #waitFor}, but leaving the text to the monitor's waits: for the host's own watchers (the
     * booted-guest snapshot), which must not take a prompt a user's script waits for.
     */
    public boolean sees(String text, java.time.Duration timeout) throws InterruptedException {
        return search(text, timeout.toNanos(), false) == Outcome.FOUND;
    }

    /** Waits until the unmatched output contains {@code text} (consuming it), at most {@code timeoutNanos}. */
    Outcome await(String text, long timeoutNanos) throws InterruptedException {
        return search(text, timeoutNanos, true);
    }

    /** Waits until the unmatched output contains {@code text}, at most {@code timeoutNanos}; {@code consume}: drop the output up to its end. */
    private synchronized Outcome search(String text, long timeoutNanos, boolean consume) throws InterruptedException {
        String wanted = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        long deadline = System.nanoTime() + timeoutNanos;
        long from = dropped; // where in the output the search goes on: what was searched is not searched again
        while (true) {
            int at = pending.indexOf(wanted, (int) Math.max(0, from - dropped));
            if (at >= 0) {
                if (consume) drop(at + wanted.length());
                return Outcome.FOUND;
            }
            from = dropped + Math.max(0, pending.length() - wanted.length() + 1);
            if (ended) return Outcome.ENDED;
            long left = deadline - System.nanoTime();
            if (left <= 0) return Outcome.TIMED_OUT;
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }
}
