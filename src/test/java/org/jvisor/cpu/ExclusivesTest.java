package org.jvisor.cpu;

import static org.jvisor.cpu.LoadStoreTest.DATA;
import static org.jvisor.cpu.LoadStoreTest.expectException;
import static org.jvisor.cpu.LoadStoreTest.machine;
import static org.jvisor.cpu.LoadStoreTest.mem;
import static org.jvisor.cpu.LoadStoreTest.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** Load/store exclusive with the local monitor, and load-acquire / store-release. */
@NeedsCross
class ExclusivesTest {
    @Test
    void storeExclusiveSucceedsAfterALoadExclusiveOfTheSameBlock() {
        TestMachine m = machine("""
                    ldxr x2, [x1]
                    stxr w3, x20, [x1]
                    ldaxr w4, [x5]
                    stlxr w6, w20, [x5]
                    ldxrb w7, [x8]
                    stxrb w9, w20, [x8]
                    ldaxrh w10, [x11]
                    stlxrh w12, w20, [x11]
                """);
        put(m, DATA, 8, 0x1111111111111111L);
        put(m, DATA + 8, 8, 0x2222222222222222L);
        put(m, DATA + 16, 8, 0x3333333333333333L);
        put(m, DATA + 24, 8, 0x4444444444444444L);
        m.cpu.x[1] = DATA;
        m.cpu.x[5] = DATA + 8;
        m.cpu.x[8] = DATA + 17;
        m.cpu.x[11] = DATA + 26;
        m.cpu.x[3] = m.cpu.x[6] = m.cpu.x[9] = m.cpu.x[12] = -1;
        m.cpu.x[20] = 0xa1a2a3a4a5a6a7a8L;
        assertEquals(0, m.runToHvc());
        assertEquals(0x1111111111111111L, m.x(2));
        assertEquals(0x22222222L, m.x(4));
        assertEquals(0x33, m.x(7));
        assertEquals(0x4444, m.x(10));
        assertEquals(0, m.x(3));
        assertEquals(0, m.x(6));
        assertEquals(0, m.x(9));
        assertEquals(0, m.x(12));
        assertEquals(0xa1a2a3a4a5a6a7a8L, mem(m, DATA, 8));
        assertEquals(0x22222222_a5a6a7a8L, mem(m, DATA + 8, 8));
        assertEquals(0x33333333_3333a833L, mem(m, DATA + 16, 8));
        assertEquals(0x44444444_a7a8_4444L, mem(m, DATA + 24, 8));
        assertFalse(m.cpu.exclusiveValid, "a store-exclusive clears the monitor");
    }

    @Test
    void storeExclusiveFailsWithoutAMatchingMonitorAndClearsIt() {
        TestMachine m = machine("""
                    stxr w2, x20, [x1]
                    ldxr x3, [x1]
                    stxr w4, x20, [x5]
                    stxr w6, x20, [x1]
                    ldxr x7, [x1]
                    stxr w8, w20, [x1]
                    ldxr w9, [x1]
                    stxr w10, w20, [x1]
                    stxr w11, w20, [x1]
                """);
        put(m, DATA, 8, 0x1111111111111111L);
        m.cpu.x[1] = DATA;
        m.cpu.x[5] = DATA + 8;
        m.cpu.x[20] = 0x5555555566666666L;
        assertEquals(0, m.runToHvc());
        assertEquals(1, m.x(2), "no load-exclusive before");
        assertEquals(1, m.x(4), "a different address");
        assertEquals(1, m.x(6), "the failed store-exclusive cleared the monitor");
        assertEquals(1, m.x(8), "a different size");
        assertEquals(0, m.x(10), "the same address and size");
        assertEquals(1, m.x(11), "the monitor is cleared after a success");
        assertEquals(0x11111111_66666666L, mem(m, DATA, 8));
        assertEquals(0, mem(m, DATA + 8, 8));
    }

    @Test
    void clrexClearsTheMonitor() {
        TestMachine m = machine("""
                    ldxr x2, [x1]
                    clrex
                    stxr w3, x20, [x1]
                    ldaxr w4, [x1]
                    clrex #5
                    stlxr w5, w20, [x1]
                    ldxr x6, [x1]
                    stxr w7, x20, [x1]
                """);
        put(m, DATA, 8, 0x1234);
        m.cpu.x[1] = DATA;
        m.cpu.x[20] = 0x5678;
        assertEquals(0, m.runToHvc());
        assertEquals(1, m.x(3));
        assertEquals(1, m.x(5));
        assertEquals(0, m.x(7));
        assertEquals(0x5678, mem(m, DATA, 8));
    }

