package org.jvisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.StringEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers README describes, checked on what the main code uses of jvisor: each class's references to
 * jvisor's classes, read from the compiled classes' constant pools (imports, fully qualified names, types
 * that appear only in signatures) and from the sources' code (comments and strings left out), which alone
 * still show the compile-time constants javac copies into the user (e.g. {@code SystemRegisters.HCR_VM}).
 */
class ArchitectureTest {

    /** The layers, each a package (vmm with its sub-packages, cpu with any it grows). */
    enum Layer { CPU, HYP, VMM, GUEST, LAB, DIFFTEST, CLI }

    /**
     * What each layer may use: cpu &lt; hyp &lt; vmm &lt; lab &lt; cli; the Debian guest builder stands alone (the
     * experiments and the commands use it); the differential tester drives the processor alone.
     */
    static final Map<Layer, Set<Layer>> MAY_USE = Map.of(
            Layer.CPU, EnumSet.of(Layer.CPU),
            Layer.HYP, EnumSet.of(Layer.CPU, Layer.HYP),
            Layer.VMM, EnumSet.of(Layer.CPU, Layer.HYP, Layer.VMM),
            Layer.GUEST, EnumSet.of(Layer.GUEST),
            Layer.LAB, EnumSet.of(Layer.CPU, Layer.HYP, Layer.VMM, Layer.GUEST, Layer.LAB),
            Layer.DIFFTEST, EnumSet.of(Layer.CPU, Layer.DIFFTEST),
            Layer.CLI, EnumSet.allOf(Layer.class));

    /**
     * The processor's types a VMM may name, as a QEMU device model or kvmtool names only the memory and
     * bus interfaces of the machine, never a CPU's state: everything else of the processor it reaches
     * through the hypervisor's {@code Vcpu} and {@code Vm} (registers, guest debug, address translation,
     * the clock), as a VMM reaches a KVM vCPU through its ioctls.
     */
    static final Map<String, String> VMM_MAY_USE_OF_CPU = Map.of(
            "org.jvisor.cpu.MmioHandler", "the interface a device's registers present on a bus",
            "org.jvisor.cpu.BusError", "what an MmioHandler throws for an access no device answers",
            "org.jvisor.cpu.InterruptLine", "a device's interrupt output, wired to the GIC",
            "org.jvisor.cpu.Ram", "the host memory behind guest RAM, which the VMM allocates and hands to Vm.setUserMemoryRegion (KVM's userspace_addr)",
            "org.jvisor.cpu.Esr", "the exception syndrome's layout and names (Linux's asm/esr.h), to name the exception class of an exit",
            "org.jvisor.cpu.StateWriter", "a device's saved state, as QEMU's VMState",
            "org.jvisor.cpu.StateReader", "a device's saved state, as QEMU's VMState",
            "org.jvisor.cpu.StateException", "a device's saved state, as QEMU's VMState: what a restore that cannot be done throws");

    /** Packages that are programs and tools, not an API: never exported from the module. */
    static final Set<String> NOT_API = Set.of("org.jvisor.lab", "org.jvisor.difftest", "org.jvisor.cli", "org.jvisor.cpu.simd");

    static Layer layer(String pkg) {
        for (Layer l : Layer.values()) {
            String p = "org.jvisor." + l.name().toLowerCase(java.util.Locale.ROOT);
            if (pkg.equals(p) || pkg.startsWith(p + ".")) return l;
        }
        throw new AssertionError("package " + pkg + " is in no layer: add it to ArchitectureTest.Layer");
    }

