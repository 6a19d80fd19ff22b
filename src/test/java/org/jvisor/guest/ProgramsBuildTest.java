package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.NeedsCross;

/**
 * The test programs' binary that the default guest ships ({@code guest/home/jvprogs}) is what
 * {@code guest/programs/build.sh} makes from the sources in the repository: rebuilt here with the cross
 * compiler and compared byte for byte (the build is reproducible), when the compiler is the one that built
 * the shipped file (its version line is kept next to it; another gcc gives other, equally good, bytes).
 */
@NeedsCross
class ProgramsBuildTest {
    @TempDir Path tmp;

    @Test
    void shippedBinaryIsBuiltFromTheSources() throws Exception {
        byte[] shipped = DefaultGuest.resource("home/jvprogs");
        ByteBuffer elf = ByteBuffer.wrap(shipped).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x464C457F, elf.getInt(0), "an ELF file");
        assertEquals(183, elf.getShort(18), "for AArch64");
        assertEquals(2, elf.getShort(16), "statically linked (ET_EXEC)");

        String compiler = new String(DefaultGuest.resource("home/jvprogs.compiler"), StandardCharsets.UTF_8).strip();
        String here = run("aarch64-linux-gnu-gcc", "--version");
        assertNotNull(here, "aarch64-linux-gnu-gcc --version failed (.ci/deps installs it; ./test -Dgroups=unit leaves this test out)");
        assumeTrue(here.lines().findFirst().orElse("").strip().equals(compiler), "built with " + compiler + ", this machine has " + here.lines().findFirst().orElse(""));

        Path out = tmp.resolve("jvprogs");
        String log = run("sh", Path.of("guest/programs/build.sh").toAbsolutePath().toString(), out.toString());
        assertEquals(true, log != null && Files.isRegularFile(out), "build.sh failed: " + log);
        assertArrayEquals(Files.readAllBytes(out), shipped, "src/main/resources/org/jvisor/guest/home/jvprogs is stale: run guest/programs/build.sh");
    }

    /** The same for the KVM programs of {@link DefaultGuest#withKvm}, built by {@code guest/kvm/build.sh}. */
    @Test
    void shippedKvmProgramsAreBuiltFromTheSources() throws Exception {
        String compiler = new String(DefaultGuest.resource("kvm/kvm.compiler"), StandardCharsets.UTF_8).strip();
        String here = run("aarch64-linux-gnu-gcc", "--version");
        assertNotNull(here, "aarch64-linux-gnu-gcc --version failed (.ci/deps installs it)");
        assumeTrue(here.lines().findFirst().orElse("").strip().equals(compiler), "built with " + compiler + ", this machine has " + here.lines().findFirst().orElse(""));

        String log = run("sh", Path.of("guest/kvm/build.sh").toAbsolutePath().toString(), tmp.toString());
        assertNotNull(log, "guest/kvm/build.sh failed");
        for (String name : new String[] {"kvm-hello-world", "kvm-vmm"}) {
            byte[] shipped = DefaultGuest.resource("kvm/" + name);
            ByteBuffer elf = ByteBuffer.wrap(shipped).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0x464C457F, elf.getInt(0), name + ": an ELF file");
            assertEquals(183, elf.getShort(18), name + ": for AArch64");
            assertEquals(2, elf.getShort(16), name + ": statically linked (ET_EXEC)");
            assertArrayEquals(Files.readAllBytes(tmp.resolve(name)), shipped,
                    "src/main/resources/org/jvisor/guest/kvm/" + name + " is stale: run guest/kvm/build.sh");
        }
    }

    /** The command's output, or null if it cannot run or fails. */
    private static String run(String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return null;
        }
        return p.exitValue() == 0 ? out : null;
    }
}
