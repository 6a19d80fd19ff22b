package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar target/jvisor.jar}, as docs/embedding.md gives it: run by {@code mvn verify} (failsafe), after
 * {@code package} has written the jar and target/lib; {@code ./test} (mvn test) runs before the jar exists.
 */
class JarIT {
    private static final Path JAR = Path.of("target", "jvisor.jar").toAbsolutePath();

    @Test
    void theManifestNamesTheMainClassTheLibrariesAndNativeAccess() throws Exception {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            Attributes a = jar.getManifest().getMainAttributes();
            assertEquals("org.jvisor.cli.Main", a.getValue("Main-Class"));
            assertEquals("ALL-UNNAMED", a.getValue("Enable-Native-Access"));
            for (String entry : a.getValue("Class-Path").split(" ")) {
                assertTrue(entry.startsWith("lib/") && JAR.resolveSibling(entry).toFile().isFile(), entry);
            }
            assertTrue(jar.getEntry("META-INF/LICENSE") != null && jar.getEntry("META-INF/NOTICE") != null);
        }
    }

    /** From another directory, with nothing but the jar: the demo's 16 steps, status 0, not one warning. */
    @Test
    void javaDashJarRunsTheDemoWithoutWarnings(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-jar", JAR.toString(), "demo").directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("\nall 16 steps as expected\n"), out);
        assertEquals("", new String(err.get(), StandardCharsets.UTF_8));
    }
}
