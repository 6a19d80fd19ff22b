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

    /**
     * target/lib's picocli is built for jvisor's Java release (its class files' major version is jvisor's), so
     * that the JDK's AOT cache can hold its classes (it refuses Java 5's, which picocli's own jar has), and it
     * is still the module info.picocli that org.jvisor requires.
     */
    @Test
    void picocliIsBuiltForThisJavaRelease() throws Exception {
        Path lib = JAR.resolveSibling("lib");
        Path picocli;
        try (var files = java.nio.file.Files.list(lib)) {
            picocli = files.filter(f -> f.getFileName().toString().matches("picocli-[0-9.]+\\.jar")).findFirst().orElseThrow();
        }
        int release;
        try (JarFile jvisor = new JarFile(JAR.toFile())) {
            release = majorVersion(jvisor, "org/jvisor/cli/Main.class");
        }
        try (JarFile jar = new JarFile(picocli.toFile())) {
            for (String entry : new String[] {"picocli/CommandLine.class", "picocli/CommandLine$Model$OptionSpec.class", "module-info.class"}) {
                assertEquals(release, majorVersion(jar, entry), entry + ": class file major version");
            }
            var descriptor = java.lang.module.ModuleFinder.of(picocli).findAll().iterator().next().descriptor();
            assertEquals("info.picocli", descriptor.name());
            assertEquals(java.util.Set.of("picocli"), descriptor.exports().stream().map(e -> e.source()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    private static int majorVersion(JarFile jar, String entry) throws java.io.IOException {
        try (var in = new java.io.DataInputStream(jar.getInputStream(jar.getEntry(entry)))) {
            assertEquals(0xCAFEBABE, in.readInt(), entry);
            in.readUnsignedShort(); // minor version
            return in.readUnsignedShort();
        }
    }
}
