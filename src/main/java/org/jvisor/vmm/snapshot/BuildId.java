package org.jvisor.vmm.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Which build of jvisor is running: a checksum of its classes. A snapshot is restored only by the build
 * that made it, because the state each part saves is laid out by its code, which any change may alter; a
 * version number bumped by hand would be forgotten. A new build means a new default-guest snapshot, made
 * once (as the start-up cache is).
 */
public final class BuildId {
    private static volatile String current;

    private BuildId() {}

    /** Eight hex digits, the same for every run of one build. */
    public static String current() {
        String id = current;
        if (id == null) current = id = compute();
        return id;
    }

    private static String compute() {
        CRC32C crc = new CRC32C();
        try {
            Path code = Path.of(BuildId.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(code)) { // tests and IDEs: the compiled classes
                try (Stream<Path> files = Files.walk(code)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                        crc.update(code.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        crc.update(Files.readAllBytes(f));
                    }
                }
            } else {
                try (InputStream in = Files.newInputStream(code)) {
                    byte[] buf = new byte[1 << 16];
                    for (int n; (n = in.read(buf)) > 0; ) crc.update(buf, 0, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return String.format("%08x", crc.getValue());
    }
}