    @Test
    void aStoreThatChangesTheMarkedDataMakesTheStoreExclusiveFail() {
        // IMPLEMENTATION DEFINED in the architecture; these are QEMU 7.2's results (it compares the data).
        TestMachine m = machine("""
                    ldxr x2, [x1]
                    str x2, [x1]
                    stxr w3, x20, [x1]
                    ldxr x2, [x1]
                    str x21, [x1]
                    stxr w4, x20, [x1]
                    ldaxp x5, x6, [x7]
                    strb w21, [x7, #15]
                    stlxp w8, x20, x20, [x7]
                    ldxp w5, w6, [x9]
                    strh w6, [x9, #4]
                    stxp w10, w20, w20, [x9]
                """);
        put(m, DATA, 8, 0x1234);
        put(m, DATA + 0x18, 8, 0x1111_2222_3333_4444L);
        m.cpu.x[1] = DATA;
        m.cpu.x[7] = DATA + 0x10;
        m.cpu.x[9] = DATA + 0x18;
        m.cpu.x[20] = 0x5678;
        m.cpu.x[21] = 0x9abc;
        assertEquals(0, m.runToHvc());
        assertEquals(0, m.x(3), "the same data stored again");
        assertEquals(1, m.x(4), "different data");
        assertEquals(0x9abc, mem(m, DATA, 8));
        assertEquals(1, m.x(8), "the second doubleword of a pair changed");
        assertEquals(0, m.x(10), "the halfword stored held the same data");
        assertEquals(0x5678_0000_5678L, mem(m, DATA + 0x18, 8));
    }

    @Test
    void anExceptionClearsTheMonitor() {
        // The exception vector returns with hvc #1; resume after it by hand and try the store-exclusive.
        TestMachine m = machine("""
                    ldxr x2, [x1]
                    svc #0
                    stxr w3, x20, [x1]
                """);
        m.cpu.x[1] = DATA;
        assertEquals(1, m.runToHvc());
        assertEquals(Esr.EC_SVC64, m.cpu.sr.esr[1] >>> 26);
        m.cpu.pc = m.cpu.sr.elr[1];
        m.cpu.setElAndSpSel(1, 1);
        assertEquals(0, m.runToHvc());
        assertEquals(1, m.x(3));
    }

    @Test
    void exclusivePairsLoadAndStoreBothRegisters() {
        TestMachine m = machine("""
                    ldxp x2, x3, [x1]
                    stxp w4, x20, x21, [x1]
                    ldaxp w5, w6, [x7]
                    stlxp w8, w21, w20, [x7]
                    ldxp x9, x10, [x1]
                    stxp w11, w20, w21, [x1]
                    stxp w12, x20, x21, [x1]
                """);
        put(m, DATA, 8, 0x1111111111111111L);
        put(m, DATA + 8, 8, 0x2222222222222222L);
        put(m, DATA + 24, 8, 0x44444444_33333333L);
        m.cpu.x[1] = DATA;
        m.cpu.x[7] = DATA + 24;
        m.cpu.x[20] = 0xa0a0a0a0_b0b0b0b0L;
        m.cpu.x[21] = 0xc0c0c0c0_d0d0d0d0L;
        assertEquals(0, m.runToHvc());
        assertEquals(0x1111111111111111L, m.x(2));
        assertEquals(0x2222222222222222L, m.x(3));
        assertEquals(0, m.x(4));
        assertEquals(0x33333333L, m.x(5));
        assertEquals(0x44444444L, m.x(6));
        assertEquals(0, m.x(8));
        assertEquals(0xb0b0b0b0_d0d0d0d0L, mem(m, DATA + 24, 8));
        assertEquals(0xa0a0a0a0_b0b0b0b0L, m.x(9));
        assertEquals(1, m.x(11), "a 32-bit pair does not match a 64-bit pair's monitor");
        assertEquals(1, m.x(12));
        assertEquals(0xa0a0a0a0_b0b0b0b0L, mem(m, DATA, 8));
        assertEquals(0xc0c0c0c0_d0d0d0d0L, mem(m, DATA + 8, 8));
    }

