package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.LoadStoreAccess.Writeback;

/**
 * Loads and stores assembled by binutils, described as the Arm ARM's decode pseudocode for each form
 * describes them (datasize, regsize, signed, wback/postindex, the scaled offset) and with the ISS the
 * Arm ARM gives a data abort on them (ISV only for a single register without writeback). The syndromes
 * as the guest sees them are compared against QEMU by HypervisorExitsTest and MmioAndMemoryTest.
 */
class LoadStoreAccessTest {
    private static final int ISV = 1 << 24, SSE = 1 << 21, SF = 1 << 15, AR = 1 << 14;

    private static int word(String insn) {
        return ByteBuffer.wrap(Asm.assemble(insn, TestMachine.RAM_BASE)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /** The expected description, in the form LoadStoreAccess prints. */
    private static String access(int size, boolean load, int rt, int rt2, int rn, boolean signed, boolean wide,
            Writeback writeback, long offset, boolean acquireRelease) {
        return "LoadStoreAccess[size=" + size + ", load=" + load + ", rt=" + rt + ", rt2=" + rt2 + ", rn=" + rn
                + ", signed=" + signed + ", wide=" + wide + ", writeback=" + writeback + ", offset=" + offset
                + ", acquireRelease=" + acquireRelease + "]";
    }

    private static void check(String insn, String expected, int iss) {
        LoadStoreAccess a = new LoadStoreAccess();
        assertTrue(a.decode(word(insn)), insn);
        assertEquals(expected, a.toString(), insn);
        assertEquals(Integer.toHexString(iss), Integer.toHexString(a.syndrome()), insn + " syndrome");
    }

    @Test
    void singleRegisters() {
        check("ldrsh w3, [x4, #6]", access(2, true, 3, -1, 4, true, false, Writeback.NONE, 6, false),
                ISV | (1 << 22) | SSE | (3 << 16));
        check("ldrsw x5, [sp, #8]", access(4, true, 5, -1, 31, true, true, Writeback.NONE, 8, false),
                ISV | (2 << 22) | SSE | (5 << 16) | SF);
        check("strb w0, [x1, x2]", access(1, false, 0, -1, 1, false, false, Writeback.NONE, 0, false),
                ISV);
        check("ldur x7, [x8, #-3]", access(8, true, 7, -1, 8, false, true, Writeback.NONE, -3, false),
                ISV | (3 << 22) | (7 << 16) | SF);
        check("ldtr w9, [x10, #-8]", access(4, true, 9, -1, 10, false, false, Writeback.NONE, -8, false),
                ISV | (2 << 22) | (9 << 16));
        check("ldar x1, [x2]", access(8, true, 1, -1, 2, false, true, Writeback.NONE, 0, true),
                ISV | (3 << 22) | (1 << 16) | SF | AR);
        check("stlrh w3, [x4]", access(2, false, 3, -1, 4, false, false, Writeback.NONE, 0, true),
                ISV | (1 << 22) | (3 << 16) | AR);
        check("ldrsw x6, . + 8", access(4, true, 6, -1, -1, true, true, Writeback.NONE, 8, false),
                ISV | (2 << 22) | SSE | (6 << 16) | SF);
    }

    @Test
    void writebackAndPairsHaveNoValidSyndrome() {
        check("str x9, [x10, #-8]!", access(8, false, 9, -1, 10, false, true, Writeback.PRE, -8, false), 0);
        check("ldrh w1, [x2], #2", access(2, true, 1, -1, 2, false, false, Writeback.POST, 2, false), 0);
        check("ldp x1, x2, [sp, #-16]!", access(8, true, 1, 2, 31, false, true, Writeback.PRE, -16, false), 0);
        check("stp w5, w6, [x7], #8", access(4, false, 5, 6, 7, false, false, Writeback.POST, 8, false), 0);
        check("ldpsw x1, x2, [x3, #8]", access(4, true, 1, 2, 3, true, true, Writeback.NONE, 8, false), 0);
        check("stnp x3, x4, [x5, #-512]", access(8, false, 3, 4, 5, false, true, Writeback.NONE, -512, false), 0);
    }

    @Test
    void otherAccessesAreNotDescribed() {
        for (String insn : new String[] {"ldxr x0, [x1]", "stxr w2, x0, [x1]", "ldr q0, [x1]", "ldp d0, d1, [x2]",
                "prfm pldl1keep, [x0]", "add x0, x1, x2", "ld1 {v0.16b}, [x0]"})
            assertFalse(new LoadStoreAccess().decode(word(insn)), insn);
    }
}
