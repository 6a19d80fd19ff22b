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

/**
 * ARMv8.1 LSE atomics. Expected values follow the Arm ARM; the cases with narrow signed/unsigned
 * comparisons, CAS and register overlaps were also run under {@code qemu-aarch64-static -cpu max} 7.2,
 * which gave the same results.
 */
@NeedsCross
class AtomicsTest {
    static Features lse() {
        Features f = Features.cortexA57();
        f.lse = true;
        return f;
    }

    /** One instruction on the doubleword at DATA (x1), with x2 and x3 preset; checks memory, x2 and x3. */
    private static void check(String insn, long memBefore, long x2, long x3, long memAfter, long x2After, long x3After) {
        TestMachine m = machine(new TestMachine(lse()), insn);
        put(m, DATA, 8, memBefore);
        m.cpu.x[1] = DATA;
        m.cpu.x[2] = x2;
        m.cpu.x[3] = x3;
        assertEquals(0, m.runToHvc(), insn);
        assertEquals(Long.toHexString(memAfter), Long.toHexString(mem(m, DATA, 8)), insn + ": memory");
        assertEquals(Long.toHexString(x2After), Long.toHexString(m.x(2)), insn + ": x2");
        assertEquals(Long.toHexString(x3After), Long.toHexString(m.x(3)), insn + ": x3");
    }

    @Test
    void atomicMemoryOperationsReturnTheOldValue() {
        check("ldadd x2, x3, [x1]", -1, 2, 0, 1, 2, -1);
        check("ldaddab w2, w3, [x1]", 0x55555555555555ffL, 0x102, -1, 0x5555555555555501L, 0x102, 0xff);
        check("ldclrlh w2, w3, [x1]", 0x12345678_9abc_ffffL, 0xf0f0, 0, 0x12345678_9abc_0f0fL, 0xf0f0, 0xffff);
        check("ldeoral w2, w3, [x1]", 0xaaaaaaaa12345678L, 0xffffffffffff0000L, 0, 0xaaaaaaaaedcb5678L, 0xffffffffffff0000L, 0x12345678);
        check("ldseta x2, x3, [x1]", 0xf, 0xf000000000000000L, 0, 0xf00000000000000fL, 0xf000000000000000L, 0xf);
        check("ldsmaxb w2, w3, [x1]", 0x80, 0x7f, 0, 0x7f, 0x7f, 0x80);
        check("ldsmaxb w2, w3, [x1]", 0x7f, 0x180, 0, 0x7f, 0x180, 0x7f);
        check("ldsminh w2, w3, [x1]", 0x7fff, 0x8000, 0, 0x8000, 0x8000, 0x7fff);
        check("ldsmin x2, x3, [x1]", 5, -1, 0, -1, -1, 5);
        check("ldumax w2, w3, [x1]", 0x80000000L, 0x17fffffffL, 0, 0x80000000L, 0x17fffffffL, 0x80000000L);
        check("ldumin w2, w3, [x1]", 0x1234567880000000L, 0xffffffff00000001L, 0, 0x1234567800000001L, 0xffffffff00000001L, 0x80000000L);
        check("ldumaxal x2, x3, [x1]", 1, -1, 0, -1, -1, 1);
        check("lduminl x2, x3, [x1]", -2, -1, 0, -2, -1, -2);
        check("ldadd x2, x2, [x1]", 0x1111, 0x2222, 0, 0x3333, 0x1111, 0);
    }

    @Test
    void storeAliasesDiscardTheOldValue() {
        check("stadd w2, [x1]", 0x7_0000000aL, 5, 0x33, 0x7_0000000fL, 5, 0x33);
        check("stsmaxlh w2, [x1]", 0xffff, 1, 0x33, 1, 1, 0x33);
        check("stclrb w2, [x1]", 0xffff, 0x0f, 0x33, 0xfff0, 0x0f, 0x33);
        check("steorl x2, [x1]", 0xff, 0xf0, 0x33, 0x0f, 0xf0, 0x33);
    }

