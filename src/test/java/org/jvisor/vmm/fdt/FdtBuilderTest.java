package org.jvisor.vmm.fdt;

import org.jvisor.vmm.Dtc;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The builder's blobs read back by dtc and fdtget (DTSpec v0.4 chapter 5 is the reference for the header). */
class FdtBuilderTest {
    @TempDir Path dir;

    private static int be32(byte[] b, int off) {
        return ByteBuffer.wrap(b).getInt(off);
    }

    private static byte[] sample() {
        FdtBuilder f = new FdtBuilder();
        int ph = f.allocatePhandle();
        f.beginNode("");
        f.property("#address-cells", 2).property("#size-cells", 2);
        f.property("compatible", "acme,board");
        f.property("interrupt-parent", ph);
        f.beginNode("dev@1000");
        f.property("compatible", "acme,dev", "acme,generic");
        f.propertyU64("reg", 0x1000, 0x100);
        f.property("one", new byte[] {0x11});
        f.property("two", new byte[] {0x21, 0x22});
        f.property("three", new byte[] {0x31, 0x32, 0x33});
        f.property("five", new byte[] {1, 2, 3, 4, 5});
        f.property("empty");
        f.property("s", "x");
        f.property("big", 0xdeadbeef, 0x7fffffff, 0);
        f.propertyU64("wide", 0x1122334455667788L);
        f.endNode();
        f.beginNode("ic");
        f.property("compatible", "acme,ic");
        f.property("interrupt-controller");
        f.property("#interrupt-cells", 1);
        f.property("#address-cells", 0);
        f.phandle(ph);
        f.beginNode("child").property("three", new byte[] {9, 9, 9}).endNode();
        f.endNode();
        f.endNode();
        f.reserveMemory(0x4000_0000L, 0x1000);
        f.bootCpuidPhys(3);
        return f.finish();
    }

    @Test
    void headerFollowsDtspec() {
        byte[] b = sample();
        assertEquals(0xd00dfeed, be32(b, 0), "magic");
        assertEquals(b.length, be32(b, 4), "totalsize");
        int offStruct = be32(b, 8), offStrings = be32(b, 12), offRsv = be32(b, 16);
        assertEquals(17, be32(b, 20), "version");
        assertEquals(16, be32(b, 24), "last_comp_version");
        assertEquals(3, be32(b, 28), "boot_cpuid_phys");
        int sizeStrings = be32(b, 32), sizeStruct = be32(b, 36);
        assertEquals(0, offRsv % 8, "the reservation block is 8-byte aligned");
        assertEquals(0, offStruct % 4, "the structure block is 4-byte aligned");
        assertTrue(offRsv >= 40 && offStruct >= offRsv + 32, "one reservation and the terminator before the structure block");
        assertEquals(0x4000_0000L, ByteBuffer.wrap(b).getLong(offRsv));
        assertEquals(0x1000L, ByteBuffer.wrap(b).getLong(offRsv + 8));
        assertEquals(0L, ByteBuffer.wrap(b).getLong(offRsv + 16));
        assertEquals(0L, ByteBuffer.wrap(b).getLong(offRsv + 24));
        assertEquals(1, be32(b, offStruct), "FDT_BEGIN_NODE of the root");
        assertEquals(9, be32(b, offStruct + sizeStruct - 4), "FDT_END closes the structure block");
        assertTrue(offStrings >= offStruct + sizeStruct);
        assertTrue(offStrings + sizeStrings <= b.length);
    }

    @Test
    void stringsAreStoredOnce() {
        byte[] b = sample();
        String strings = new String(b, be32(b, 12), be32(b, 32), StandardCharsets.ISO_8859_1);
        List<String> names = List.of(strings.split("\0"));
        assertEquals(names.size(), names.stream().distinct().count(), "each name once: " + names);
        assertTrue(names.containsAll(List.of("compatible", "three", "#address-cells", "phandle")));
    }

