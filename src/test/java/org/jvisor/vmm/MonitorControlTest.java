package org.jvisor.vmm;

import org.jvisor.vmm.debug.Monitor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** stop, cont, cpu and quit on a two-vCPU guest that counts in X5 on both (VirtBoardTest's COUNTERS). */
class MonitorControlTest {
    @Test
    void stopParksContResumesQuitEndsTheRunWithZero(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("count.bin"), Asm.assemble(VirtBoardTest.COUNTERS, 0x4008_0000L));
        BoardConfig config = new BoardConfig(64L << 20, 2, 3, true, List.of(), kernel, null, "", false);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (VirtBoard board = VirtBoard.build(config, new ByteArrayOutputStream(), new PrintStream(log, true), false)) {
            Monitor monitor = new Monitor(board);
            int[] status = {-1};
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    status[0] = board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            List<Vcpu> v = board.vcpus();
            awaitChange(v, new long[] {0, 0});

            assertEquals("VM status: running\n", monitor.execute("info status"));
            assertEquals("", monitor.execute("stop"));
            assertTrue(board.isPaused());
            assertEquals("VM status: paused\n", monitor.execute("info status"));
            long[] frozen = {v.get(0).x(5), v.get(1).x(5)};
            // Looking (registers, a walk) parks the vCPUs for a moment and must leave a stopped VM stopped.
            String all = monitor.execute("info registers -a");
            assertTrue(all.startsWith("CPU#0\n") && all.contains("\nCPU#1\n"), all);
            assertTrue(all.contains(String.format("X05=%016x", frozen[0])) && all.contains(String.format("X05=%016x", frozen[1])), all);
            assertEquals("", monitor.execute("cpu 1"));
            assertTrue(monitor.execute("info registers").startsWith("CPU#1\n"));
            assertTrue(monitor.execute("info cpus").contains("* CPU #1"));
            monitor.execute("x/4xw $pc");
            Thread.sleep(50);
            assertTrue(board.isPaused());
            assertEquals(frozen[0], v.get(0).x(5), "vCPU 0 parked");
            assertEquals(frozen[1], v.get(1).x(5), "vCPU 1 parked");

            assertEquals("", monitor.execute("cont"));
            assertFalse(board.isPaused());
            awaitChange(v, frozen);
            assertEquals("VM status: running\n", monitor.execute("info status"));

            // A look at a running VM parks it only for the look.
            long[] before = {v.get(0).x(5), v.get(1).x(5)};
            assertTrue(monitor.execute("info registers 0").startsWith("CPU#0\n"));
            awaitChange(v, before);

            assertEquals("", monitor.execute("quit"));
            runner.join(10_000);
            assertFalse(runner.isAlive());
            assertEquals(0, status[0]);
            assertEquals("", log.toString());
        }
    }

    /** A stop before the run starts (as -S does): the vCPUs park before the guest's first instruction. */
    @Test
    void stopBeforeTheRunHoldsTheGuestAtItsFirstInstruction(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("count.bin"), Asm.assemble(VirtBoardTest.COUNTERS, 0x4008_0000L));
        BoardConfig config = new BoardConfig(64L << 20, 2, 3, true, List.of(), kernel, null, "", false);
        try (VirtBoard board = VirtBoard.build(config, new ByteArrayOutputStream(), new PrintStream(new ByteArrayOutputStream()), false)) {
            Monitor monitor = new Monitor(board);
            assertEquals("", monitor.execute("stop"));
            int[] status = {-1};
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    status[0] = board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 20; i++) {
                assertEquals("VM status: paused\n", monitor.execute("info status"));
                assertTrue(monitor.execute("info registers").contains(" PC=0000000040080000 "), "not one instruction ran");
                Thread.sleep(5);
            }
            assertEquals(0, board.vcpus().get(0).stats().totalExits());
            assertEquals("", monitor.execute("cont"));
            List<Vcpu> v = board.vcpus();
            awaitChange(v, new long[] {0, 0});
            assertEquals("", monitor.execute("q"));
            runner.join(10_000);
            assertEquals(0, status[0]);
        }
    }

    static void awaitChange(List<Vcpu> v, long[] from) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        while ((v.get(0).x(5) == from[0] || v.get(1).x(5) == from[1]) && System.nanoTime() < until) Thread.sleep(5);
        assertTrue(v.get(0).x(5) != from[0] && v.get(1).x(5) != from[1], "both vCPUs count");
    }
}
