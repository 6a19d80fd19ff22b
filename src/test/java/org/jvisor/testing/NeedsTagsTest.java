package org.jvisor.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberReferenceTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.NewClassTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;

import java.io.IOException;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The tests' needs stay true: every test method that reaches a tool through the known helpers carries the
 * tag for it (on itself or its class), and the pom's {@code unit} profile excludes every tag. The sources
 * (tests and main) are attributed by the JDK's own compiler and read as a call graph: a method needs what
 * the methods it calls, the constructors it invokes and its class's initialisers need; the needs start at
 * the helpers below and at string literals that name a tool (a command being built). Not seen: commands a
 * test runs through picocli ({@code Main.execute("bench")}) or in a child JVM, and scripts a test runs;
 * those tests are tagged by hand.
 */
class NeedsTagsTest {
    /** Members (Class, or Class#method) that run a tool themselves. */
    static final Map<String, String> HELPERS = Map.ofEntries(
            Map.entry("org.jvisor.cpu.Asm#assemble", Needs.CROSS),
            Map.entry("org.jvisor.cpu.Asm#linkElf", Needs.CROSS),
            Map.entry("org.jvisor.difftest.Disassembler", Needs.CROSS),
            Map.entry("org.jvisor.cpu.QemuVirt", Needs.QEMU),
            Map.entry("org.jvisor.difftest.QemuRunner", Needs.QEMU),
            Map.entry("org.jvisor.vmm.Dtc", Needs.DTC),
            Map.entry("org.jvisor.guest.DefaultGuest#obtain", Needs.GUEST),
            Map.entry("org.jvisor.guest.DefaultGuest#obtainWithKvm", Needs.GUEST),
            Map.entry("org.jvisor.guest.DefaultGuest#userCacheDir", Needs.GUEST),
            Map.entry("org.jvisor.guest.Apt#system", Needs.GUEST),
            Map.entry("org.jvisor.vmm.net.Passt#start", Needs.PASST));

    /** A string literal in a test that is exactly one of these names the tool a command line starts with. */
    static final Map<Pattern, String> COMMANDS = Map.of(
            Pattern.compile("qemu-aarch64(-static)?|qemu-system-aarch64"), Needs.QEMU,
            Pattern.compile("aarch64-linux-gnu-\\w*"), Needs.CROSS,
            Pattern.compile("gdb-multiarch"), Needs.GDB,
            Pattern.compile("dtc|fdtget"), Needs.DTC,
            Pattern.compile("cpio|mke2fs|script|git"), Needs.TOOLS);

    static final Set<String> TEST_ANNOTATIONS = Set.of("org.junit.jupiter.api.Test", "org.junit.jupiter.params.ParameterizedTest",
            "org.junit.jupiter.api.RepeatedTest", "org.junit.jupiter.api.TestFactory", "org.junit.jupiter.api.TestTemplate");

    @Test
    void everyTestReachingAToolIsTaggedForIt() throws IOException, ReflectiveOperationException {
        CallGraph g = CallGraph.of(Path.of("src/main/java"), Path.of("src/test/java"));
        List<String> untagged = new ArrayList<>();
        int tests = 0;
        for (ExecutableElement m : g.testMethods) {
            tests++;
            TypeElement owner = (TypeElement) m.getEnclosingElement();
            Set<String> have = tags(owner, m);
            for (String need : Needs.ALL) {
                List<Element> path = g.pathToSeed(m, need);
                for (Element l : g.lifecycle.getOrDefault(owner, List.of())) if (path == null) path = g.pathToSeed(l, need);
                if (path != null && !have.contains(need))
                    untagged.add(owner.getQualifiedName() + "#" + m.getSimpleName() + " needs " + need + " (" + describe(path, g.seedWhy.get(need)) + ")");
            }
        }
        assertTrue(tests > 500, "found only " + tests + " test methods");
        // a helper renamed or moved must not leave its tests unchecked
        assertEquals(HELPERS.keySet(), g.helpersUsed, "helpers no source uses (moved or renamed?)");
        assertEquals(COMMANDS.keySet(), g.commandsUsed, "tools no test names any more");
        assertTrue(untagged.isEmpty(), "tag these (src/test/java/org/jvisor/testing/Needs*.java):\n" + String.join("\n", untagged));
    }

