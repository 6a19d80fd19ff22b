package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsDtc;
import org.jvisor.testing.NeedsQemu;

/**
 * -drive, -device and -nodefaults: which virtio-mmio transports the device tree lists (read back with
 * fdtget), and what a guest finds behind each (read with the registers the virtio 1.2 spec defines for
 * virtio-mmio, section 4.2.2).
 */
@NeedsCross
@NeedsDtc
class VirtioOptionsTest {
    /**
     * Reads the virtio-mmio registers at {@code base}: MagicValue, Version, DeviceID, DeviceFeatures bits
     * 0-31 (after writing DeviceFeaturesSel 0), and the first word of the device's configuration (for a
     * block device, the low word of its capacity in 512-byte sectors); prints them in hex, powers off.
     */
    static String probe(long base) {
        return """
                ldr x1, base
                movz x2, #0x0900, lsl #16
                ldr w0, [x1, #0x000]
                bl hex
                ldr w0, [x1, #0x004]
                bl hex
                ldr w0, [x1, #0x008]
                bl hex
                str wzr, [x1, #0x014]
                ldr w0, [x1, #0x010]
                bl hex
                ldr w0, [x1, #0x100]
                bl hex
                mov w4, #10
                str w4, [x2]
                movz x0, #0x0008
                movk x0, #0x8400, lsl #16
                hvc #0
                b .
            hex: mov w8, #28
            1:  lsr w4, w0, w8
                and w4, w4, #0xf
                cmp w4, #10
                add w5, w4, #'0'
                add w4, w4, #'a' - 10
                csel w4, w5, w4, lo
                str w4, [x2]
                subs w8, w8, #4
                b.pl 1b
                mov w4, #0x20
                str w4, [x2]
                ret
                .balign 8
            base: .quad %#x
            """.formatted(base);
    }

    /** The unit addresses of the device tree's virtio_mmio nodes, as fdtget lists the root's subnodes. */
    static List<Long> virtioNodes(Path dtb) throws IOException, InterruptedException {
        List<Long> nodes = new ArrayList<>();
        for (String n : fdtget("-l", dtb.toString(), "/").lines().toList())
            if (n.startsWith("virtio_mmio@")) nodes.add(Long.parseLong(n.substring("virtio_mmio@".length()), 16));
        return nodes;
    }

