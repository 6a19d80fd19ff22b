package org.jvisor.vmm.fdt;

import org.jvisor.testing.NeedsDtc;
import org.jvisor.testing.NeedsQemu;
import org.jvisor.vmm.BoardDescription;
import org.jvisor.vmm.Dtc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jvisor.cpu.QemuVirt;
import org.jvisor.vmm.BoardDescription.Device;
import org.jvisor.vmm.BoardDescription.Initrd;
import org.jvisor.vmm.BoardDescription.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The virt board's tree read back by dtc, and compared node by node with the tree QEMU's own virt board
 * dumps for the same configuration ({@code -M virt,dumpdtb=...}): every difference is listed here.
 */
@NeedsDtc
class VirtDeviceTreeTest {
    private static final long RAM = 512L << 20;
    @TempDir Path dir;

    private Map<String, Map<String, String>> tree(BoardDescription b) throws Exception {
        Path dtb = Files.createTempFile(dir, "jvisor", ".dtb");
        Files.write(dtb, VirtDeviceTree.build(b));
        Dtc.Result r = Dtc.decompile(dtb);
        assertEquals("", r.err(), "dtc warnings");
        return Dtc.parse(r.out());
    }

    /** QEMU's tree for the same machine; {@code kernel} and the rest optional. */
    private Map<String, Map<String, String>> qemuTree(int gic, int cpus, String... extra) throws Exception {
        return qemuTree("virt,gic-version=" + gic, cpus, extra);
    }

    private Map<String, Map<String, String>> qemuTree(String machine, int cpus, String... extra) throws Exception {
        Path dtb = Files.createTempFile(dir, "qemu", ".dtb");
        List<String> options = new ArrayList<>(List.of("-m", (RAM >> 20) + "M", "-smp", String.valueOf(cpus)));
        options.addAll(List.of(extra));
        QemuVirt.dumpDtb(dtb, machine, options.toArray(String[]::new));
        return Dtc.parse(Dtc.decompile(dtb).out());
    }

    private static BigInteger number(String cells) {
        BigInteger v = BigInteger.ZERO;
        for (String c : cells.replaceAll("[<>]", "").trim().split("\\s+")) v = v.shiftLeft(32).or(new BigInteger(c.substring(2), 16));
        return v;
    }

    /** QEMU nodes this board leaves out on purpose (VirtDeviceTree's class comment says why). */
    private static boolean omitted(String path) {
        return path.startsWith("/flash@") || path.startsWith("/fw-cfg@") || path.startsWith("/pl061@")
                || path.startsWith("/gpio-keys") || path.startsWith("/pcie@") || path.startsWith("/platform-bus@")
                || path.startsWith("/intc@8000000/") || path.startsWith("/cpus/cpu-map");
    }

    /** QEMU properties left out: PSCI 0.1 function IDs, the GIC's child addressing, the seeds (an option here). */
    private static final Set<String> OMITTED_PROPERTIES = Set.of("/psci migrate", "/psci cpu_on", "/psci cpu_off",
            "/psci cpu_suspend", "/intc@8000000 ranges", "/intc@8000000 #size-cells", "/chosen rng-seed", "/chosen kaslr-seed");

    private void compareWithQemu(BoardDescription b, Map<String, Map<String, String>> q) throws Exception {
        Map<String, Map<String, String>> ours = tree(b);
        Set<String> backed = new HashSet<>();
        for (Device v : b.virtio()) backed.add("/virtio_mmio@" + Long.toHexString(v.base()));
        for (var e : q.entrySet()) {
            String path = e.getKey();
            if (omitted(path)) continue;
            if (path.startsWith("/virtio_mmio@") && !backed.contains(path)) {
                assertFalse(ours.containsKey(path), "no node for the empty transport " + path);
                continue;
            }
            Map<String, String> mine = ours.get(path);
            if (mine == null) fail("QEMU has " + path + ", jvisor does not");
            for (var prop : e.getValue().entrySet()) {
                String key = path + " " + prop.getKey();
                if (OMITTED_PROPERTIES.contains(key)) continue;
                String theirs = prop.getValue(), value = mine.get(prop.getKey());
                if (value == null) fail("QEMU's " + key + " = " + theirs + " is missing");
                switch (key) {
                    // "arm,psci" (0.1) dropped from the end of the list: the hypervisor implements 1.1.
                    case "/psci compatible" -> assertEquals(value.substring(0, value.length() - 1) + "\\0arm,psci\"", theirs, key);
                    // Cell width: QEMU 7.2 writes one cell, jvisor two (the root's #address-cells); the same address.
                    case "/chosen linux,initrd-start", "/chosen linux,initrd-end" -> assertEquals(number(theirs), number(value), key);
                    // No child nodes under the GIC, so no child address cells (QEMU's 2 serve its v2m/ITS frame).
                    case "/intc@8000000 #address-cells" -> assertEquals("<0x00>", value);
                    case "/intc@8000000 reg" -> {
                        if (b.gic().version() == 2) assertEquals(theirs, value, key);
                        else {
                            // QEMU's first redistributor region covers 123 CPUs; jvisor's exactly the CPUs it has.
                            String[] t = theirs.replaceAll("[<>]", "").split(" "), m = value.replaceAll("[<>]", "").split(" ");
                            assertEquals(List.of(t).subList(0, 7), List.of(m).subList(0, 7), key);
                            assertEquals(b.cpus() * 0x20000L, Long.decode(m[7]), key);
                        }
                    }
                    default -> assertEquals(theirs, value, key);
                }
            }
            for (String prop : mine.keySet()) {
                // QEMU names no enable-method for a lone CPU (there is nothing to start); jvisor always does.
                if (b.cpus() == 1 && prop.equals("enable-method")) continue;
                if (!e.getValue().containsKey(prop)) fail("jvisor has " + path + " " + prop + " that QEMU does not");
            }
        }
        for (String path : ours.keySet()) {
            boolean extra = path.equals("/aliases") || path.startsWith("/hide-seek@");
            assertTrue(q.containsKey(path) || extra, "jvisor has " + path + " that QEMU does not");
        }
    }

