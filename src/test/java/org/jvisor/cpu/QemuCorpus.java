package org.jvisor.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The case tables recorded under QEMU by the scripts in src/test/python (one case a line, '#' comments).
 * A missing or empty table fails the test: replaying nothing must never pass.
 */
public final class QemuCorpus {
    private QemuCorpus() {}

    public static List<String> load(String resource) throws IOException {
        try (InputStream s = QemuCorpus.class.getResourceAsStream(resource)) {
            if (s == null) throw new AssertionError("missing test resource " + resource);
            List<String> out = new ArrayList<>();
            for (String l : new String(s.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                if (!l.isBlank() && !l.startsWith("#")) out.add(l.trim());
            if (out.isEmpty()) throw new AssertionError("test resource " + resource + " has no cases");
            return out;
        }
    }

    /**
     * Replays snippet cases ("name | insn; insn | X0-X7 Q0-Q7 NZCV FPSR" as the Python scripts write them)
     * at EL1 with FP enabled and asserts each leaves the state QEMU left.
     */
    static void replaySnippets(String resource) throws IOException {
        List<String> cases = load(resource);
        assertTrue(cases.size() >= 20, resource + " has too few cases");
        List<String> failures = new ArrayList<>();
        for (String c : cases) {
            String[] f = c.split("\\|");
            String name = f[0].trim(), snippet = f[1].trim();
            String want = String.join(" ", f[2].trim().split(" "));
            TestMachine m = new TestMachine(1 << 20).load(String.join("\n", snippet.split(";")) + "\nhvc #0\n");
            m.cpu.sr.cpacrEl1 = 3L << 20;
            assertEquals(0, m.runToHvc(), name);
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 8; i++) got.add(Long.toHexString(m.x(i)));
            for (int i = 0; i < 8; i++)
                got.add(Long.toHexString(m.cpu.vreg[2 * i + 1]) + ":" + Long.toHexString(m.cpu.vreg[2 * i]));
            got.add(Long.toHexString((long) m.cpu.nzcv() << 28));
            got.add(Integer.toHexString(m.cpu.fpsr));
            if (!String.join(" ", got).equals(want)) failures.add(name + "\n  want " + want + "\n  got  " + String.join(" ", got));
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
