package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitramfsTest {
    private static Initramfs sample() {
        return new Initramfs()
                .directory("tmp", 01777)
                .file("/init", 0755, "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8))
                .file("bin/busybox", 0755, new byte[] {1, 2, 3, 4, 5})
                .symlink("bin/sh", "busybox")
                .charDevice("dev/console", 0600, 5, 1)
                .file("lib/modules/6.1.0/kernel/fs/a.ko", 0644, new byte[] {9});
    }

    @Test
    void newcLayoutFollowsTheKernelsBufferFormat() {
        Map<String, Newc.Entry> e = Newc.parse(sample().cpio());
        assertEquals(List.of("bin", "bin/busybox", "bin/sh", "dev", "dev/console", "init", "lib", "lib/modules",
                "lib/modules/6.1.0", "lib/modules/6.1.0/kernel", "lib/modules/6.1.0/kernel/fs",
                "lib/modules/6.1.0/kernel/fs/a.ko", "tmp"), List.copyOf(e.keySet()), "sorted, parents before children");
        for (Newc.Entry x : e.values()) {
            assertEquals(0, x.uid());
            assertEquals(0, x.gid());
            assertEquals(0, x.mtime());
            assertEquals(x.type() == Newc.DIR ? 2 : 1, x.nlink(), x.name());
        }
        assertEquals(Newc.DIR, e.get("bin").type());
        assertEquals(0755, e.get("bin").perm(), "parents added with 0755");
        assertEquals(01777, e.get("tmp").perm());
        assertEquals(Newc.REG, e.get("init").type());
        assertEquals(0755, e.get("init").perm());
        assertEquals("#!/bin/sh\necho hi\n", e.get("init").text());
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, e.get("bin/busybox").data(), "a size that needs padding");
        assertEquals(Newc.LNK, e.get("bin/sh").type());
        assertEquals(0777, e.get("bin/sh").perm());
        assertEquals("busybox", e.get("bin/sh").text(), "a symlink's data is its target");
        assertEquals(Newc.CHR, e.get("dev/console").type());
        assertEquals(0600, e.get("dev/console").perm());
        assertEquals(5, e.get("dev/console").rdevMajor());
        assertEquals(1, e.get("dev/console").rdevMinor());
        assertEquals(0, e.get("dev/console").data().length);
    }

    @Test
    void hostCpioListsTheSameArchive(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("a.cpio");
        Files.write(f, sample().cpio());
        Process p = new ProcessBuilder("cpio", "-t", "-v", "--quiet").redirectInput(f.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.matches("(?s).*\ncrw-------\\s+1 root\\s+root\\s+5,\\s+1 .* dev/console\n.*"), out);
        assertTrue(out.matches("(?s).*\nlrwxrwxrwx\\s+1 root\\s+root\\s+7 .* bin/sh -> busybox\n.*"), out);
        assertTrue(out.matches("(?s).*\n-rwxr-xr-x\\s+1 root\\s+root\\s+5 .* bin/busybox\n.*"), out);
        assertTrue(out.matches("(?s).*\ndrwxrwxrwt\\s+2 root\\s+root\\s+0 .* tmp\n?"), out);
    }

    @Test
    void gzipHoldsTheArchiveAndTheSameInputsGiveTheSameBytes() throws IOException {
        ByteArrayOutputStream a = new ByteArrayOutputStream(), b = new ByteArrayOutputStream();
        sample().writeGzip(a);
        // the same contents added in another order
        new Initramfs()
                .file("lib/modules/6.1.0/kernel/fs/a.ko", 0644, new byte[] {9})
                .charDevice("dev/console", 0600, 5, 1)
                .symlink("bin/sh", "busybox")
                .directory("bin", 0755)
                .file("bin/busybox", 0755, new byte[] {1, 2, 3, 4, 5})
                .file("init", 0755, "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8))
                .directory("tmp", 01777)
                .writeGzip(b);
        assertEquals(0x1f, a.toByteArray()[0] & 0xff);
        assertEquals(0x8b, a.toByteArray()[1] & 0xff);
        assertArrayEquals(sample().cpio(), Newc.gunzip(a.toByteArray()));
        assertArrayEquals(a.toByteArray(), b.toByteArray());
    }

    @Test
    void refusesPathsThatLeaveTheRoot() {
        assertThrows(IllegalArgumentException.class, () -> new Initramfs().file("../etc/passwd", 0644, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new Initramfs().file("a/./b", 0644, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new Initramfs().symlink("/", "x"));
        assertThrows(IllegalArgumentException.class,
                () -> new Initramfs().file("a", 0644, new byte[0]).file("a/b", 0644, new byte[0]));
    }

    @Test
    void copiesAHostDirectoryKeepingTheExecutableBit(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("progs/sub"));
        Files.writeString(tmp.resolve("progs/hello"), "prog");
        Files.setPosixFilePermissions(tmp.resolve("progs/hello"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.writeString(dir.resolve("data.txt"), "data");
        Map<String, Newc.Entry> e = Newc.parse(new Initramfs().tree(tmp.resolve("progs"), "home/root").cpio());
        assertEquals(List.of("home", "home/root", "home/root/hello", "home/root/sub", "home/root/sub/data.txt"), List.copyOf(e.keySet()));
        assertEquals(0755, e.get("home/root/hello").perm());
        assertEquals("prog", e.get("home/root/hello").text());
        assertEquals(0644, e.get("home/root/sub/data.txt").perm());
        assertEquals(Newc.DIR, e.get("home/root/sub").type());
    }
}
