package org.jvisor.vmm;

import org.jvisor.vmm.debug.GdbStubTest;
import org.jvisor.vmm.debug.Monitor;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;

/** gdb-multiarch's {@code monitor ...} (qRcmd) reaches the same {@link Monitor}, as QEMU's gdbstub reaches HMP. */
class MonitorGdbTest {
    @Test
    void gdbMonitorCommandsReachTheMonitor(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("count.bin"), Asm.assemble(VirtBoardTest.COUNTERS, 0x4008_0000L));
        try (GdbStubTest.Running r = new GdbStubTest.Running(kernel)) {
            r.stub.setMonitor(new Monitor(r.board)::execute);
            // Started stopped (-S): nothing has run. One step fetches the first instruction: a stage-2
            // fault on the code page (a MEM trap, IABT_LOW) that maps it.
            String out = GdbStubTest.gdb(dir, r.stub.port(), """
                    monitor info status
                    monitor info stage2 0x40080000
                    monitor info traps
                    stepi
                    monitor info stage2 0x40080000
                    monitor info traps
                    monitor info registers
                    monitor bogus
                    detach
                    """);
            assertTrue(out.contains("VM status: paused\n"), out);
            assertTrue(out.contains(": not mapped (guest RAM the guest has not touched yet)\n"), out);
            assertTrue(out.contains("vCPU 0: CPU 0  MEM 0  IO 0  exits 0\n"), out);
            assertTrue(out.contains("  level 3 page descriptor 0x"), out);
            assertTrue(out.contains("vCPU 0: CPU 0  MEM 1  IO 0  exits 1\n  IABT_LOW     0x20            1\n"), out);
            assertTrue(out.contains("CPU#0\n PC=0000000040080004 X00=0000000000000003"), out);
            assertTrue(out.contains("unknown command: 'bogus'\n"), out);
        }
    }
}
