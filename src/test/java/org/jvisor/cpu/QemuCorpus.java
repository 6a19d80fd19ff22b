package org.jvisor.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The case tables recorded under QEMU by the scripts in src/test/python (one case a line, '#' comments).
 * A missing or empty table fails the test: replaying nothing must never pass.
 */
final class QemuCorpus {
    private QemuCorpus() {}

    static List<String> load(String resource) throws IOException {
        try (InputStream s = QemuCorpus.class.getResourceAsStream(resource)) {
            if (s == null) throw new AssertionError("missing test resource " + resource);
            List<String> out = new ArrayList<>();
            for (String l : new String(s.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                if (!l.isBlank() && !l.startsWith("#")) out.add(l.trim());
            if (out.isEmpty()) throw new AssertionError("test resource " + resource + " has no cases");
            return out;
        }
    }
}