    @Test
    void swapExchangesRegisterAndMemory() {
        check("swp x2, x3, [x1]", 0xaaaa, 0xbbbb, 0, 0xbbbb, 0xbbbb, 0xaaaa);
        check("swpalb w2, w3, [x1]", 0x1122334455667788L, 0xaa, -1, 0x11223344556677aaL, 0xaa, 0x88);
        check("swpah w2, w3, [x1]", 0x1122334455667788L, 0xaaaa, -1, 0x112233445566aaaaL, 0xaaaa, 0x7788);
        check("swpl w2, w3, [x1]", 0x1122334455667788L, -1, 0, 0x11223344ffffffffL, -1, 0x55667788L);
        check("swp x2, x2, [x1]", 0x1111, 0x2222, 0, 0x2222, 0x1111, 0);
    }

    @Test
    void compareAndSwapStoresOnlyOnAMatch() {
        check("cas x2, x3, [x1]", 5, 5, 9, 9, 5, 9);
        check("cas x2, x3, [x1]", 6, 5, 9, 6, 6, 9);
        check("casalb w2, w3, [x1]", 0x1180, 0xffffff80L, 0x12345, 0x1145, 0x80, 0x12345);
        check("cash w2, w3, [x1]", 0x99991234L, 0x1235, 0x5555, 0x99991234L, 0x1234, 0x5555);
        check("casl w2, w3, [x1]", 0x77_12345678L, 0x12345678, 0xabcdef01L, 0x77_abcdef01L, 0x12345678, 0xabcdef01L);
        check("cas x2, x2, [x1]", 0x1111, 0x1111, 0, 0x1111, 0x1111, 0);
    }

    @Test
    void compareAndSwapPairWorksOnEvenOddPairs() {
        String[] forms = {"casp x2, x3, x4, x5, [x1]", "caspal w2, w3, w4, w5, [x1]"};
        for (String insn : forms) {
            boolean wide = insn.contains("x3");
            for (boolean match : new boolean[] {true, false}) {
                TestMachine m = machine(new TestMachine(lse()), insn);
                put(m, DATA, 8, 0x1111111122222222L);
                put(m, DATA + 8, 8, 0x3333333344444444L);
                m.cpu.x[1] = DATA;
                m.cpu.x[2] = wide ? 0x1111111122222222L : 0x22222222L;
                m.cpu.x[3] = wide ? 0x3333333344444444L : (match ? 0x11111111L : 0x11111112L);
                if (wide && !match) m.cpu.x[3] = 0;
                m.cpu.x[4] = 0xaaaaaaaabbbbbbbbL;
                m.cpu.x[5] = 0xccccccccddddddddL;
                assertEquals(0, m.runToHvc(), insn);
                if (wide) {
                    assertEquals(match ? 0xaaaaaaaabbbbbbbbL : 0x1111111122222222L, mem(m, DATA, 8), insn);
                    assertEquals(match ? 0xccccccccddddddddL : 0x3333333344444444L, mem(m, DATA + 8, 8), insn);
                    assertEquals(0x1111111122222222L, m.x(2), insn);
                    assertEquals(0x3333333344444444L, m.x(3), insn);
                } else {
                    assertEquals(match ? 0xddddddddbbbbbbbbL : 0x1111111122222222L, mem(m, DATA, 8), insn);
                    assertEquals(0x3333333344444444L, mem(m, DATA + 8, 8), insn);
                    assertEquals(0x22222222L, m.x(2), insn);
                    assertEquals(0x11111111L, m.x(3), insn);
                }
            }
        }
    }

