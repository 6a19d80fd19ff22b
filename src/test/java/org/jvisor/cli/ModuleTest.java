package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jvisor as the named module {@code org.jvisor} (the tests themselves run on the class path): the module
 * in target/classes with its dependencies on the module path of child JVMs, checked by the JDK's own
 * module system (javac resolving {@code requires org.jvisor}, the launcher resolving the graph, picocli
 * injecting options through {@code opens}, native access granted by the module's name).
 */
class ModuleTest {
    @TempDir Path tmp;

    /** target/classes (the module, exploded) and the dependency jars, as the tests' class path has them. */
    private static String modulePath() {
        return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.endsWith(".jar") || Path.of(e).endsWith(Path.of("target", "classes")))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private record Result(int status, String out, String err) {}

    private static Result java(Path dir, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        var err = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (Exception e) {
                err.completeExceptionally(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out, err.get());
    }

    @Test
    void theDemoRunsAsTheModule() throws Exception {
        Result r = java(tmp, List.of("--enable-native-access=org.jvisor", "-p", modulePath(), "-m", "org.jvisor/org.jvisor.cli.Main", "demo"));
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("\nall 16 steps as expected\n"), r.out());
        assertEquals("", r.err());
    }

    /** The application of docs/embedding.md, as printed there: its module-info, its lines in a main method, its java command. */
    @Test
    void theReadmesApplicationRequiresTheModuleAndBootsABoard() throws Exception {
        List<String> readme = Files.readAllLines(Path.of("docs/embedding.md"));
        int start = readme.indexOf("## Embedding jvisor: Maven, `java -jar`, the module `org.jvisor`");
        assertTrue(start >= 0, "docs/embedding.md's section");
        List<String> section = readme.subList(start, readme.size());
        String moduleInfo = codeLine(section, "module app ");
        String java = codeLine(section, "java --enable-native-access=");
        int first = section.indexOf(section.stream().filter(l -> l.startsWith("    BoardConfig config")).findFirst().orElseThrow());
        List<String> body = new ArrayList<>();
        for (int i = first; i < section.size() && section.get(i).startsWith("    "); i++) body.add(section.get(i));

        Path src = Files.createDirectories(tmp.resolve("src/app"));
        Files.writeString(tmp.resolve("src/module-info.java"), moduleInfo + "\n");
        Files.writeString(src.resolve("Main.java"), """
                package app;

                import java.nio.file.Path;
                import java.util.List;
                import org.jvisor.vmm.BoardConfig;
                import org.jvisor.vmm.VirtBoard;

                public class Main {
                    public static void main(String[] args) throws Exception {
                """ + String.join("\n", body) + "\n    }\n}\n");
        Path classes = tmp.resolve("classes");
        assertEquals(0, tool("javac", "-d", classes.toString(), "-p", modulePath(),
                tmp.resolve("src/module-info.java").toString(), src.resolve("Main.java").toString()));
        assertEquals(0, tool("jar", "--create", "--file", tmp.resolve("app.jar").toString(), "-C", classes.toString(), "."));
        RunCommandTest.hello(tmp);

        // "java ... -p app.jar:target/jvisor.jar:target/lib -m app/app.Main": the module path is the printed one
        // with target/classes and the dependency jars standing for the jar and target/lib, which mvn package makes later
        List<String> args = new ArrayList<>(Arrays.asList(java.split(" +")));
        assertEquals("java", args.removeFirst());
        int p = args.indexOf("-p") + 1;
        assertEquals("app.jar:target/jvisor.jar:target/lib", args.get(p), java);
        args.set(p, "app.jar" + File.pathSeparator + modulePath());
        Result r = java(tmp, args);
        assertEquals("hello from the virt board\nstatus 0\n", r.out(), r.err());
        assertEquals(0, r.status());
        assertEquals("", r.err());
    }

    private static String codeLine(List<String> lines, String prefix) {
        String line = lines.stream().filter(l -> l.startsWith("    " + prefix)).findFirst().orElse(null);
        assertNotNull(line, "docs/embedding.md: a code line starting with " + prefix);
        return line.strip();
    }

    private static int tool(String name, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        int status = ToolProvider.findFirst(name).orElseThrow().run(ps, ps, args);
        assertEquals(0, status, name + ": " + out.toString(StandardCharsets.UTF_8));
        return status;
    }
}