    static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return className.substring(0, dot);
    }

    // ---- the checks ------------------------------------------------------------------------------------

    @Test
    void noLayerUsesOneAboveIt() {
        List<String> wrong = new ArrayList<>();
        uses().forEach((user, used) -> {
            Layer from = layer(packageOf(user));
            for (String u : used) {
                Layer to = layer(packageOf(u));
                if (!MAY_USE.get(from).contains(to)) wrong.add(user + " (" + from + ") uses " + u + " (" + to + ")");
            }
        });
        assertEquals(List.of(), wrong, "uses across the layers' order (ArchitectureTest.MAY_USE)");
    }

    @Test
    void theVmmUsesOnlyTheProcessorsApi() {
        List<String> wrong = new ArrayList<>();
        Set<String> usedOfCpu = new TreeSet<>();
        uses().forEach((user, used) -> {
            if (layer(packageOf(user)) != Layer.VMM) return;
            for (String u : used) {
                if (layer(packageOf(u)) != Layer.CPU) continue;
                usedOfCpu.add(u);
                if (!VMM_MAY_USE_OF_CPU.containsKey(u)) wrong.add(user + " uses " + u);
            }
        });
        assertEquals(List.of(), wrong, "the VMM reaches into the processor: use Vcpu/Vm (or, for a type a VMM"
                + " needs as KVM's users do, add it to ArchitectureTest.VMM_MAY_USE_OF_CPU saying why)");
        // The list stays what the VMM needs: an entry no longer used goes.
        assertEquals(new TreeSet<>(VMM_MAY_USE_OF_CPU.keySet()), usedOfCpu, "ArchitectureTest.VMM_MAY_USE_OF_CPU lists what the VMM uses");
    }

    @Test
    void theModuleExportsTheApiOnly() throws IOException {
        ModuleDescriptor m;
        try (var in = Files.newInputStream(classes().resolve("module-info.class"))) {
            m = ModuleDescriptor.read(in);
        }
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : m.exports()) exported.add(e.source());
        for (String p : NOT_API) assertTrue(!exported.contains(p), p + " is exported");
        for (String p : exported) assertTrue(m.packages().contains(p), "exported " + p + " exists");
    }

    /** The test reads the sources as it reads the classes: a violation written either way is seen. */
    @Test
    void theSourceScanSeesImportsQualifiedNamesAndConstants() {
        String code = """
                package org.jvisor.vmm;
                import org.jvisor.cpu.Cpu; // org.jvisor.cpu.Mmu in a comment
                /* org.jvisor.cpu.SoftTlb */
                class X {
                    long a = org.jvisor.cpu.SystemRegisters.HCR_VM, b = 'x';
                    String s = "org.jvisor.cpu.Decoder";
                    String t = \"""
                        org.jvisor.cpu.Encoding
                        \""";
                    static final int Q = org.jvisor.cpu.Features.ALL.hashCode();
                }
                """;
        assertEquals(Set.of("org.jvisor.cpu.Cpu", "org.jvisor.cpu.SystemRegisters", "org.jvisor.cpu.Features"), namedInSource(code));
    }

    /** A type a class names only in a signature (no class entry in its pool) is seen too. */
    @Test
    void theClassScanSeesTypesInSignaturesOnly() throws IOException {
        byte[] bytes;
        try (var in = SignatureOnly.class.getResourceAsStream("ArchitectureTest$SignatureOnly.class")) {
            bytes = in.readAllBytes();
        }
        assertEquals(Set.of("org.jvisor.vmm.BoardConfig", "org.jvisor.hyp.Vcpu", "org.jvisor.ArchitectureTest"),
                namedInClass(ClassFile.of().parse(bytes)));
    }

    static final class SignatureOnly {
        java.util.List<org.jvisor.hyp.Vcpu> vcpus;
        void boot(org.jvisor.vmm.BoardConfig config) {}
    }

    // ---- reading the classes and the sources -------------------------------------------------------------

    private static Map<String, Set<String>> cached;

    /** Each main class (nested ones as their top-level class) and the other jvisor classes it uses. */
    static synchronized Map<String, Set<String>> uses() {
        if (cached != null) return cached;
        Map<String, Set<String>> uses = new TreeMap<>();
        Path classes = classes();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class") && !p.endsWith("module-info.class")).toList()) {
                ClassModel c = ClassFile.of().parse(f);
                String name = topLevel(c.thisClass().asInternalName());
                uses.computeIfAbsent(name, k -> new TreeSet<>()).addAll(namedInClass(c));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "the main sources at " + sources.toAbsolutePath());
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String rel = sources.relativize(f).toString().replace('/', '.');
                if (!rel.startsWith("org.jvisor.") || rel.endsWith("package-info.java")) continue;
                String name = rel.substring(0, rel.length() - ".java".length());
                uses.computeIfAbsent(name, k -> new TreeSet<>()).addAll(namedInSource(Files.readString(f)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        uses.forEach((user, used) -> used.remove(user));
        cached = uses;
        return uses;
    }

    static Path classes() {
        try {
            Path p = Path.of(org.jvisor.hyp.Vm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertTrue(Files.isDirectory(p.resolve("org/jvisor")), "the main classes in a directory: " + p);
            return p;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern DESCRIPTOR_TYPE = Pattern.compile("L(org/jvisor/[\\w/$]+)[;<]");

    /** The jvisor classes in a class's constant pool: its class entries, and the types its descriptors and signatures name. */
    static Set<String> namedInClass(ClassModel c) {
        Set<PoolEntry> literals = new HashSet<>();
        for (PoolEntry e : c.constantPool()) if (e instanceof StringEntry s) literals.add(s.utf8());
        Set<String> out = new TreeSet<>();
        for (PoolEntry e : c.constantPool()) {
            if (e instanceof ClassEntry ce) {
                String n = ce.asInternalName();
                Matcher m = DESCRIPTOR_TYPE.matcher(n);
                if (n.startsWith("org/jvisor/")) out.add(topLevel(n));
                else while (m.find()) out.add(topLevel(m.group(1))); // an array class
            } else if (e instanceof Utf8Entry u && !literals.contains(u)) {
                Matcher m = DESCRIPTOR_TYPE.matcher(u.stringValue());
                while (m.find()) out.add(topLevel(m.group(1)));
            }
        }
        return out;
    }

    private static String topLevel(String internalName) {
        int dollar = internalName.indexOf('$');
        return (dollar < 0 ? internalName : internalName.substring(0, dollar)).replace('/', '.');
    }

    /** A qualified jvisor name in code: packages in lower case, then a class (an import, a qualified use, a static import). */
    private static final Pattern QUALIFIED = Pattern.compile("\\borg\\.jvisor((?:\\.[a-z][a-z0-9_]*)+)\\.(?:([A-Z]\\w*)|\\*)");

    /** The jvisor classes a source names by their qualified names, outside comments and literals. */
    static Set<String> namedInSource(String source) {
        Set<String> out = new TreeSet<>();
        Matcher m = QUALIFIED.matcher(code(source));
        while (m.find()) {
            if (m.group(2) == null) throw new AssertionError("a wildcard import of org.jvisor" + m.group(1) + ": name the classes");
            out.add("org.jvisor" + m.group(1) + "." + m.group(2));
        }
        return out;
    }

    /** The source with comments, string and character literals (text blocks too) blanked out. */
    static String code(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < n && s.charAt(i) != '\n') i++;
                b.append(' ');
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                b.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = i + 3;
                while (end < n && !s.startsWith("\"\"\"", end)) end += s.charAt(end) == '\\' ? 2 : 1;
                i = Math.min(n, end + 3);
                b.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int end = i + 1;
                while (end < n && s.charAt(end) != c) end += s.charAt(end) == '\\' ? 2 : 1;
                i = Math.min(n, end + 1);
                b.append(c).append(c);
            } else {
                b.append(c);
                i++;
            }
        }
        return b.toString();
    }
}