    @Test
    void dtcReadsEveryPropertyBackWithItsBytes() throws Exception {
        Path dtb = dir.resolve("t.dtb");
        Files.write(dtb, sample());
        Dtc.Result dts = Dtc.decompile(dtb);
        assertEquals("", dts.err(), "dtc warnings");
        assertTrue(dts.out().contains("/memreserve/\t0x0000000040000000 0x0000000000001000;"), dts.out());
        // Through DTS source and back to a blob by dtc alone: the values survive both directions.
        Path src = dir.resolve("t.dts");
        Files.writeString(src, dts.out());
        Path again = dir.resolve("again.dtb");
        Dtc.run(List.of("dtc", "-I", "dts", "-O", "dtb", "-o", again.toString(), src.toString()));
        for (Path p : List.of(dtb, again)) {
            assertArrayEquals(new byte[] {0x11}, Dtc.bytes(p, "/dev@1000", "one"));
            assertArrayEquals(new byte[] {0x21, 0x22}, Dtc.bytes(p, "/dev@1000", "two"));
            assertArrayEquals(new byte[] {0x31, 0x32, 0x33}, Dtc.bytes(p, "/dev@1000", "three"));
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, Dtc.bytes(p, "/dev@1000", "five"));
            assertArrayEquals(new byte[0], Dtc.bytes(p, "/dev@1000", "empty"));
            assertArrayEquals(new byte[] {'x', 0}, Dtc.bytes(p, "/dev@1000", "s"));
            assertArrayEquals(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x7f, -1, -1, -1, 0, 0, 0, 0},
                    Dtc.bytes(p, "/dev@1000", "big"));
            assertArrayEquals(new byte[] {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (byte) 0x88}, Dtc.bytes(p, "/dev@1000", "wide"));
            assertArrayEquals(new byte[] {9, 9, 9}, Dtc.bytes(p, "/ic/child", "three"));
            assertArrayEquals("acme,dev\0acme,generic\0".getBytes(StandardCharsets.US_ASCII), Dtc.bytes(p, "/dev@1000", "compatible"));
            assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0}, Dtc.bytes(p, "/dev@1000", "reg"));
        }
        Map<String, Map<String, String>> tree = Dtc.parse(dts.out());
        assertEquals("/ic", tree.get("/").get("interrupt-parent"), "the phandle reference resolves to the node declaring it");
        assertEquals(List.of("/", "/dev@1000", "/ic", "/ic/child"), List.copyOf(tree.keySet()));
    }

    @Test
    void misuseIsRefused() {
        assertThrows(IllegalStateException.class, () -> new FdtBuilder().property("x", 1), "property outside a node");
        assertThrows(IllegalStateException.class, () -> new FdtBuilder().endNode(), "endNode without beginNode");
        assertThrows(IllegalStateException.class, () -> new FdtBuilder().beginNode("dev"), "the root must be named \"\"");
        assertThrows(IllegalStateException.class, () -> new FdtBuilder().finish(), "no root");
        assertThrows(IllegalStateException.class, () -> new FdtBuilder().beginNode("").finish(), "root still open");
        assertThrows(IllegalStateException.class, () -> new FdtBuilder().beginNode("").endNode().beginNode(""), "a second root");
        assertThrows(IllegalStateException.class,
                () -> new FdtBuilder().beginNode("").beginNode("a").endNode().property("late", 1), "property after a child");
        assertThrows(IllegalStateException.class, () -> new FdtBuilder().beginNode("").property("p", 1).property("p", 2), "repeated property");
        assertThrows(IllegalStateException.class,
                () -> new FdtBuilder().beginNode("").beginNode("a").endNode().beginNode("a"), "repeated sibling name");
        FdtBuilder done = new FdtBuilder().beginNode("").endNode();
        done.finish();
        assertThrows(IllegalStateException.class, done::finish, "finish twice");
        assertThrows(IllegalStateException.class, () -> done.beginNode(""), "use after finish");
        FdtBuilder dangling = new FdtBuilder();
        dangling.allocatePhandle();
        dangling.beginNode("").endNode();
        assertThrows(IllegalStateException.class, dangling::finish, "a phandle no node declares");
        FdtBuilder twice = new FdtBuilder();
        int h = twice.allocatePhandle();
        twice.beginNode("").beginNode("a").phandle(h).endNode().beginNode("b");
        assertThrows(IllegalStateException.class, () -> twice.phandle(h), "one phandle, two nodes");
        assertThrows(IllegalStateException.class, () -> twice.phandle(7), "a phandle never allocated");
    }

    @Test
    void badNamesAndValuesAreRefused() {
        FdtBuilder f = new FdtBuilder().beginNode("");
        assertThrows(IllegalArgumentException.class, () -> f.beginNode("has space"));
        assertThrows(IllegalArgumentException.class, () -> f.beginNode("9starts-with-digit"));
        assertThrows(IllegalArgumentException.class, () -> f.beginNode("x".repeat(32)));
        assertThrows(IllegalArgumentException.class, () -> f.beginNode("dev@"));
        assertThrows(IllegalArgumentException.class, () -> f.property("bad name", 1));
        assertThrows(IllegalArgumentException.class, () -> f.property("", 1));
        assertThrows(IllegalArgumentException.class, () -> f.property("s", "a\0b"));
        assertThrows(IllegalArgumentException.class, () -> f.property("s", new String[0]));
        f.property("#size-cells?,._+-", 0);
        f.beginNode("x".repeat(31) + "@1").endNode();
    }
}
