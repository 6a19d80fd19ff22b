package org.jvisor.vmm;

import org.jvisor.guest.Apt;
import org.jvisor.guest.DefaultGuest;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * guest/virt_walker/build.sh builds the hide/seek guest module against Debian's headers for the default
 * guest's kernel (downloading them with apt-get the first time, then from the user's cache). Checked
 * the way the kernel's module loader checks: an AArch64 relocatable ELF, vermagic as Linux's
 * include/linux/vermagic.h composes it from the kernel's release and configuration, and every symbol
 * version in __versions equal to the CRC the kernel exports (Module.symvers), which insmod compares
 * under CONFIG_MODVERSIONS.
 */
class VirtWalkerModuleTest {
    static final Path SCRIPT = Path.of("guest/virt_walker/build.sh");

    record Built(Path ko, Path headers, String output) {}

    /** Runs the build script into {@code out}. */
    static Built build(Path out) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), out.toString()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "build.sh finished");
        assertEquals(0, p.exitValue(), text);
        Path ko = null, headers = null;
        for (String line : text.split("\n")) {
            if (line.startsWith("module: ")) ko = Path.of(line.substring(8));
            if (line.startsWith("headers: ")) headers = Path.of(line.substring(9));
        }
        assertNotNull(ko, text);
        assertNotNull(headers, text);
        return new Built(ko, headers, text);
    }

    @Test
    void buildsAModuleTheDefaultGuestsKernelAccepts(@TempDir Path out) throws Exception {
        Built b = build(out);
        assertEquals(out.resolve("virt_walker.ko"), b.ko());
        Elf elf = new Elf(Files.readAllBytes(b.ko()));
        assertEquals(1, elf.type, "ET_REL");
        assertEquals(183, elf.machine, "EM_AARCH64");

        Map<String, String> modinfo = new HashMap<>();
        for (String s : new String(elf.section(".modinfo"), StandardCharsets.ISO_8859_1).split("\0")) {
            int eq = s.indexOf('=');
            if (eq > 0) modinfo.putIfAbsent(s.substring(0, eq), s.substring(eq + 1));
        }
        assertEquals("GPL", modinfo.get("license"));
        assertEquals("virt_walker", modinfo.get("name"));

        Map<String, String> config = kernelConfig(b.headers().resolve(".config"));
        String release = Files.readString(b.headers().resolve("include/generated/utsrelease.h"))
                .replaceAll("(?s).*UTS_RELEASE \"([^\"]+)\".*", "$1");
        assertEquals(defaultGuestRelease(), release, "the headers are those of the kernel the default guest runs");
        // include/linux/vermagic.h: release, then SMP, preempt, mod_unload, modversions, the arch's part
        String expected = release + " " + (config.containsKey("CONFIG_SMP") ? "SMP " : "")
                + (config.containsKey("CONFIG_PREEMPT_BUILD") ? "preempt " : config.containsKey("CONFIG_PREEMPT_RT") ? "preempt_rt " : "")
                + (config.containsKey("CONFIG_MODULE_UNLOAD") ? "mod_unload " : "")
                + (config.containsKey("CONFIG_MODVERSIONS") ? "modversions " : "") + "aarch64";
        assertEquals(expected, modinfo.get("vermagic"));

        Map<String, Long> exported = new HashMap<>();
        for (String line : Files.readAllLines(b.headers().resolve("Module.symvers"))) {
            String[] f = line.split("\t");
            if (f.length >= 2) exported.put(f[1], Long.decode(f[0]));
        }
        // struct modversion_info: an unsigned long CRC and a 56-byte name, per symbol the module uses
        ByteBuffer v = ByteBuffer.wrap(elf.section("__versions")).order(ByteOrder.LITTLE_ENDIAN);
        List<String> used = new ArrayList<>();
        while (v.remaining() >= 64) {
            long crc = v.getLong();
            byte[] name = new byte[56];
            v.get(name);
            String sym = new String(name, StandardCharsets.ISO_8859_1).replaceAll("\0.*", "");
            used.add(sym);
            assertEquals(exported.get(sym), crc & 0xffffffffL, "CRC of " + sym);
        }
        assertTrue(used.containsAll(List.of("misc_register", "misc_deregister", "module_layout")), used.toString());
    }

    /** The release of the kernel the default guest runs, as {@link DefaultGuest} chooses its package. */
    static String defaultGuestRelease() throws IOException {
        String pkg = Apt.system().kernelPackage();
        return pkg.replaceFirst("^linux-image-", "").replaceFirst("-unsigned$", "");
    }

    static Map<String, String> kernelConfig(Path file) throws IOException {
        Map<String, String> config = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (line.startsWith("CONFIG_") && eq > 0 && !line.endsWith("=n")) config.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return config;
    }

    /** Just enough of an ELF64 little-endian file: its type, machine and sections by name. */
    static final class Elf {
        final int type, machine;
        private final ByteBuffer b;
        private final Map<String, byte[]> sections = new HashMap<>();

        Elf(byte[] file) {
            b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0x464c457f, b.getInt(0), "ELF magic");
            assertEquals(2, file[4], "ELFCLASS64");
            assertEquals(1, file[5], "little-endian");
            type = b.getShort(16) & 0xffff;
            machine = b.getShort(18) & 0xffff;
            long shoff = b.getLong(0x28);
            int shentsize = b.getShort(0x3a) & 0xffff, shnum = b.getShort(0x3c) & 0xffff, shstrndx = b.getShort(0x3e) & 0xffff;
            long strOff = b.getLong((int) (shoff + (long) shstrndx * shentsize + 0x18));
            for (int i = 0; i < shnum; i++) {
                int h = (int) (shoff + (long) i * shentsize);
                int nameOff = b.getInt(h);
                long off = b.getLong(h + 0x18), size = b.getLong(h + 0x20);
                StringBuilder name = new StringBuilder();
                for (int k = (int) (strOff + nameOff); file[k] != 0; k++) name.append((char) file[k]);
                if (b.getInt(h + 4) != 8) // SHT_NOBITS has no bytes in the file
                    sections.put(name.toString(), java.util.Arrays.copyOfRange(file, (int) off, (int) (off + size)));
            }
        }

        byte[] section(String name) {
            byte[] s = sections.get(name);
            assertNotNull(s, "section " + name);
            return s;
        }
    }
}
