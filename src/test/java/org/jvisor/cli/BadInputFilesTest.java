package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.NeedsCross;

/**
 * Files the user names that jvisor cannot use: each gets one line saying why, status 2, no stack trace,
 * and no wait (a FIFO nobody writes, /dev/zero). The tests run as root in CI, and root may write almost
 * anything: the unwritable paths are ones the kernel refuses to root too (a read-only sysfs attribute:
 * EACCES on open for writing; /proc, where no file can be created; a path below a regular file).
 */
@NeedsCross
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadInputFilesTest {
    /** A sysfs attribute without a write method: open(O_RDWR) fails with EACCES even for root (kernfs_fop_open). */
    private static final Path READ_ONLY_ATTRIBUTE = Path.of("/sys/devices/system/cpu/possible");

    @TempDir
    Path dir;

    private static void oneLine(String cause, String... args) {
        RunCommandTest.Result r = RunCommandTest.run(args);
        String what = String.join(" ", args);
        assertEquals(2, r.status(), what + ":\n" + r.err());
        assertEquals("", r.out(), what);
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, what + ":\n" + r.err());
        assertTrue(lines[0].startsWith("jvisor: ") && lines[0].contains(cause), what + ": " + lines[0]);
    }

    private Path fifo() throws Exception {
        Path f = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", f.toString()).inheritIO().start().waitFor());
        return f;
    }

    @Test
    void kernelsAndInitrdsAreRegularFilesOnly() throws Exception {
        String kernel = RunCommandTest.hello(dir).toString();
        String fifo = fifo().toString();
        oneLine("kernel image '/dev/zero' is a character device, not a regular file", "run", "-kernel", "/dev/zero");
        oneLine("kernel image '" + fifo + "' is a FIFO", "run", "-kernel", fifo);
        oneLine("kernel image '" + dir + "' is a directory", "run", "-kernel", dir.toString());
        oneLine("initrd '/dev/zero' is a character device", "run", "-kernel", kernel, "-m", "64M", "-initrd", "/dev/zero");
        oneLine("initrd '" + fifo + "' is a FIFO", "run", "-kernel", kernel, "-m", "64M", "-initrd", fifo);
    }

    @Test
    void drivesAreRegularFilesAndWritableUnlessReadOnly() throws Exception {
        String kernel = RunCommandTest.hello(dir).toString();
        String fifo = fifo().toString();
        oneLine("disk image '" + dir + "' is a directory", "run", "-kernel", kernel, "-m", "64M", "-drive", "file=" + dir + ",format=raw");
        oneLine("disk image '/dev/zero' is a character device", "run", "-kernel", kernel, "-m", "64M", "-drive", "file=/dev/zero,format=raw");
        oneLine("disk image '" + fifo + "' is a FIFO", "run", "-kernel", kernel, "-m", "64M", "-drive", "file=" + fifo + ",format=raw");
        oneLine("disk image '" + dir.resolve("none.img") + "' does not exist", "run", "-kernel", kernel, "-m", "64M",
                "-drive", "file=" + dir.resolve("none.img") + ",format=raw");
        oneLine("cannot open disk image '" + READ_ONLY_ATTRIBUTE + "' for writing: Permission denied (readonly=on opens it read-only)",
                "run", "-kernel", kernel, "-m", "64M", "-drive", "file=" + READ_ONLY_ATTRIBUTE + ",format=raw");
        // The same file read-only is a disk (of one page): the refusal was about writing.
        RunCommandTest.Result ro = RunCommandTest.run("run", "-kernel", kernel, "-m", "64M", "-drive", "file=" + READ_ONLY_ATTRIBUTE + ",format=raw,readonly=on");
        assertEquals(0, ro.status(), ro.err());
        assertEquals("hello from the virt board\n", ro.out());
    }

    /**
     * A user's image that user may not write (mode 0444, someone else's): as root, the child jvisor runs as
     * nobody through util-linux's setpriv, with the class path copied where nobody can read it (root's home
     * is 0700); as anyone else, in-process.
     */
    @Test
    void anImageTheUserMayNotWriteSaysSo() throws Exception {
        Path shared = Files.createTempDirectory(Path.of("/tmp"), "jvisor-nobody");
        try {
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path kernel = RunCommandTest.hello(shared);
            Path image = shared.resolve("disk.img");
            Files.write(image, new byte[4096]);
            Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("r--r--r--"));
            String want = "jvisor: cannot open disk image '" + image + "' for writing: Permission denied (readonly=on opens it read-only)";
            String drive = "file=" + image + ",format=raw";
            if (!"root".equals(System.getProperty("user.name"))) {
                oneLine(want.substring("jvisor: ".length()), "run", "-kernel", kernel.toString(), "-m", "64M", "-drive", drive);
                return;
            }
            List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
            List<String> child = Processes.jvisor(kernel, "-drive", drive);
            child.set(child.indexOf("-cp") + 1, copyClassPath(shared.resolve("cp")));
            cmd.addAll(child);
            RunCommandTest.Result r = Processes.run(cmd, Map.of(), null);
            assertEquals(2, r.status(), r.out() + r.err());
            assertEquals(want, r.err().strip());
            List<String> readOnly = new ArrayList<>(cmd);
            readOnly.set(readOnly.size() - 1, drive + ",readonly=on");
            RunCommandTest.Result ro = Processes.run(readOnly, Map.of(), null);
            assertEquals(0, ro.status(), ro.err());
        } finally {
            try (Stream<Path> s = Files.walk(shared)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String copyClassPath(Path to) throws IOException {
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path from = Path.of(e);
            if (!Files.exists(from)) continue;
            Path dest = to.resolve(i++ + "-" + from.getFileName());
            try (Stream<Path> s = Files.walk(from)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Path q = dest.resolve(from.relativize(p).toString());
                    Files.createDirectories(q.getParent());
                    if (Files.isDirectory(p)) Files.createDirectories(q);
                    else Files.copy(p, q);
                }
            }
            entries.add(dest.toString());
        }
        try (Stream<Path> s = Files.walk(to)) {
            for (Path p : (Iterable<Path>) s::iterator)
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    @Test
    void outputPathsThatCannotBeWritten() throws Exception {
        String kernel = RunCommandTest.hello(dir).toString();
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        oneLine("cannot write the device tree blob to '/proc/x.dtb': No such file or directory", "run", "-kernel", kernel, "--dump-dtb", "/proc/x.dtb");
        oneLine("cannot write the device tree blob to '" + READ_ONLY_ATTRIBUTE + "': Permission denied", "run", "-kernel", kernel, "--dump-dtb",
                READ_ONLY_ATTRIBUTE.toString());
        oneLine("cannot write the device tree blob to '" + file.resolve("x.dtb") + "': Not a directory", "run", "-kernel", kernel,
                "-M", "virt,dumpdtb=" + file.resolve("x.dtb"));
        // Checked before the default guest is obtained, so these need no guest.
        oneLine("-o /proc/x: cannot create the directory: No such file or directory", "experiment", "traps", "-o", "/proc/x");
        oneLine("-o " + file + ": it exists and is not a directory", "experiment", "traps", "-o", file.toString());
        oneLine("-o " + file.resolve("sub") + ": cannot create the directory: Not a directory", "experiment", "traps", "-o", file.resolve("sub").toString());
    }
}
