package org.jvisor.guest;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Reads a Debian binary package (deb(5)): an ar archive holding {@code debian-binary}, {@code control.tar.*}
 * and {@code data.tar.*}. The members are streamed, never unpacked to disk: a kernel package is 60 MB of xz
 * around 350 MB of files, of which jvisor wants a few.
 */
public final class DebianPackage {
    private final Path file;

    public DebianPackage(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** What the visitor is shown of one file of the package's data archive. */
    @FunctionalInterface
    public interface FileVisitor {
        /**
         * Called for each file, directory or link in data.tar, in archive order. {@code path} has no leading
         * "./" or "/" ({@code boot/vmlinuz-6.1.0-56-arm64}); {@code content} is readable up to the entry's end.
         */
        void visit(String path, TarArchiveEntry entry, InputStream content) throws IOException;
    }

    /** The fields of the package's {@code control} file ("Package", "Version", ...). */
    public Map<String, String> control() throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        forEachFile("control.tar", (path, entry, in) -> {
            if (path.equals("control") && entry.isFile()) {
                String last = null;
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (line.startsWith(" ") || line.startsWith("\t")) {
                        if (last != null) fields.merge(last, "\n" + line.strip(), String::concat);
                    } else if (line.indexOf(':') > 0) {
                        last = line.substring(0, line.indexOf(':'));
                        fields.put(last, line.substring(line.indexOf(':') + 1).strip());
                    }
                }
            }
        });
        if (!fields.containsKey("Package") || !fields.containsKey("Version")) {
            throw new GuestImageException(file + ": not a Debian package (no Package/Version in its control file)");
        }
        return fields;
    }

    /** Streams every entry of the data archive through {@code visitor}. */
    public void forEachFile(FileVisitor visitor) throws IOException {
        forEachFile("data.tar", visitor, p -> {});
    }

    /** The same, telling {@code percent} how much of the (compressed) archive has been read. */
    public void forEachFile(FileVisitor visitor, java.util.function.DoubleConsumer percent) throws IOException {
        forEachFile("data.tar", visitor, percent);
    }

    private void forEachFile(String member, FileVisitor visitor) throws IOException {
        forEachFile(member, visitor, p -> {});
    }

    private void forEachFile(String member, FileVisitor visitor, java.util.function.DoubleConsumer percent) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             ArArchiveInputStream ar = new ArArchiveInputStream(raw)) {
            ArArchiveEntry e;
            while ((e = ar.getNextEntry()) != null) {
                String name = e.getName();
                if (!name.startsWith(member)) continue;
                long length = Math.max(1, e.getLength());
                InputStream counted = new java.io.FilterInputStream(ar) {
                    private long read, reported;

                    @Override public int read() throws IOException {
                        int b = super.read();
                        if (b >= 0) count(1);
                        return b;
                    }

                    @Override public int read(byte[] buf, int off, int len) throws IOException {
                        int n = super.read(buf, off, len);
                        if (n > 0) count(n);
                        return n;
                    }

                    private void count(int n) {
                        read += n;
                        if (read - reported >= length / 100) {
                            reported = read;
                            percent.accept(Math.min(100.0, 100.0 * read / length));
                        }
                    }

                    @Override public void close() {}
                };
                try (InputStream tar = decompressor(name.substring(member.length()), counted);
                     TarArchiveInputStream entries = new TarArchiveInputStream(tar)) {
                    TarArchiveEntry t;
                    while ((t = entries.getNextEntry()) != null) {
                        visitor.visit(normalize(t.getName()), t, entries);
                    }
                }
                return;
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof GuestImageException g) throw g;
            throw new GuestImageException(file + ": cannot read the Debian package: " + e.getMessage(), e);
        }
        throw new GuestImageException(file + ": not a Debian package (no " + member + ".* member)");
    }

    /** The compressions dpkg-deb writes; zstd (Ubuntu's choice) would need a library jvisor does not ship. */
    private InputStream decompressor(String suffix, InputStream in) throws IOException {
        return switch (suffix) {
            case ".xz" -> new XZInputStream(in);
            case ".gz" -> new GZIPInputStream(in, 1 << 16);
            case "" -> in;
            default -> throw new GuestImageException(file + ": its members are compressed as '" + suffix
                    + "', which jvisor cannot read (it reads .xz, .gz and uncompressed tar);"
                    + " pass -kernel and -initrd instead");
        };
    }

    static String normalize(String tarName) {
        String p = tarName;
        while (p.startsWith("./") || p.startsWith("/")) p = p.substring(p.startsWith("/") ? 1 : 2);
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p;
    }
}
