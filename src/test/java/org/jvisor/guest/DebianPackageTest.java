package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebianPackageTest {
    @TempDir Path tmp;

    private static Map<String, byte[]> files() {
        Map<String, byte[]> f = new LinkedHashMap<>();
        f.put("bin/busybox", TestDebs.BUSYBOX);
        f.put("usr/share/doc/busybox-static/copyright", "GPL-2\n".getBytes(StandardCharsets.UTF_8));
        return f;
    }

    private Path deb(String compression) throws IOException {
        return TestDebs.write(tmp.resolve("p" + compression + ".deb"),
                TestDebs.deb(TestDebs.control("busybox-static", "1:1.35.0-4+b1"), files(), compression));
    }

    private static Map<String, byte[]> read(DebianPackage p) throws IOException {
        Map<String, byte[]> seen = new LinkedHashMap<>();
        p.forEachFile((path, entry, in) -> seen.put(path + (entry.isDirectory() ? "/" : ""), in.readAllBytes()));
        return seen;
    }

    @Test
    void readsTheControlFields() throws IOException {
        Map<String, String> c = new DebianPackage(deb(".xz")).control();
        assertEquals("busybox-static", c.get("Package"));
        assertEquals("1:1.35.0-4+b1", c.get("Version"));
        assertEquals("arm64", c.get("Architecture"));
        assertEquals("test package\na synthetic package", c.get("Description"), "continuation lines joined");
    }

    @Test
    void streamsTheDataArchiveByPathWithoutTheDotSlash() throws IOException {
        for (String compression : List.of(".xz", ".gz", "")) {
            Map<String, byte[]> seen = read(new DebianPackage(deb(compression)));
            assertEquals(List.of("/", "bin/", "bin/busybox", "usr/", "usr/share/", "usr/share/doc/", "usr/share/doc/busybox-static/",
                    "usr/share/doc/busybox-static/copyright"), List.copyOf(seen.keySet()), compression);
            assertArrayEquals(TestDebs.BUSYBOX, seen.get("bin/busybox"));
            assertEquals("GPL-2\n", new String(seen.get("usr/share/doc/busybox-static/copyright"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void unknownCompressionFailsClearly() throws IOException {
        GuestImageException e = assertThrows(GuestImageException.class, () -> read(new DebianPackage(deb(".zst"))));
        assertTrue(e.getMessage().contains("'.zst'") && e.getMessage().contains("-kernel"), e.getMessage());
    }

    @Test
    void aFileThatIsNoPackageFailsClearly() throws IOException {
        Path junk = Files.write(tmp.resolve("junk.deb"), "this is not an ar archive at all".getBytes(StandardCharsets.UTF_8));
        GuestImageException e = assertThrows(GuestImageException.class, () -> new DebianPackage(junk).control());
        assertTrue(e.getMessage().startsWith(junk.toString()), e.getMessage());
    }

    @Test
    void normalizesTarNames() {
        assertEquals("boot/vmlinuz-6.1", DebianPackage.normalize("./boot/vmlinuz-6.1"));
        assertEquals("lib/modules", DebianPackage.normalize("./lib/modules/"));
        assertEquals("", DebianPackage.normalize("./"));
        assertEquals("etc/x", DebianPackage.normalize("/etc/x"));
    }
}
