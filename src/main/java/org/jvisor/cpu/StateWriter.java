package org.jvisor.cpu;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A machine's state written out for a snapshot, as QEMU's VMState and Firecracker's saved vCPU and device
 * states are: each part of the machine (a processor, the GIC, a device) writes its fields in a fixed order
 * after a {@link #tag} naming the part, and reads them back in the same order with a {@link StateReader}.
 * The tags let a reader that gets out of step with the writer fail at once, by name, instead of restoring
 * one part's fields into another. Only what the architecture or the device defines is written: caches that
 * are rebuilt on demand (decoded and translated code, TLBs) are not.
 */
public final class StateWriter {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
    private final DataOutputStream out = new DataOutputStream(bytes);

    /** Marks the start of a part of the machine; the reader checks the same name comes next. */
    public StateWriter tag(String name) {
        return putString(name);
    }

    public StateWriter putLong(long v) {
        try {
            out.writeLong(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return this;
    }

    public StateWriter putInt(int v) {
        try {
            out.writeInt(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public StateWriter putBoolean(boolean v) {
        return putByte(v ? 1 : 0);
    }

    private StateWriter putByte(int v) {
        try {
            out.writeByte(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A length, then the values: read back with {@link StateReader#getLongs(long[])} into an array of that length. */
    public StateWriter putLongs(long[] v) {
        putInt(v.length);
        for (long x : v) putLong(x);
        return this;
    }

    public StateWriter putInts(int[] v) {
        putInt(v.length);
        for (int x : v) putInt(x);
        return this;
    }

    public StateWriter putBooleans(boolean[] v) {
        putInt(v.length);
        for (boolean x : v) putBoolean(x);
        return this;
    }

    public StateWriter putBytes(byte[] v) {
        return putBytes(v, 0, v.length);
    }

    public StateWriter putBytes(byte[] v, int offset, int length) {
        putInt(length);
        bytes.write(v, offset, length);
        return this;
    }

    /** Null is written as such (a device with no file, say). */
    public StateWriter putString(String s) {
        if (s == null) return putInt(-1);
        return putBytes(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public byte[] toByteArray() {
        return bytes.toByteArray();
    }
}