    static String fdtget(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("fdtget"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), cmd + ": " + out);
        return out;
    }

    /** The board's device tree with {@code options}, written through -M virt,dumpdtb=FILE. */
    static Path dtb(Path dir, Path kernel, String name, String... options) {
        Path file = dir.resolve(name + ".dtb");
        List<String> args = new ArrayList<>(List.of("run", "-kernel", kernel.toString(), "-m", "64M", "-M", "virt,dumpdtb=" + file));
        args.addAll(List.of(options));
        RunCommandTest.Result r = RunCommandTest.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), name + ": " + r.err());
        assertEquals("", r.out() + r.err(), name);
        return file;
    }

    static final int ID_BLOCK = 2, ID_CONSOLE = 3, ID_ENTROPY = 4; // virtio 1.2 section 5

    /** The device IDs behind each transport the device tree lists, read by a guest, in address order. */
    static List<Integer> deviceIds(Path dir, Path dtb, String... options) throws Exception {
        List<Integer> ids = new ArrayList<>();
        for (long base : virtioNodes(dtb)) ids.add((int) Long.parseLong(probeAt(dir, base, options)[2], 16));
        return ids;
    }

    /** The probe's five words at {@code base}, run with {@code options}. */
    static String[] probeAt(Path dir, long base, String... options) throws IOException {
        Path p = Files.write(dir.resolve("probe.bin"), Asm.assemble(probe(base), 0x4008_0000L));
        List<String> args = new ArrayList<>(List.of("run", "-kernel", p.toString(), "-m", "64M"));
        args.addAll(List.of(options));
        args.addAll(List.of("-serial", "stdio")); // as QEMU, -nodefaults leaves the serial port unconnected unless named
        RunCommandTest.Result r = RunCommandTest.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        String[] w = r.out().strip().split(" ");
        assertEquals(5, w.length, r.out());
        assertEquals("74726976", w[0], "MagicValue 'virt'");
        assertEquals("00000002", w[1], "Version 2 (virtio 1.x)");
        return w;
    }

    @Test
    void nodefaultsDropsTheEntropyDeviceAndConsoleAndDeviceBringsThemBack(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        Path usual = dtb(dir, kernel, "usual");
        assertEquals(List.of(ID_ENTROPY, ID_CONSOLE), deviceIds(dir, usual));
        assertEquals(List.of(), virtioNodes(dtb(dir, kernel, "none", "-nodefaults")));
        String[] rng = {"-nodefaults", "-device", "virtio-rng-device"};
        assertEquals(List.of(ID_ENTROPY), deviceIds(dir, dtb(dir, kernel, "rng", rng), rng));
        String[] console = {"-nodefaults", "-device", "virtio-serial-device", "-device", "virtconsole"};
        assertEquals(List.of(ID_CONSOLE), deviceIds(dir, dtb(dir, kernel, "console", console), console));
        // Naming the defaults gives the usual board, byte for byte; naming them without -nodefaults adds nothing.
        Path named = dtb(dir, kernel, "named", "-nodefaults", "-serial", "mon:stdio", "-device", "virtio-serial-device",
                "-device", "virtconsole", "-device", "virtio-rng-device");
        assertArrayEquals(Files.readAllBytes(usual), Files.readAllBytes(named));
        assertArrayEquals(Files.readAllBytes(usual), Files.readAllBytes(dtb(dir, kernel, "again", "-device", "virtio-rng-device")));
    }

    /** -drive if=none,id=ID with -device virtio-blk-device,drive=ID: a block device whose capacity is the image's. */
    @Test
    void aDriveWithoutInterfaceBecomesADiskThroughDevice(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        Path image = dir.resolve("disk.img");
        Files.write(image, new byte[(1 << 20) + 4096]);
        for (boolean readOnly : List.of(false, true)) {
            String[] options = {"-nodefaults", "-drive", "if=none,id=d0,format=raw,file=" + image + (readOnly ? ",readonly=on" : ""),
                "-device", "virtio-blk-device,drive=d0"};
            List<Long> nodes = virtioNodes(dtb(dir, kernel, "disk", options));
            assertEquals(1, nodes.size(), nodes.toString());
            String[] w = probeAt(dir, nodes.get(0), options);
            assertEquals(ID_BLOCK, Integer.parseInt(w[2], 16));
            assertEquals(Files.size(image) / 512, Long.parseLong(w[4], 16), "capacity in sectors");
            assertEquals(readOnly, (Long.parseLong(w[3], 16) & (1L << 5)) != 0, "VIRTIO_BLK_F_RO");
        }
        // if=virtio drives come first, then the -device ones, then the defaults.
        Path other = Files.write(dir.resolve("other.img"), new byte[8192]);
        String[] mixed = {"-drive", "if=none,id=d0,format=raw,file=" + image, "-device", "virtio-blk-device,drive=d0",
            "-drive", "file=" + other + ",format=raw,if=virtio"};
        Path dtb = dtb(dir, kernel, "mixed", mixed);
        assertEquals(List.of(ID_BLOCK, ID_BLOCK, ID_ENTROPY, ID_CONSOLE), deviceIds(dir, dtb, mixed));
        assertEquals(Files.size(other) / 512, Long.parseLong(probeAt(dir, virtioNodes(dtb).get(0), mixed)[4], 16));
    }

    /** -M virt,dumpdtb=FILE (QEMU's) writes what --dump-dtb writes: a blob dtc reads, with the command line in /chosen. */
    @Test
    void dumpdtbAndDumpDtbWriteTheSameBlob(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        Path machine = dtb(dir, kernel, "machine", "-append", "console=ttyAMA0 quiet", "-smp", "2");
        Path option = dir.resolve("option.dtb");
        RunCommandTest.Result r = RunCommandTest.run("run", "-kernel", kernel.toString(), "-m", "64M", "-append", "console=ttyAMA0 quiet",
                "-smp", "2", "--dump-dtb", option.toString());
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(Files.readAllBytes(option), Files.readAllBytes(machine));
        assertEquals("console=ttyAMA0 quiet\n", fdtget(machine.toString(), "/chosen", "bootargs"));
        Process dtc = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dts", machine.toString()).redirectErrorStream(true).start();
        String dts = new String(dtc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, dtc.waitFor(), dts);
        assertTrue(dts.contains("cpu@1"), dts);
    }

    @Test
    void wrongDevicesAndDrivesGetOneClearLine(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        String img = Files.write(dir.resolve("d.img"), new byte[4096]).toString();
        String none = "if=none,id=d0,format=raw,file=" + img;
        String[][] cases = {
            {"drive=ID is required", "-device", "virtio-blk-device"},
            {"no unused -drive if=none,id=d1", "-drive", none, "-device", "virtio-blk-device,drive=d1"},
            {"no unused -drive if=none,id=d0", "-drive", none, "-device", "virtio-blk-device,drive=d0", "-device", "virtio-blk-device,drive=d0"},
            {"-device e1000: not a device jvisor has", "-device", "e1000"},
            {"needs -device virtio-serial-device", "-nodefaults", "-device", "virtconsole"},
            {"add -device virtconsole", "-nodefaults", "-device", "virtio-serial-device"},
            {"at most one", "-device", "virtio-rng-device", "-device", "virtio-rng-device"},
            {"unknown property 'chardev'", "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0"},
            {"if=none needs id=ID", "-drive", "if=none,format=raw,file=" + img},
            {"if=virtio or if=none", "-drive", "if=scsi,format=raw,file=" + img},
            {"given to two drives", "-drive", none, "-drive", none},
            {"-M dumpdtb= and --dump-dtb", "-M", "virt,dumpdtb=" + dir.resolve("a"), "--dump-dtb", dir.resolve("b").toString()},
            {"dumpdtb needs a file name", "-M", "virt,dumpdtb="},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("run", "-kernel", kernel.toString(), "-m", "64M"));
            args.addAll(List.of(c).subList(1, c.length));
            RunCommandTest.Result r = RunCommandTest.run(args.toArray(String[]::new));
            assertEquals(2, r.status(), c[0] + ": " + r.err());
            assertEquals("", r.out(), c[0]);
            assertTrue(r.err().startsWith("jvisor: ") && r.err().contains(c[0]) && r.err().lines().count() == 1, c[0] + ": " + r.err());
        }
    }

    /** -device help lists what jvisor has with QEMU's own line for each (name, bus), under QEMU's categories. */
    @NeedsQemu
    @Test
    void deviceHelpListsTheDevicesAsQemuDoes(@TempDir Path dir) throws Exception {
        RunCommandTest.Result r = RunCommandTest.run("run", "-device", "help");
        assertEquals(0, r.status(), r.err());
        RunCommandTest.Result q = Processes.run(List.of("qemu-system-aarch64", "-M", "virt", "-device", "help"), java.util.Map.of(), null);
        assertEquals(0, q.status(), q.err());
        List<String> qemuLines = q.out().lines().toList();
        int names = 0;
        for (String line : r.out().lines().toList()) {
            if (line.isBlank()) continue;
            if (line.endsWith(":")) {
                assertTrue(qemuLines.contains(line), "category " + line);
                continue;
            }
            String nameAndBus = line.replaceFirst(", desc \".*\"$", "");
            assertTrue(qemuLines.stream().anyMatch(l -> l.equals(nameAndBus) || l.startsWith(nameAndBus + ",")), line);
            names++;
        }
        assertEquals(5, names, r.out());
    }
}
