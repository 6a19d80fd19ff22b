package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.hyp.Vcpu;
import org.jvisor.testing.NeedsCross;

@NeedsCross
public class VirtBoardTest {
    /** vCPU 0 starts vCPU 1 (PSCI CPU_ON); both count in X5 forever. */
    public static final String COUNTERS = """
            movz x0, #0x0003
            movk x0, #0xc400, lsl #16          // CPU_ON (SMC64)
            mov x1, #1
            adr x2, count
            mov x3, #0
            hvc #0
        count:
            add x5, x5, #1
            b count
            """;

    @Test
    void pauseParksEveryVcpuUntilResume(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("count.bin"), Asm.assemble(COUNTERS, 0x4008_0000L));
        BoardConfig config = new BoardConfig(64L << 20, 2, 3, true, List.of(), kernel, null, "", false);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (VirtBoard board = VirtBoard.build(config, new ByteArrayOutputStream(), new PrintStream(log, true), false)) {
            int[] status = {-1};
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    status[0] = board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            List<Vcpu> v = board.vcpus();
            for (int round = 0; round < 3; round++) {
                Thread.sleep(50);
                board.pause();
                assertTrue(board.isPaused());
                long a0 = v.get(0).x(5), a1 = v.get(1).x(5);
                Thread.sleep(50);
                assertEquals(a0, v.get(0).x(5), "vCPU 0 parked");
                assertEquals(a1, v.get(1).x(5), "vCPU 1 parked");
                board.resume();
                long until = System.nanoTime() + 10_000_000_000L;
                while ((v.get(0).x(5) == a0 || v.get(1).x(5) == a1) && System.nanoTime() < until) Thread.sleep(5);
                assertTrue(v.get(0).x(5) != a0 && v.get(1).x(5) != a1, "both run again after resume");
                if (round == 2) assertTrue(a1 > 0, "vCPU 1 was started by CPU_ON and counts");
            }
            board.stop(7);
            runner.join(10_000);
            assertEquals(7, status[0]);
            assertEquals("", log.toString());
        }
    }

    /**
     * vCPU 0 starts vCPU 1; both read the PL031's RTCDR and RTCMR with one LDP, forever: a pair of MMIO reads,
     * each its own exit. X5 counts the pairs, X6 those whose RTCMR half is not the value written there.
     */
    static final String PAIRS = """
            movz x0, #0x0003
            movk x0, #0xc400, lsl #16          // CPU_ON (SMC64)
            mov x1, #1
            adr x2, pairs
            mov x3, #0
            hvc #0
        pairs:
            movz x9, #0x0901, lsl #16
            mov w3, #0x1234
            str w3, [x9, #4]
        1:  ldp w1, w2, [x9]
            add x5, x5, #1
            cmp w2, w3
            cinc x6, x6, ne
            b 1b
            """;

    /**
     * A board of two vCPUs saved over and over while both spend their time in MMIO exits, many of them
     * between the two halves of a pair: the VMM finishes what an exit left (KVM's immediate_exit) before a
     * vCPU parks, so every save succeeds, and every board restored from one goes on with both pairs whole.
     */
    @Test
    void savedWhileBothVcpusAreInMmioExitsEverySaveRestores(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("pairs.bin"), Asm.assemble(PAIRS, 0x4008_0000L));
        BoardConfig config = new BoardConfig(64L << 20, 2, 3, false, List.of(), kernel, null, "", false);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Path> files = new java.util.ArrayList<>();
        try (VirtBoard board = VirtBoard.build(config, new ByteArrayOutputStream(), new PrintStream(log, true), false)) {
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 40; i++) {
                Thread.sleep(3);
                board.pause();
                Path f = dir.resolve("s" + i + ".jvsnap");
                board.save(f, "test");
                files.add(f);
                board.resume();
            }
            board.pause();
            assertTrue(board.vcpus().get(1).x(5) > 0, "vCPU 1 reads pairs too");
            board.stop(0);
            runner.join(10_000);
            assertEquals("", log.toString());
        }
        for (Path f : files.subList(files.size() - 5, files.size())) {
            try (VirtBoard restored = VirtBoard.restore(org.jvisor.vmm.snapshot.SnapshotFile.open(f), new ByteArrayOutputStream(),
                    new ByteArrayOutputStream(), new PrintStream(log, true), false)) {
                List<Vcpu> v = restored.vcpus();
                long a0 = v.get(0).x(5), a1 = v.get(1).x(5);
                Thread runner = Thread.ofPlatform().start(() -> {
                    try {
                        restored.run();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                long until = System.nanoTime() + 10_000_000_000L;
                while ((v.get(0).x(5) < a0 + 100 || v.get(1).x(5) < a1 + 100) && System.nanoTime() < until) Thread.sleep(5);
                restored.pause();
                assertTrue(v.get(0).x(5) >= a0 + 100 && v.get(1).x(5) >= a1 + 100, f + ": both vCPUs go on");
                assertEquals(0, v.get(0).x(6), f + ": vCPU 0's pairs whole");
                assertEquals(0, v.get(1).x(6), f + ": vCPU 1's pairs whole");
                restored.stop(0);
                runner.join(10_000);
            }
        }
        assertEquals("", log.toString());
    }
}