    @Test
    void caspWithOddRegistersIsUndefined() {
        // casp x3, x4, x6, x7, [x1] and casp x2, x3, x5, x6, [x1]: Rs and Rt must be even
        for (String insn : new String[] {"0x48237c26", "0x48227c25"}) {
            TestMachine m = machine(new TestMachine(lse()), ".inst " + insn);
            m.cpu.x[1] = DATA;
            expectException(m, Esr.EC_UNKNOWN, 0);
        }
    }

    @Test
    void idAa64Isar0AdvertisesAtomicsOnlyWithLse() {
        for (boolean on : new boolean[] {false, true}) {
            TestMachine m = machine(new TestMachine(on ? lse() : Features.cortexA57()), "mrs x2, id_aa64isar0_el1");
            assertEquals(0, m.runToHvc());
            assertEquals(on ? 2 : 0, (m.x(2) >>> 20) & 0xf, "ID_AA64ISAR0_EL1.Atomic");
        }
    }

    @Test
    void ldaprIsUndefinedEvenWithLse() {
        TestMachine m = machine(new TestMachine(lse()), ".inst 0xf8bfc022"); // ldapr x2, [x1] (ARMv8.3)
        m.cpu.x[1] = DATA;
        expectException(m, Esr.EC_UNKNOWN, 0);
    }

    @Test
    void atomicsAreUndefinedWithoutLse() {
        String[] insns = {"ldadd x2, x3, [x1]", "stsetb w2, [x1]", "swp x2, x3, [x1]", "cas w2, w3, [x1]",
                "casp x2, x3, x4, x5, [x1]"};
        for (String insn : insns) {
            TestMachine m = machine(insn);
            assertFalse(m.cpu.features.lse);
            m.cpu.x[1] = DATA;
            put(m, DATA, 8, 0x1234);
            expectException(m, Esr.EC_UNKNOWN, 0);
            assertEquals(0x1234, mem(m, DATA, 8), insn);
        }
        assertEquals(0, Features.cortexA57().idAa64Isar0() & (0xfL << 20));
        assertEquals(2L << 20, lse().idAa64Isar0() & (0xfL << 20), "ID_AA64ISAR0_EL1.Atomic advertises LSE");
    }

    @Test
    void misalignedAtomicsAreAlignmentFaultsReportedAsWrites() {
        String[][] cases = {
                {"ldadd w2, w3, [x1]", "2"},
                {"swph w2, w3, [x1]", "1"},
                {"cas x2, x3, [x1]", "4"},
                {"casp x2, x3, x4, x5, [x1]", "8"},
                {"casp w2, w3, w4, w5, [x1]", "4"},
        };
        for (String[] c : cases) {
            TestMachine m = machine(new TestMachine(lse()), c[0]);
            long address = DATA + Long.parseLong(c[1]);
            m.cpu.x[1] = address;
            m.cpu.x[3] = 0x33;
            expectException(m, Esr.EC_DABT_CUR, (1 << 6) | Esr.FSC_ALIGNMENT);
            assertEquals(address, m.cpu.sr.far[1], c[0]);
            assertEquals(0x33, m.x(3), c[0]);
        }
        TestMachine m = machine(new TestMachine(lse()), "ldaddb w2, w3, [x1]");
        m.cpu.x[1] = DATA + 3;
        assertEquals(0, m.runToHvc(), "bytes are always aligned");
    }

    @Test
    void atomicsOnSpAreCheckedForSpAlignment() {
        TestMachine m = machine(new TestMachine(lse()), "ldadd x2, x3, [sp]");
        m.cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_SA;
        m.cpu.sp = DATA + 8;
        expectException(m, Esr.EC_SP_ALIGN, 0);

        m = machine(new TestMachine(lse()), "ldadd x2, x3, [sp]");
        m.cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_SA;
        m.cpu.sp = DATA + 16;
        m.cpu.x[2] = 3;
        put(m, DATA + 16, 8, 4);
        assertEquals(0, m.runToHvc());
        assertEquals(4, m.x(3));
        assertEquals(7, mem(m, DATA + 16, 8));
    }
}