    @NeedsQemu
    @Test
    void gicV2TwoCpusMatchesQemu() throws Exception {
        compareWithQemu(BoardDescription.virt(RAM, 2, 2).withPmu(true), qemuTree(2, 2));
    }

    @NeedsQemu
    @Test
    void gicV3FourCpusWithVirtioMatchesQemu() throws Exception {
        BoardDescription b = BoardDescription.virt(RAM, 4, 3).withPmu(true)
                .withVirtio(BoardDescription.virtioSlot(31)).withVirtio(BoardDescription.virtioSlot(0));
        compareWithQemu(b, qemuTree(3, 4));
    }

    /** With EL2 the guest's: PSCI over SMC, and the GICv3 node names its maintenance interrupt (PPI 9), as QEMU's does. */
    @NeedsQemu
    @Test
    void gicV3VirtualizationOnMatchesQemu() throws Exception {
        BoardDescription b = BoardDescription.virt(RAM, 2, 3).withPmu(true).withGuestOwningEl2(true);
        Map<String, Map<String, String>> q = qemuTree("virt,virtualization=on,gic-version=3", 2);
        assertEquals("<0x01 0x09 0x04>", q.get("/intc@8000000").get("interrupts"));
        compareWithQemu(b, q);
    }

    /** QEMU's default GIC with EL2 the guest's: a GICv2 with the virtualization extensions' frames and maintenance interrupt. */
    @NeedsQemu
    @Test
    void gicV2VirtualizationOnMatchesQemu() throws Exception {
        BoardDescription b = BoardDescription.virt(RAM, 2, 2).withPmu(true).withGuestOwningEl2(true);
        Map<String, Map<String, String>> q = qemuTree("virt,virtualization=on", 2);
        assertEquals("<0x01 0x09 0x04>", q.get("/intc@8000000").get("interrupts"));
        assertEquals("<0x00 0x8000000 0x00 0x10000 0x00 0x8010000 0x00 0x10000 0x00 0x8030000 0x00 0x10000 0x00 0x8040000 0x00 0x10000>",
                q.get("/intc@8000000").get("reg"));
        compareWithQemu(b, q);
    }

    @NeedsQemu
    @Test
    void chosenMatchesQemuForTheSameKernelInitrdAndCommandLine() throws Exception {
        // A synthetic Image (header only) and a 300 KiB initrd: QEMU writes their placement into /chosen.
        ByteBuffer img = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        img.putInt(0, 0x14000000).putLong(16, 0x10_0000).putLong(24, 0xa).putInt(0x38, 0x644d5241);
        Path kernel = dir.resolve("Image"), initrd = dir.resolve("initrd");
        Files.write(kernel, img.array());
        Files.write(initrd, new byte[300 << 10]);
        String args = "console=ttyAMA0 root=/dev/vda rw";
        Map<String, Map<String, String>> q = qemuTree(2, 1, "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", args);
        Map<String, String> chosen = q.get("/chosen");
        Initrd range = new Initrd(number(chosen.get("linux,initrd-start")).longValue(), number(chosen.get("linux,initrd-end")).longValue());
        compareWithQemu(BoardDescription.virt(RAM, 1, 2).withPmu(true).withBootargs(args).withInitrd(range), q);
    }

