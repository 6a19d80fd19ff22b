package org.jvisor.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * A Linux initramfs: the "newc" cpio archive the kernel unpacks into its root file system
 * (Documentation/driver-api/early-userspace/buffer-format.rst), gzip'ed. Entries are written sorted by path,
 * owned by root, with mtime 0 and inode numbers in that order, so the same contents always give the same
 * bytes. Missing parent directories are added (0755).
 */
public final class Initramfs {
    private record Node(int mode, byte[] content, int rdevMajor, int rdevMinor) {}

    private final TreeMap<String, Node> nodes = new TreeMap<>();

    /** Adds a directory; {@code perm} is the permission bits (0755, 01777). */
    public Initramfs directory(String path, int perm) {
        return put(path, new Node((int) CpioConstants.C_ISDIR | perm, new byte[0], 0, 0));
    }

    public Initramfs file(String path, int perm, byte[] content) {
        return put(path, new Node((int) CpioConstants.C_ISREG | perm, content.clone(), 0, 0));
    }

    /** A symbolic link; as in any cpio, its content is the target. */
    public Initramfs symlink(String path, String target) {
        return put(path, new Node((int) CpioConstants.C_ISLNK | 0777, target.getBytes(StandardCharsets.UTF_8), 0, 0));
    }

    /** A character device node, such as /dev/console (5, 1) that the kernel opens for init's stdio. */
    public Initramfs charDevice(String path, int perm, int major, int minor) {
        return put(path, new Node((int) CpioConstants.C_ISCHR | perm, new byte[0], major, minor));
    }

    /**
     * Adds every directory and regular file below {@code hostDir} under {@code path}: files the owner may
     * execute get 0755, others 0644. Symbolic links and special files on the host are refused.
     */
    public Initramfs tree(Path hostDir, String path) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(hostDir)) {
            all = s.sorted().toList();
        }
        for (Path p : all) {
            String rel = hostDir.relativize(p).toString().replace('\\', '/');
            String name = rel.isEmpty() ? path : path + "/" + rel;
            if (Files.isSymbolicLink(p)) throw new IOException(p + ": symbolic links are not copied into the initramfs");
            if (Files.isDirectory(p)) directory(name, 0755);
            else if (Files.isRegularFile(p)) file(name, Files.isExecutable(p) ? 0755 : 0644, Files.readAllBytes(p));
            else throw new IOException(p + ": not a regular file or directory");
        }
        return this;
    }

    private Initramfs put(String path, Node node) {
        String p = clean(path);
        int slash = p.lastIndexOf('/');
        if (slash > 0 && !nodes.containsKey(p.substring(0, slash))) directory(p.substring(0, slash), 0755);
        Node parent = slash > 0 ? nodes.get(p.substring(0, slash)) : null;
        if (parent != null && (parent.mode() & CpioConstants.S_IFMT) != CpioConstants.C_ISDIR) {
            throw new IllegalArgumentException(path + ": parent is not a directory");
        }
        nodes.put(p, node);
        return this;
    }

    private static String clean(String path) {
        String p = path;
        while (p.startsWith("/")) p = p.substring(1);
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        if (p.isEmpty()) throw new IllegalArgumentException("empty path");
        for (String c : p.split("/")) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) throw new IllegalArgumentException("bad path: " + path);
        }
        return p;
    }

    /** The uncompressed newc archive, ending with the TRAILER!!! entry. */
    public byte[] cpio() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CpioArchiveOutputStream out = new CpioArchiveOutputStream(bytes, CpioConstants.FORMAT_NEW)) {
            int inode = 1;
            for (var e : nodes.entrySet()) {
                Node n = e.getValue();
                CpioArchiveEntry entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, e.getKey());
                entry.setMode(n.mode());
                entry.setInode(inode++);
                entry.setUID(0);
                entry.setGID(0);
                entry.setTime(0);
                boolean dir = (n.mode() & CpioConstants.S_IFMT) == CpioConstants.C_ISDIR;
                entry.setNumberOfLinks(dir ? 2 : 1);
                entry.setRemoteDeviceMaj(n.rdevMajor());
                entry.setRemoteDeviceMin(n.rdevMinor());
                entry.setSize(n.content().length);
                out.putArchiveEntry(entry);
                out.write(n.content());
                out.closeArchiveEntry();
            }
            out.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /** Writes the archive gzip'ed (maximum compression; gzip header with no name and mtime 0). */
    public void writeGzip(OutputStream out) throws IOException {
        GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16) {
            { def.setLevel(Deflater.BEST_COMPRESSION); }
        };
        gz.write(cpio());
        gz.finish();
    }
}