    @Test
    void theUnitProfileExcludesEveryTag() throws Exception {
        var pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        var profiles = pom.getElementsByTagName("profile");
        String expression = null;
        for (int i = 0; i < profiles.getLength(); i++) {
            var p = (org.w3c.dom.Element) profiles.item(i);
            if (p.getElementsByTagName("id").item(0).getTextContent().equals("unit"))
                expression = p.getElementsByTagName("unit.groups").item(0).getTextContent();
        }
        assertTrue(expression != null, "pom.xml has no profile 'unit' with a property unit.groups");
        Set<String> excluded = new TreeSet<>();
        for (String term : expression.split("&")) {
            assertTrue(term.strip().matches("!\\w+"), "not a negated tag: '" + term.strip() + "' in " + expression);
            excluded.add(term.strip().substring(1));
        }
        assertEquals(new TreeSet<>(Needs.ALL), excluded, "unit must exclude exactly the tags of Needs");
    }

    /** The JUnit tags on a test method and its classes, as JUnit finds them (composed annotations included). */
    private static Set<String> tags(TypeElement owner, ExecutableElement m) throws ClassNotFoundException {
        Class<?> c = Class.forName(binaryName(owner));
        Set<String> tags = new HashSet<>();
        List<AnnotatedElement> where = new ArrayList<>();
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) where.add(k);
        for (Method rm : c.getDeclaredMethods())
            if (rm.getName().contentEquals(m.getSimpleName()) && rm.getParameterCount() == m.getParameters().size()) where.add(rm);
        for (AnnotatedElement e : where)
            for (Tag t : AnnotationSupport.findRepeatableAnnotations(e, Tag.class)) tags.add(t.value());
        return tags;
    }

    private static String binaryName(TypeElement t) {
        return t.getEnclosingElement() instanceof TypeElement outer ? binaryName(outer) + "$" + t.getSimpleName() : t.getQualifiedName().toString();
    }

    private static String describe(List<Element> path, Map<Element, String> why) {
        List<String> steps = new ArrayList<>();
        for (Element e : path) steps.add(e instanceof TypeElement t ? t.getSimpleName().toString()
                : e.getEnclosingElement().getSimpleName() + "." + (e.getKind() == ElementKind.CONSTRUCTOR ? "new" : e.getSimpleName()));
        return String.join(" -> ", steps) + ": " + why.get(path.getLast());
    }

    /**
     * Methods, constructors and classes (their initialisers) as nodes; an edge from each to what it calls or
     * constructs, and from each member to its class. Seeds: the nodes that use a helper or a command literal.
     */
    static final class CallGraph {
        final Map<Element, Set<Element>> callers = new HashMap<>();
        final Map<String, Set<Element>> seeds = new HashMap<>();
        final Map<String, Map<Element, String>> seedWhy = new HashMap<>();
        final List<ExecutableElement> testMethods = new ArrayList<>();
        final Set<String> helpersUsed = new HashSet<>();
        final Set<Pattern> commandsUsed = new HashSet<>();
        /** Per test class: what runs around each test (constructors, @BeforeEach and the like). */
        final Map<TypeElement, List<ExecutableElement>> lifecycle = new HashMap<>();

        static CallGraph of(Path main, Path test) throws IOException {
            var javac = ToolProvider.getSystemJavaCompiler();
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            CallGraph g = new CallGraph();
            try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, null)) {
                List<Path> mainFiles = javaFiles(main), testFiles = javaFiles(test);
                List<Path> all = new ArrayList<>(mainFiles);
                all.addAll(testFiles);
                JavacTask task = (JavacTask) javac.getTask(null, files, diagnostics,
                        List.of("-proc:none", "-XDshould-stop.ifNoError=ATTR", "-classpath", System.getProperty("java.class.path")), null, files.getJavaFileObjectsFromPaths(all));
                Iterable<? extends CompilationUnitTree> units = task.parse();
                task.analyze();
                for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics())
                    if (d.getKind() == Diagnostic.Kind.ERROR) throw new AssertionError("the sources do not compile here: " + d);
                Trees trees = Trees.instance(task);
                Set<Path> tests = new HashSet<>(testFiles.stream().map(Path::toAbsolutePath).toList());
                for (CompilationUnitTree u : units)
                    g.scan(trees, u, tests.contains(Path.of(u.getSourceFile().toUri()).toAbsolutePath()));
            }
            return g;
        }

        private static List<Path> javaFiles(Path root) throws IOException {
            try (Stream<Path> s = Files.walk(root)) {
                return s.filter(p -> p.toString().endsWith(".java") && !p.endsWith("module-info.java")).sorted().toList();
            }
        }

        private void scan(Trees trees, CompilationUnitTree unit, boolean isTest) {
            boolean isChecker = unit.getPackage() != null && unit.getPackage().getPackageName().toString().equals(Needs.class.getPackageName());
            new TreePathScanner<Void, Element>() {
                @Override
                public Void visitClass(ClassTree node, Element owner) {
                    Element c = trees.getElement(getCurrentPath());
                    return super.visitClass(node, owner != null && !(owner instanceof TypeElement) ? owner : c);
                }

                @Override
                public Void visitMethod(MethodTree node, Element owner) {
                    if (owner instanceof TypeElement type) {
                        ExecutableElement m = (ExecutableElement) trees.getElement(getCurrentPath());
                        edge(m, type);
                        if (isTest && m.getAnnotationMirrors().stream().anyMatch(a ->
                                TEST_ANNOTATIONS.contains(((TypeElement) a.getAnnotationType().asElement()).getQualifiedName().toString())))
                            testMethods.add(m);
                        if (isTest && isLifecycle(m)) lifecycle.computeIfAbsent(type, k -> new ArrayList<>()).add(m);
                        return super.visitMethod(node, m);
                    }
                    return super.visitMethod(node, owner);
                }

                @Override
                public Void visitMethodInvocation(MethodInvocationTree node, Element owner) {
                    use(getCurrentPath(), owner);
                    return super.visitMethodInvocation(node, owner);
                }

                @Override
                public Void visitNewClass(NewClassTree node, Element owner) {
                    use(getCurrentPath(), owner);
                    return super.visitNewClass(node, owner);
                }

                @Override
                public Void visitMemberReference(MemberReferenceTree node, Element owner) {
                    use(getCurrentPath(), owner);
                    return super.visitMemberReference(node, owner);
                }

                @Override
                public Void visitMemberSelect(MemberSelectTree node, Element owner) {
                    helper(trees.getElement(getCurrentPath()), owner);
                    return super.visitMemberSelect(node, owner);
                }

                @Override
                public Void visitIdentifier(IdentifierTree node, Element owner) {
                    helper(trees.getElement(getCurrentPath()), owner);
                    return super.visitIdentifier(node, owner);
                }

                @Override
                public Void visitLiteral(LiteralTree node, Element owner) {
                    if (isTest && owner != null && !isChecker && node.getValue() instanceof String s)
                        COMMANDS.forEach((p, need) -> {
                            if (p.matcher(s).matches()) {
                                seed(owner, need, "\"" + s + "\"");
                                commandsUsed.add(p);
                            }
                        });
                    return super.visitLiteral(node, owner);
                }

                private void use(TreePath path, Element owner) {
                    Element callee = trees.getElement(path);
                    if (callee == null || owner == null) return;
                    edge(owner, callee);
                    helper(callee, owner);
                }

                private void helper(Element used, Element owner) {
                    if (used == null || owner == null || !(used.getEnclosingElement() instanceof TypeElement c)) return;
                    String cls = c.getQualifiedName().toString();
                    for (String key : List.of(cls, cls + "#" + used.getSimpleName())) {
                        String need = HELPERS.get(key);
                        if (need != null) {
                            seed(owner, need, key);
                            helpersUsed.add(key);
                        }
                    }
                }
            }.scan(unit, null);
        }

        private static boolean isLifecycle(ExecutableElement m) {
            return m.getKind() == ElementKind.CONSTRUCTOR || m.getAnnotationMirrors().stream().anyMatch(a -> Set.of("BeforeAll", "BeforeEach",
                    "AfterAll", "AfterEach").contains(a.getAnnotationType().asElement().getSimpleName().toString()));
        }

        private void edge(Element from, Element to) {
            callers.computeIfAbsent(to, k -> new LinkedHashSet<>()).add(from);
        }

        private void seed(Element at, String need, String why) {
            seeds.computeIfAbsent(need, k -> new LinkedHashSet<>()).add(at);
            seedWhy.computeIfAbsent(need, k -> new HashMap<>()).putIfAbsent(at, why);
        }

        private final Map<String, Map<Element, Element>> towardSeed = new HashMap<>();

        /** The chain from {@code m} to a use of what {@code need} names, or null if there is none. */
        List<Element> pathToSeed(Element m, String need) {
            Map<Element, Element> next = towardSeed.computeIfAbsent(need, n -> {
                Map<Element, Element> to = new HashMap<>();
                ArrayDeque<Element> work = new ArrayDeque<>();
                for (Element s : seeds.getOrDefault(n, Set.of())) {
                    to.put(s, s);
                    work.add(s);
                }
                while (!work.isEmpty()) {
                    Element e = work.poll();
                    for (Element caller : callers.getOrDefault(e, Set.of()))
                        if (to.putIfAbsent(caller, e) == null) work.add(caller);
                }
                return to;
            });
            if (!next.containsKey(m)) return null;
            List<Element> path = new ArrayList<>(List.of(m));
            for (Element e = m; next.get(e) != e; e = next.get(e)) path.add(next.get(e));
            return path;
        }
    }
}
