package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;

@NeedsCross
class HelloCommandTest {
    static final String SOURCE = """
            movz x0, #2
            movz x1, #2
            add x2, x0, x1
            add x2, x2, #'0'
            movz x3, #0x0900, lsl #16
            strb w2, [x3]
            movz x2, #10
            strb w2, [x3]
            movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
            movz x0, #0x0001
            movk x0, #0xC600, lsl #16
            movz x1, #2
            movz x2, #2
            hvc #0
            add x2, x0, #'0'
            movz x3, #0x0900, lsl #16
            strb w2, [x3]
            movz x2, #10
            strb w2, [x3]
            movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
            """;

    @Test
    void theEl0HandlerIsWhatTheAssemblerMakesOfItsListing() {
        assertArrayEquals(Asm.assemble("movz x0, #8\nmovk x0, #0x8400, lsl #16\nhvc #0\n", 0), HelloCommand.words(HelloCommand.EL0_HANDLER));
    }

    @Test
    void theCodeIsWhatTheAssemblerMakesOfItsListing() {
        ByteBuffer b = ByteBuffer.allocate(HelloCommand.CODE.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : HelloCommand.CODE) b.putInt(w);
        assertArrayEquals(Asm.assemble(SOURCE, 0), b.array());
    }

    @Test
    void helloPrintsFourAndTheTrapCounts() {
        String[][] modes = {{"hello"}, {"hello", "--hypercall"}, {"hello", "--mmu"}, {"hello", "--el0"}};
        // MEM traps: the code page; with the MMU on also the two table pages (stage-1 walks fault in
        // stage 2 too); at EL0 also the vector page, whose handler makes the call EL0 cannot make.
        String[] mem = {"MEM trap 1", "MEM trap 1", "MEM trap 3", "MEM trap 4"};
        for (int i = 0; i < modes.length; i++) {
            String[] args = modes[i];
            PrintStream old = System.out;
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            System.setOut(new PrintStream(buf, true));
            int rc;
            try {
                rc = Main.execute(args);
            } finally {
                System.setOut(old);
            }
            String out = buf.toString();
            assertEquals(0, rc);
            assertTrue(out.contains("guest output: 4\n"), out);
            assertTrue(out.contains("exit: system event SHUTDOWN"), out);
            assertTrue(out.contains(mem[i] + ", IO trap 2"), out);
        }
    }
}
