package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;

class ExitBenchCommandTest {
    @NeedsCross
    @Test
    void theCodeIsWhatTheAssemblerMakesOfItsListing() {
        String src = """
                hvcloop:
                movz x0, #0x0001
                movk x0, #0xC600, lsl #16
                hvc #0
                subs x5, x5, #1
                b.ne hvcloop
                hvc #1
                devloop:
                movz x3, #0x0a00, lsl #16
                1: str x5, [x3]
                subs x5, x5, #1
                b.ne 1b
                hvc #1
                userloop:
                movz x3, #0x0900, lsl #16
                2: str x5, [x3]
                subs x5, x5, #1
                b.ne 2b
                hvc #1
                """;
        ByteBuffer b = ByteBuffer.allocate(ExitBenchCommand.CODE.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : ExitBenchCommand.CODE) b.putInt(w);
        assertArrayEquals(Asm.assemble(src, ExitBenchCommand.RAM), b.array());
    }

    @Test
    void everyKindRunsItsLoopToTheEnd() {
        for (int kind = 0; kind < 3; kind++) assertTrue(ExitBenchCommand.measure(kind, 100) > 0);
    }
}