    @Test
    void unpredictableOverlapsDoWhatQemuDoes() {
        // Expected values from qemu-aarch64-static 7.2 running the same instructions.
        TestMachine m = machine("""
                    ldxp x2, x2, [x1]
                    ldxp w3, w3, [x1]
                    ldxr x4, [x5]
                    stxr w4, x4, [x5]
                    ldxr x6, [x7]
                    stxr w7, x6, [x7]
                    ldxr xzr, [x1]
                    stxr w8, x20, [x1]
                """);
        put(m, DATA, 8, 0x11111111_22222222L);
        put(m, DATA + 8, 8, 0x3333333333333333L);
        m.cpu.x[1] = DATA;
        m.cpu.x[5] = DATA + 0x100;
        m.cpu.x[7] = DATA + 0x200;
        put(m, DATA + 0x100, 8, 0x55);
        assertEquals(0, m.runToHvc());
        assertEquals(0x3333333333333333L, m.x(2)); // LDXP Rt==Rt2: the second value
        assertEquals(0x11111111L, m.x(3));
        assertEquals(0, m.x(4)); // the status is written last
        assertEquals(0x55, mem(m, DATA + 0x100, 8)); // and the old Rt stored
        assertEquals(0, m.x(7));
        assertEquals(0, m.x(8));
    }

    @Test
    void misalignedExclusiveAndOrderedAccessesAreAlignmentFaults() {
        String[][] cases = {
                {"ldaxr x2, [x1]", "4", "0"},
                {"ldxr w2, [x1]", "2", "0"},
                {"ldxrh w2, [x1]", "1", "0"},
                {"ldar x2, [x1]", "4", "0"},
                {"ldarh w2, [x1]", "1", "0"},
                {"stlr w2, [x1]", "2", "1"},
                // the architecture checks alignment first (QEMU 7.2 fails such a store without a fault)
                {"stxr w3, x2, [x1]", "4", "1"},
                {"ldxp x2, x3, [x1]", "8", "0"}, // a 16-byte pair needs 16-byte alignment
                {"ldxp w2, w3, [x1]", "4", "0"},
                {"stxp w4, x2, x3, [x1]", "8", "1"},
        };
        for (String[] c : cases) {
            TestMachine m = machine(c[0]);
            long address = DATA + Long.parseLong(c[1]);
            m.cpu.x[1] = address;
            m.cpu.x[2] = 0x77;
            boolean write = c[2].equals("1");
            expectException(m, Esr.EC_DABT_CUR, (write ? 1 << 6 : 0) | Esr.FSC_ALIGNMENT);
            assertEquals(address, m.cpu.sr.far[1], c[0]);
            assertEquals(LoadStoreTest.BODY, m.cpu.sr.elr[1], c[0]);
            assertEquals(0x77, m.x(2), c[0]);
        }
        // byte accesses are always aligned; ordinary loads need SCTLR_EL1.A
        TestMachine m = machine("""
                    ldarb w2, [x1]
                    ldr x3, [x1]
                """);
        m.cpu.x[1] = DATA + 3;
        assertEquals(0, m.runToHvc());
    }

    @Test
    void sctlrAMakesOrdinaryMisalignedAccessesFault() {
        TestMachine m = machine("ldp w2, w3, [x1]");
        m.cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_A;
        m.cpu.x[1] = DATA + 2;
        expectException(m, Esr.EC_DABT_CUR, Esr.FSC_ALIGNMENT);
    }

    @Test
    void loadAcquireAndStoreReleaseAccessMemory() {
        TestMachine m = machine("""
                    ldar x2, [x1]
                    ldar w3, [x1]
                    ldarh w4, [x1]
                    ldarb w5, [x1]
                    stlr x20, [x6]
                    stlr w20, [x10]
                    stlrh w20, [x7]
                    stlrb w20, [x8]
                    ldaxr x9, [sp]
                """);
        put(m, DATA, 8, 0x8877665544332211L);
        m.cpu.x[1] = DATA;
        m.cpu.x[6] = DATA + 0x10;
        m.cpu.x[7] = DATA + 0x22;
        m.cpu.x[8] = DATA + 0x31;
        m.cpu.x[10] = DATA + 0x18;
        m.cpu.sp = DATA;
        m.cpu.x[20] = 0x0102030405060708L;
        assertEquals(0, m.runToHvc());
        assertEquals(0x8877665544332211L, m.x(2));
        assertEquals(0x44332211L, m.x(3));
        assertEquals(0x2211, m.x(4));
        assertEquals(0x11, m.x(5));
        assertEquals(0x0102030405060708L, mem(m, DATA + 0x10, 8));
        assertEquals(0x05060708L, mem(m, DATA + 0x18, 8));
        assertEquals(0x0708, mem(m, DATA + 0x20, 8) >>> 16);
        assertEquals(0x08, mem(m, DATA + 0x30, 8) >>> 8);
        assertEquals(0x8877665544332211L, m.x(9));
    }
}
