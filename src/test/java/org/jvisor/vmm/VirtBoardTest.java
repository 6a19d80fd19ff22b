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
}
