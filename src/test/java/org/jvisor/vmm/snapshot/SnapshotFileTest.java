package org.jvisor.vmm.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.jvisor.cpu.Ram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotFileTest {
    @TempDir
    Path dir;

    private static final long SIZE = 8L << 20;

    private Path save(Ram ram, byte[] state) throws Exception {
        Path f = dir.resolve("vm.jvsnap");
        SnapshotFile.write(f, new SnapshotFile.Header(BuildId.current(), "test", Instant.ofEpochMilli(1234), "a test"), state,
                List.of(new SnapshotFile.RamSource("ram", ram.segment())));
        return f;
    }

    private static Ram touched() {
        Ram ram = Ram.allocate(SIZE);
        ram.segment().set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
        ram.segment().set(ValueLayout.JAVA_LONG, 5 * 4096 + 8, -1L);
        ram.segment().set(ValueLayout.JAVA_BYTE, SIZE - 1, (byte) 7); // the last page: the file ends with data
        return ram;
    }

    @Test
    void ramComesBackMappedFromTheFileWithOnlyTouchedPagesStored() throws Exception {
        Ram ram = touched();
        Path f = save(ram, new byte[] {1, 2, 3});
        SnapshotFile s = SnapshotFile.open(f);
        assertArrayEquals(new byte[] {1, 2, 3}, s.state());
        assertEquals("a test", s.header().description());
        assertEquals(Instant.ofEpochMilli(1234), s.header().created());
        SnapshotFile.RamRegion r = s.ram("ram");
        assertEquals(3, r.pages().cardinality());
        assertEquals(java.util.BitSet.valueOf(new long[] {1L | 1L << 5}).get(0, 6), r.pages().get(0, 6));
        Ram back = s.mapRam(r);
        s.verifyRam(r, back.segment());
        assertEquals(-1L, back.segment().mismatch(ram.segment()));
        // private: the guest's writes do not reach the file
        back.segment().set(ValueLayout.JAVA_LONG, 0, 42);
        Ram again = SnapshotFile.open(f).mapRam(r);
        assertEquals(0x1122334455667788L, again.segment().get(ValueLayout.JAVA_LONG, 0));
        // sparse on disk: three pages of data in an 8 MiB region
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", f.toString()).start();
        String[] b = new String(stat.getInputStream().readAllBytes()).trim().split(" ");
        long onDisk = Long.parseLong(b[0]) * Long.parseLong(b[1]);
        assertTrue(onDisk < 1 << 20, "the file takes " + onDisk + " bytes on disk");
        Ram copy = Ram.allocate(SIZE);
        s.copyRam(r, copy.segment());
        assertEquals(-1L, copy.segment().mismatch(ram.segment()));
    }

    @Test
    void twoRegionsWithLongRunsAndScatteredPagesComeBackEqual() throws Exception {
        Ram ram = Ram.allocate(SIZE), tables = Ram.allocate(1L << 20);
        java.util.Random rnd = new java.util.Random(5);
        java.util.BitSet written = new java.util.BitSet();
        for (int p = 3; p < 3 + 200; p++) written.set(p); // a run of 200 pages: several writes
        for (int i = 0; i < 300; i++) written.set(rnd.nextInt((int) (SIZE / 4096)));
        for (int p = written.nextSetBit(0); p >= 0; p = written.nextSetBit(p + 1))
            ram.segment().set(ValueLayout.JAVA_LONG, p * 4096L + 8 * rnd.nextInt(512), rnd.nextLong() | 1);
        tables.segment().set(ValueLayout.JAVA_BYTE, 4096 * 17 + 5, (byte) 1);
        Path f = dir.resolve("two.jvsnap");
        SnapshotFile.write(f, new SnapshotFile.Header(BuildId.current(), "test", Instant.now(), ""), new byte[0],
                List.of(new SnapshotFile.RamSource("ram", ram.segment()), new SnapshotFile.RamSource("stage2", tables.segment())));
        SnapshotFile s = SnapshotFile.open(f);
        SnapshotFile.RamRegion r = s.ram("ram"), t = s.ram("stage2");
        assertEquals(written, r.pages());
        assertEquals(java.util.BitSet.valueOf(new long[] {1L << 17}), t.pages());
        Ram back = s.mapRam(r), backTables = s.mapRam(t);
        s.verifyRam(r, back.segment());
        s.verifyRam(t, backTables.segment());
        assertEquals(-1L, back.segment().mismatch(ram.segment()));
        assertEquals(-1L, backTables.segment().mismatch(tables.segment()));
    }

    @Test
    void aDamagedHeaderOrRamIsReportedInOneLine() throws Exception {
        Path f = save(touched(), new byte[100]);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(40);
            int b = raf.read();
            raf.seek(40);
            raf.write(b ^ 1);
        }
        var e = assertThrows(SnapshotException.class, () -> SnapshotFile.open(f));
        assertEquals(f + ": damaged (checksum mismatch)", e.getMessage());

        Path g = save(touched(), new byte[100]);
        SnapshotFile s = SnapshotFile.open(g);
        SnapshotFile.RamRegion r = s.ram("ram");
        try (RandomAccessFile raf = new RandomAccessFile(g.toFile(), "rw")) {
            raf.seek(r.fileOffset() + 5 * 4096 + 9);
            raf.write(0);
        }
        Ram back = s.mapRam(r);
        e = assertThrows(SnapshotException.class, () -> s.verifyRam(r, back.segment()));
        assertEquals(g + ": damaged (RAM region 'ram' checksum mismatch)", e.getMessage());

        try (RandomAccessFile raf = new RandomAccessFile(g.toFile(), "rw")) {
            raf.setLength(r.fileOffset() + 4096);
        }
        e = assertThrows(SnapshotException.class, () -> SnapshotFile.open(g));
        assertEquals(g + ": damaged (RAM region 'ram' does not fit the file)", e.getMessage());
    }

    @Test
    void anotherBuildOrFormatOrFileIsRefused() throws Exception {
        Path f = dir.resolve("old.jvsnap");
        SnapshotFile.write(f, new SnapshotFile.Header("00000000", "jvisor 0.0 (build 00000000)", Instant.now(), ""), new byte[0],
                List.of(new SnapshotFile.RamSource("ram", Ram.allocate(4096).segment())));
        var e = assertThrows(SnapshotException.class, () -> SnapshotFile.open(f));
        assertTrue(e.getMessage().startsWith(f + ": made by another build of jvisor (jvisor 0.0 (build 00000000)); this is build "), e.getMessage());

        Path g = save(touched(), new byte[0]);
        try (RandomAccessFile raf = new RandomAccessFile(g.toFile(), "rw")) {
            raf.seek(11);
            raf.write(9);
        }
        e = assertThrows(SnapshotException.class, () -> SnapshotFile.open(g));
        assertEquals(g + ": a snapshot in format 9; this jvisor reads format " + SnapshotFile.FORMAT_VERSION, e.getMessage());

        Path h = dir.resolve("text");
        Files.writeString(h, "hello, world\n");
        assertEquals(h + ": not a jvisor snapshot", assertThrows(SnapshotException.class, () -> SnapshotFile.open(h)).getMessage());
        assertEquals(dir.resolve("none") + ": no such file",
                assertThrows(SnapshotException.class, () -> SnapshotFile.open(dir.resolve("none"))).getMessage());
    }
}
