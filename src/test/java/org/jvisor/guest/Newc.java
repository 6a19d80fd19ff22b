package org.jvisor.guest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A reader for the initramfs "newc" format written from its specification
 * (Documentation/driver-api/early-userspace/buffer-format.rst and cpio(5)), independent of the writer under
 * test: "070701", thirteen 8-digit hex fields, the NUL-terminated name, padding to 4 bytes after the header
 * and name and after the data, and a last entry named TRAILER!!!.
 */
public final class Newc {
    public record Entry(String name, int mode, int uid, int gid, int nlink, long mtime, int rdevMajor, int rdevMinor, byte[] data) {
        public int type() { return mode & 0170000; }
        int perm() { return mode & 07777; }
        public String text() { return new String(data, StandardCharsets.UTF_8); }
    }

    public static final int DIR = 0040000, REG = 0100000, LNK = 0120000, CHR = 0020000;

    private Newc() {}

    public static byte[] gunzip(byte[] gz) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The entries by name, in archive order, without the trailer (which must be present and last). */
    public static Map<String, Entry> parse(byte[] a) {
        Map<String, Entry> out = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        int p = 0;
        while (true) {
            if (p % 4 != 0) throw new AssertionError("header not 4-byte aligned at " + p);
            String magic = new String(a, p, 6, StandardCharsets.US_ASCII);
            if (!magic.equals("070701")) throw new AssertionError("bad magic " + magic + " at " + p);
            long[] f = new long[13];
            for (int i = 0; i < 13; i++) f[i] = Long.parseLong(new String(a, p + 6 + 8 * i, 8, StandardCharsets.US_ASCII), 16);
            int nameSize = (int) f[11], fileSize = (int) f[6];
            if (f[12] != 0) throw new AssertionError("newc check field must be 0");
            String name = new String(a, p + 110, nameSize - 1, StandardCharsets.UTF_8);
            if (a[p + 110 + nameSize - 1] != 0) throw new AssertionError("name not NUL-terminated: " + name);
            int data = (p + 110 + nameSize + 3) & ~3;
            for (int i = p + 110 + nameSize; i < data; i++) if (a[i] != 0) throw new AssertionError("non-zero padding");
            byte[] content = java.util.Arrays.copyOfRange(a, data, data + fileSize);
            p = (data + fileSize + 3) & ~3;
            if (name.equals("TRAILER!!!")) {
                for (int i = p; i < a.length; i++) if (a[i] != 0) throw new AssertionError("data after the trailer");
                return out;
            }
            if (out.containsKey(name)) throw new AssertionError("duplicate entry " + name);
            order.add(name);
            out.put(name, new Entry(name, (int) f[1], (int) f[2], (int) f[3], (int) f[4], f[5], (int) f[9], (int) f[10], content));
        }
    }
}
