package org.jvisor.cpu;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads back what a {@link StateWriter} wrote, in the same order. A snapshot file is checked (its checksum,
 * its version, the machine it describes) before its state is read, so a mismatch here means a file made
 * on purpose or a bug: every read is still bounded, and every value that selects something (an exception
 * level, an index, a length) is checked by its reader, so such a file gives a {@link StateException}, never
 * a host exception or a machine in a state the architecture does not allow.
 */
public final class StateReader {
    private final ByteBuffer in;

    public StateReader(byte[] data) {
        this.in = ByteBuffer.wrap(data);
    }

    /** Checks that the part named {@code name} comes next. */
    public StateReader tag(String name) {
        int at = in.position();
        String found;
        try {
            found = getString(256);
        } catch (StateException e) {
            throw new StateException("expected the state of " + name + " at byte " + at);
        }
        if (!name.equals(found)) throw new StateException("expected the state of " + name + " at byte " + at + ", found " + found);
        return this;
    }

    public long getLong() {
        try {
            return in.getLong();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    public int getInt() {
        try {
            return in.getInt();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    /** An int that must lie in {@code [min, max]}; {@code what} names it in the error. */
    public int getInt(int min, int max, String what) {
        int v = getInt();
        if (v < min || v > max) throw new StateException(what + " out of range: " + v);
        return v;
    }

    public boolean getBoolean() {
        byte b;
        try {
            b = in.get();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
        if (b != 0 && b != 1) throw new StateException("bad boolean at byte " + (in.position() - 1));
        return b == 1;
    }

    /** Fills {@code into}, whose length must be the one written (a register file's size). */
    public void getLongs(long[] into) {
        length(into.length, into.length);
        for (int i = 0; i < into.length; i++) into[i] = getLong();
    }

    /** As many longs as were written, at most {@code max}. */
    public long[] getLongs(int max) {
        long[] v = new long[length(0, max)];
        for (int i = 0; i < v.length; i++) v[i] = getLong();
        return v;
    }

    public void getInts(int[] into) {
        length(into.length, into.length);
        for (int i = 0; i < into.length; i++) into[i] = getInt();
    }

    public int[] getInts(int max) {
        int[] v = new int[length(0, max)];
        for (int i = 0; i < v.length; i++) v[i] = getInt();
        return v;
    }

    public void getBooleans(boolean[] into) {
        length(into.length, into.length);
        for (int i = 0; i < into.length; i++) into[i] = getBoolean();
    }

    /** As many bytes as were written, at most {@code max}. */
    public byte[] getBytes(int max) {
        byte[] v = new byte[length(0, max)];
        try {
            in.get(v);
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
        return v;
    }

    /** A string of at most {@code max} UTF-8 bytes, or null if null was written. */
    public String getString(int max) {
        int n = getInt();
        if (n == -1) return null;
        in.position(in.position() - 4);
        return new String(getBytes(max), StandardCharsets.UTF_8);
    }

    /** Checks that everything written was read: a reader that stops early is out of step too. */
    public void end() {
        if (in.hasRemaining()) throw new StateException(in.remaining() + " bytes of state left unread");
    }

    private int length(int min, int max) {
        int n = getInt();
        if (n < min || n > max) throw new StateException("length " + n + " at byte " + (in.position() - 4) + " outside [" + min + ", " + max + "]");
        if (n > in.remaining()) throw truncated();
        return n;
    }

    private StateException truncated() {
        return new StateException("the state ends early, at byte " + in.position());
    }
}
