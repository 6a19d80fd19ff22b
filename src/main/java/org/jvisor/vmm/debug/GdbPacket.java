package org.jvisor.vmm.debug;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The framing of GDB's remote serial protocol (RSP) on one connection: {@code $payload#cs} packets with
 * a modulo-256 checksum, '+'/'-' acknowledgments (until QStartNoAckMode), '}' escapes and the lone 0x03
 * byte of an interrupt. The client is untrusted: a bad checksum is refused with '-', a packet longer
 * than {@link #MAX_PAYLOAD} is dropped (and refused) without buffering it, stray bytes between packets
 * are skipped; nothing a client sends raises anything but an IOException (its end of file included).
 */
final class GdbPacket {
    /** The largest payload accepted and the PacketSize advertised (qSupported). */
    static final int MAX_PAYLOAD = 0x4000;
    /** Bytes read from the connection at a time, at most. */
    static final int BUFFER = 1 << 16;
    /** Retransmissions of one packet a client may ask for with '-' before the connection is given up. */
    private static final int MAX_RETRIES = 16;

    /** What the client sent: a packet's payload (unescaped), or an interrupt request (Ctrl-C). */
    sealed interface Input {}

    record Packet(byte[] data) implements Input {
        String text() { return new String(data, StandardCharsets.ISO_8859_1); }
    }

    record Interrupt() implements Input {}

    private final InputStream in;
    private final OutputStream out;
    private volatile boolean ackMode = true;
    private final Object sendLock = new Object();
    private byte[] lastSent;
    private int retries;

    /**
     * Reads {@code in} through a buffer: a client's bytes come in as few reads as the network delivers
     * them, not one system call per byte (a 10 MB junk packet cost seconds of CPU that way).
     */
    GdbPacket(InputStream in, OutputStream out) {
        this.in = new BufferedInputStream(in, BUFFER);
        this.out = out;
    }

    /** Ends acknowledgments, after the OK to QStartNoAckMode has been sent. */
    void disableAcks() { ackMode = false; }

    /**
     * The next packet or interrupt; acknowledges a good packet with '+' and refuses a bad one with '-'
     * (while acks are on), answers a client's '-' by sending the last packet again. EOFException at
     * the end of the stream.
     */
    Input read() throws IOException {
        while (true) {
            int b = in.read();
            if (b < 0) throw new EOFException();
            switch (b) {
                case 0x03 -> { return new Interrupt(); }
                case '+' -> retries = 0;
                case '-' -> resend();
                case '$' -> {
                    Packet p = readPacket();
                    if (p != null) return p;
                }
                default -> { } // noise between packets (a client's stray bytes): skipped, as gdbserver does
            }
        }
    }

    /** After '$': the payload up to '#' and the two checksum digits; null (and '-') if bad or too long. */
    private Packet readPacket() throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int sum = 0;
        boolean escaped = false, tooLong = false;
        while (true) {
            int b = in.read();
            if (b < 0) throw new EOFException();
            if (b == '#') break;
            if (b == '$') { // a new packet starts: the one so far was truncated
                nak();
                sum = 0;
                data.reset();
                escaped = tooLong = false;
                continue;
            }
            sum += b;
            if (tooLong) continue;
            if (escaped) {
                data.write(b ^ 0x20);
                escaped = false;
            } else if (b == '}') {
                escaped = true;
            } else {
                data.write(b);
            }
            if (data.size() > MAX_PAYLOAD) tooLong = true;
        }
        int hi = hexDigit(in.read()), lo = hexDigit(in.read());
        if (hi < 0 || lo < 0 || ((hi << 4) | lo) != (sum & 0xff) || tooLong) {
            // After QStartNoAckMode a corrupt packet is dropped silently (the client sends no '-' either).
            nak();
            return null;
        }
        if (ackMode) write(new byte[] {'+'});
        return new Packet(data.toByteArray());
    }

    private void nak() throws IOException {
        if (ackMode) write(new byte[] {'-'});
    }

    private static int hexDigit(int c) throws IOException {
        if (c < 0) throw new EOFException();
        return Character.digit(c, 16);
    }

    /** Sends {@code payload} (text) as one packet. */
    void send(String payload) throws IOException {
        send(payload.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends {@code payload} as one packet, escaping '$', '#', '}' and '*'. Any thread. */
    void send(byte[] payload) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + 4);
        b.write('$');
        int sum = 0;
        for (byte x : payload) {
            int c = x & 0xff;
            if (c == '$' || c == '#' || c == '}' || c == '*') {
                b.write('}');
                sum += '}';
                c ^= 0x20;
            }
            b.write(c);
            sum += c;
        }
        b.write('#');
        String cs = String.format("%02x", sum & 0xff);
        b.write(cs.charAt(0));
        b.write(cs.charAt(1));
        byte[] frame = b.toByteArray();
        synchronized (sendLock) {
            lastSent = frame;
            retries = 0;
        }
        write(frame);
    }

    private void resend() throws IOException {
        byte[] f;
        synchronized (sendLock) {
            f = lastSent;
            if (f == null || !ackMode) return;
            if (++retries > MAX_RETRIES) throw new IOException("the client refused a packet " + MAX_RETRIES + " times");
        }
        write(f);
    }

    private void write(byte[] bytes) throws IOException {
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }
}