    @Test
    void smpCpusAndTimerMask() throws Exception {
        for (int n : new int[] {1, 3, 8}) {
            Map<String, Map<String, String>> t = tree(BoardDescription.virt(RAM, n, 2));
            for (int i = 0; i < n; i++) {
                Map<String, String> cpu = t.get("/cpus/cpu@" + i);
                assertEquals("<" + String.format("0x%02x", i) + ">", cpu.get("reg"));
                assertEquals("\"psci\"", cpu.get("enable-method"));
                assertEquals("\"cpu\"", cpu.get("device_type"));
                assertEquals("\"arm,cortex-a57\"", cpu.get("compatible"));
            }
            assertNull(t.get("/cpus/cpu@" + n));
            // GICv2: PPI flags carry the mask of the CPUs the PPI reaches in bits [15:8] (arm,gic.yaml).
            String f = "0x" + Integer.toHexString((1 << n) - 1) + "04";
            assertEquals("<0x01 0x0d " + f + " 0x01 0x0e " + f + " 0x01 0x0b " + f + " 0x01 0x0a " + f + ">", t.get("/timer").get("interrupts"));
        }
        Map<String, Map<String, String>> v3 = tree(BoardDescription.virt(RAM, 16, 3));
        assertEquals("<0x0f>", v3.get("/cpus/cpu@f").get("reg"));
        assertEquals("<0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>", v3.get("/timer").get("interrupts"));
        assertEquals("<0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x200000>", v3.get("/intc@8000000").get("reg"));
        assertThrows(IllegalArgumentException.class, () -> BoardDescription.virt(RAM, 9, 2));
        assertThrows(IllegalArgumentException.class, () -> BoardDescription.virt(RAM, 17, 3));
        assertThrows(IllegalArgumentException.class, () -> BoardDescription.virt(RAM, 0, 3));
    }

    @Test
    void onlyBackedVirtioTransports() throws Exception {
        Map<String, Map<String, String>> none = tree(BoardDescription.virt(RAM, 1, 2));
        assertTrue(none.keySet().stream().noneMatch(p -> p.contains("virtio")), none.keySet().toString());
        Map<String, Map<String, String>> two = tree(BoardDescription.virt(RAM, 1, 2)
                .withVirtio(BoardDescription.virtioSlot(0)).withVirtio(BoardDescription.virtioSlot(5)));
        assertEquals(List.of("/virtio_mmio@a000000", "/virtio_mmio@a000a00"),
                two.keySet().stream().filter(p -> p.contains("virtio")).toList());
        Map<String, String> v = two.get("/virtio_mmio@a000a00");
        assertEquals("<0x00 0x15 0x01>", v.get("interrupts"), "SPI 21, edge rising");
        assertEquals("<0x00 0xa000a00 0x00 0x200>", v.get("reg"));
        assertEquals("", v.get("dma-coherent"));
    }

    @Test
    void chosenHasInitrdAndSeedsOnlyWhenGiven() throws Exception {
        Map<String, String> plain = tree(BoardDescription.virt(RAM, 1, 2)).get("/chosen");
        assertEquals(Map.of("stdout-path", "\"/pl011@9000000\""), plain, "no bootargs, initrd or seeds unless asked");
        byte[] rng = new byte[32];
        for (int i = 0; i < 32; i++) rng[i] = (byte) i;
        Map<String, Map<String, String>> t = tree(BoardDescription.virt(RAM, 1, 2).withBootargs("console=ttyAMA0")
                .withInitrd(new Initrd(0x4220_0000L, 0x4230_1000L)).withSeeds(new Seeds(0x0123456789abcdefL, rng)));
        Map<String, String> c = t.get("/chosen");
        assertEquals("\"console=ttyAMA0\"", c.get("bootargs"));
        assertEquals("<0x00 0x42200000>", c.get("linux,initrd-start"));
        assertEquals("<0x00 0x42301000>", c.get("linux,initrd-end"));
        assertEquals("<0x1234567 0x89abcdef>", c.get("kaslr-seed"));
        List<String> cells = new ArrayList<>();
        for (int i = 0; i < 32; i += 4) cells.add(String.format("0x%02x", ByteBuffer.wrap(rng).getInt(i)));
        assertEquals("<" + String.join(" ", cells) + ">", c.get("rng-seed"));
        assertEquals("\"/pl011@9000000\"", t.get("/aliases").get("serial0"));
        assertEquals("<0x00 0x40000000 0x00 0x20000000>", t.get("/memory@40000000").get("reg"));
    }

    @Test
    void hideSeekDeviceWhenPresent() throws Exception {
        Map<String, Map<String, String>> t = tree(BoardDescription.virt(RAM, 1, 3).withHideSeek());
        Map<String, String> h = t.get("/hide-seek@b000000");
        assertEquals("\"jvisor,hide-seek\"", h.get("compatible"));
        assertEquals("<0x00 0xb000000 0x00 0x03>", h.get("reg"));
        assertNull(h.get("interrupts"));
        assertTrue(tree(BoardDescription.virt(RAM, 1, 3)).keySet().stream().noneMatch(p -> p.contains("hide-seek")));
    }

    @Test
    void hideSeekReservesThePageWhoseDescriptorHoldsTheByte() throws Exception {
        Path dtb = Files.createTempFile(dir, "jvisor", ".dtb");
        Files.write(dtb, VirtDeviceTree.build(BoardDescription.virt(RAM, 1, 3).withHideSeek()));
        assertTrue(Dtc.decompile(dtb).out().contains("/memreserve/\t0x0000000040000000 0x0000000000001000;"), Dtc.decompile(dtb).out());
        Files.write(dtb, VirtDeviceTree.build(BoardDescription.virt(RAM, 1, 3)));
        assertFalse(Dtc.decompile(dtb).out().contains("/memreserve/"), "QEMU's virt reserves nothing");
    }
}
