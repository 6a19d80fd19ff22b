package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Loads and stores of general-purpose registers. Expected values follow the Arm ARM; the results of
 * CONSTRAINED UNPREDICTABLE register overlaps are the ones qemu-aarch64-static 7.2 produces (noted where
 * used). Registers are preset from Java so that the tests need no data-processing instructions.
 */
@NeedsCross
class LoadStoreTest {
    static final long DATA = 0x4010_0000L;
    static final long VECTORS = TestMachine.RAM_BASE + 0x800;
    /** Where the body of a {@link #machine} program starts. */
    static final long BODY = TestMachine.RAM_BASE + 0x1000;

    /**
     * Loads {@code body} after a vector table whose synchronous entries do {@code hvc #1} (current EL with
     * SPx) and {@code hvc #2} (lower EL).
     */
    static TestMachine machine(String body) {
        return machine(new TestMachine().normalMemory(), body);
    }

    static TestMachine machine(TestMachine m, String body) {
        m.load("""
                    b 9f
                    .balign 0x800
                vectors:
                    .skip 0x200
                    hvc #1
                    .balign 0x200
                    hvc #2
                    .balign 0x800
                9:
                """ + body + "\n    hvc #0\n");
        m.cpu.sr.vbar[1] = VECTORS;
        return m;
    }

    static long mem(TestMachine m, long pa, int size) { return m.bus.read(pa, size); }

    static void put(TestMachine m, long pa, int size, long v) { m.bus.write(pa, size, v); }

    /** Runs to the vector's {@code hvc #1} and checks ESR_EL1's class (and the DFSC for data aborts). */
    static void expectException(TestMachine m, int ec, int iss) {
        assertEquals(1, m.runToHvc(), "expected an exception to EL1");
        long esr = m.cpu.sr.esr[1];
        assertEquals(Long.toHexString(((long) ec << 26) | (1L << 25) | iss), Long.toHexString(esr), "ESR_EL1");
    }

    @Test
    void unalignedAccessesToDeviceMemoryAreAlignmentFaults() {
        // MMU off: data accesses are Device-nGnRnE (Arm ARM D8.2.10), where SCTLR.A does not matter.
        String[][] cases = {{"ldr x2, [x1]", "1", "0"}, {"strh w2, [x1]", "3", "1"}, {"ldr w2, [x1]", "0xffe", "0"},
                {"stp x2, x3, [x1]", "4", "1"}};
        for (String[] c : cases) {
            TestMachine m = machine(new TestMachine(), c[0]);
            long address = DATA + Long.decode(c[1]);
            m.cpu.x[1] = address;
            expectException(m, Esr.EC_DABT_CUR, (c[2].equals("1") ? 1 << 6 : 0) | Esr.FSC_ALIGNMENT);
            assertEquals(address, m.cpu.sr.far[1], c[0]);
        }
        TestMachine m = machine(new TestMachine(), "ldr x2, [x1]\n ldrb w3, [x1, #1]");
        m.cpu.x[1] = DATA;
        assertEquals(0, m.runToHvc(), "aligned device accesses are fine");
    }

    @Test
    void unsignedOffsetLoadsZeroExtendAndStoresTruncate() {
        TestMachine m = machine("""
                    ldrb w2, [x1, #1]
                    ldrh w3, [x1, #2]
                    ldr w4, [x1, #4]
                    ldr x5, [x1, #8]
                    ldrb w6, [x1, #4095]
                    strb w10, [x1, #16]
                    strh w10, [x1, #18]
                    str w10, [x1, #20]
                    str x10, [x1, #24]
                    str x10, [x1, #32760]
                    ldr x7, [x1, #32760]
                    str xzr, [x1, #40]
                """);
        put(m, DATA, 8, 0x8877665544332211L);
        put(m, DATA + 8, 8, 0xf0e0d0c0b0a09080L);
        put(m, DATA + 4095, 1, 0xfe);
        put(m, DATA + 40, 8, -1);
        m.cpu.x[1] = DATA;
        m.cpu.x[2] = m.cpu.x[3] = m.cpu.x[4] = -1;
        m.cpu.x[10] = 0x1122334455667788L;
        assertEquals(0, m.runToHvc());
        assertEquals(0x22, m.x(2));
        assertEquals(0x4433, m.x(3));
        assertEquals(0x88776655L, m.x(4));
        assertEquals(0xf0e0d0c0b0a09080L, m.x(5));
        assertEquals(0xfe, m.x(6));
        assertEquals(0x88, mem(m, DATA + 16, 1));
        assertEquals(0x7788, mem(m, DATA + 18, 2));
        assertEquals(0x55667788L, mem(m, DATA + 20, 4));
        assertEquals(0x1122334455667788L, mem(m, DATA + 24, 8));
        assertEquals(0x1122334455667788L, m.x(7));
        assertEquals(0, mem(m, DATA + 40, 8));
        assertEquals(0, mem(m, DATA + 17, 1)); // STRB wrote one byte only
    }

    @Test
    void signedLoadsExtendToTheirRegisterWidth() {
        TestMachine m = machine("""
                    ldrsb x2, [x1]
                    ldrsb w3, [x1]
                    ldrsh x4, [x1, #2]
                    ldrsh w5, [x1, #2]
                    ldrsw x6, [x1, #4]
                    ldrsb x7, [x1, #8]
                    ldrsh w8, [x1, #8]
                    ldrsw x9, [x1, #8]
                    ldursb w10, [x1, #-1]
                    ldursh x11, [x1, #-2]
                    ldursw x12, [x1, #-4]
                """);
        put(m, DATA, 8, 0x80000001_8001_0080L);
        put(m, DATA + 8, 8, 0x7f7f7f7fL);
        put(m, DATA - 8, 8, 0x8001_0000_0000_0000L);
        m.cpu.x[1] = DATA;
        m.cpu.x[3] = m.cpu.x[5] = -1;
        assertEquals(0, m.runToHvc());
        assertEquals(0xffffffffffffff80L, m.x(2));
        assertEquals(0xffffff80L, m.x(3));
        assertEquals(0xffffffffffff8001L, m.x(4));
        assertEquals(0xffff8001L, m.x(5));
        assertEquals(0xffffffff80000001L, m.x(6));
        assertEquals(0x7f, m.x(7));
        assertEquals(0x7f7f, m.x(8));
        assertEquals(0x7f7f7f7f, m.x(9));
        assertEquals(0xffffff80L, m.x(10));
        assertEquals(0xffffffffffff8001L, m.x(11));
        assertEquals(0xffffffff80010000L, m.x(12));
    }

    @Test
    void preAndPostIndexWriteBackTheAddress() {
        TestMachine m = machine("""
                    ldr x2, [x1], #8
                    ldr x3, [x1, #8]!
                    ldrb w4, [x1, #-16]!
                    strh w20, [x5], #-2
                    str w20, [x6, #252]!
                    ldrsw x7, [x8], #255
                    sturh w20, [x9, #-1]
                    ldur x10, [x9, #-1]
                """);
        for (int i = 0; i < 4; i++) put(m, DATA + 8L * i, 8, 0x1111111111111111L * (i + 1));
        m.cpu.x[1] = DATA;
        m.cpu.x[5] = DATA + 0x100;
        m.cpu.x[6] = DATA + 0x200;
        m.cpu.x[8] = DATA + 0x18;
        m.cpu.x[9] = DATA + 0x301;
        m.cpu.x[20] = 0xaabbccdd;
        assertEquals(0, m.runToHvc());
        assertEquals(0x1111111111111111L, m.x(2));
        assertEquals(0x3333333333333333L, m.x(3));
        assertEquals(0x11, m.x(4));
        assertEquals(DATA, m.x(1));
        assertEquals(DATA + 0xfe, m.x(5));
        assertEquals(0xccdd, mem(m, DATA + 0x100, 2));
        assertEquals(DATA + 0x2fc, m.x(6));
        assertEquals(0xaabbccddL, mem(m, DATA + 0x2fc, 4));
        assertEquals(0x44444444L, m.x(7));
        assertEquals(DATA + 0x18 + 255, m.x(8));
        assertEquals(0xccdd, mem(m, DATA + 0x300, 2));
        assertEquals(0xccdd, m.x(10));
    }

    @Test
    void registerOffsetExtendsAndScalesTheIndex() {
        TestMachine m = machine("""
                    ldr x2, [x1, x10, lsl #3]
                    ldr x3, [x1, x10]
                    ldr w4, [x1, w11, uxtw #2]
                    ldrh w5, [x1, w12, sxtw #1]
                    ldrb w6, [x1, x13, sxtx]
                    ldrsw x7, [x1, w11, uxtw]
                    str x20, [x1, x14, lsl #3]
                    strb w20, [x1, w12, sxtw]
                    ldr x8, [x1, xzr]
                """);
        for (int i = -4; i < 8; i++) put(m, DATA + 8L * i, 8, 0x0101010101010101L * (i + 0x10));
        m.cpu.x[1] = DATA;
        m.cpu.x[10] = 2;
        m.cpu.x[11] = 0xffffffff_00000003L; // UXTW ignores the top half
        m.cpu.x[12] = 0x12345678_fffffffeL; // SXTW: -2
        m.cpu.x[13] = -3;
        m.cpu.x[14] = 6;
        m.cpu.x[20] = 0xdeadbeefcafef00dL;
        assertEquals(0, m.runToHvc());
        assertEquals(0x1212121212121212L, m.x(2));
        assertEquals(0x1111101010101010L, m.x(3)); // DATA + 2, unscaled
        assertEquals(0x11111111L, m.x(4)); // DATA + 12
        assertEquals(0x0f0f, m.x(5)); // DATA - 4
        assertEquals(0x0f, m.x(6)); // DATA - 3
        assertEquals(0x10101010L, m.x(7)); // DATA + 3
        assertEquals(0xdeadbeefcafef00dL, mem(m, DATA + 48, 8));
        assertEquals(0x0d, mem(m, DATA - 2, 1));
        assertEquals(0x1010101010101010L, m.x(8));
    }

    @Test
    void registerOffsetWithSubWordExtendIsUndefined() {
        for (int option : new int[] {0, 1, 4, 5}) {
            // ldr x2, [x1, x3] (0xf8636822) with option 0b0x0, and prfm with the same options
            for (int base : new int[] {0xf8636822, 0xf8a36820}) {
                int insn = base & ~(7 << 13) | (option << 13);
                TestMachine m = machine(".inst 0x" + Integer.toHexString(insn));
                m.cpu.x[1] = DATA;
                expectException(m, Esr.EC_UNKNOWN, 0);
            }
        }
    }

    @Test
    void literalLoadsArePcRelative() {
        TestMachine m = machine("""
                    ldr w2, 1f
                    ldr x3, 2f
                    ldrsw x4, 1f
                    ldrsw x5, 3f
                    prfm pldl1keep, 1f
                    ldr x6, 4f
                    b 5f
                    .balign 8
                1:  .word 0x80000002
                2:  .quad 0x123456789abcdef0
                3:  .word 0x7ffffff0
                4:  .quad 0x0102030405060708
                5:
                """);
        m.cpu.x[2] = -1;
        assertEquals(0, m.runToHvc());
        assertEquals(0x80000002L, m.x(2));
        assertEquals(0x123456789abcdef0L, m.x(3));
        assertEquals(0xffffffff80000002L, m.x(4));
        assertEquals(0x7ffffff0L, m.x(5));
        assertEquals(0x0102030405060708L, m.x(6));
    }

    @Test
    void pairsLoadAndStoreTwoRegisters() {
        TestMachine m = machine("""
                    ldp x2, x3, [x1]
                    ldp w4, w5, [x1, #16]
                    ldpsw x6, x7, [x1, #16]
                    stp x20, x21, [x1, #-16]
                    stp w20, w21, [x1, #32]
                    ldnp x8, x9, [x1, #-16]
                    stnp w21, w20, [x1, #48]
                    ldp x10, x11, [x12], #16
                    ldp w13, w14, [x15, #-8]!
                    stp x21, xzr, [x16, #504]!
                    stp w20, w21, [x17], #-256
                """);
        put(m, DATA, 8, 0x1111111111111111L);
        put(m, DATA + 8, 8, 0x2222222222222222L);
        put(m, DATA + 16, 8, 0x80000000_7fffffffL);
        put(m, DATA + 0x200, 8, 0x0000000b_0000000aL);
        m.cpu.x[1] = DATA;
        m.cpu.x[12] = DATA;
        m.cpu.x[15] = DATA + 0x208;
        m.cpu.x[16] = DATA + 0x400;
        m.cpu.x[17] = DATA + 0x800;
        m.cpu.x[20] = 0xa0a0a0a0_b0b0b0b0L;
        m.cpu.x[21] = 0xc0c0c0c0_d0d0d0d0L;
        put(m, DATA + 0x400 + 512, 8, -1);
        assertEquals(0, m.runToHvc());
        assertEquals(0x1111111111111111L, m.x(2));
        assertEquals(0x2222222222222222L, m.x(3));
        assertEquals(0x7fffffffL, m.x(4));
        assertEquals(0x80000000L, m.x(5));
        assertEquals(0x7fffffffL, m.x(6));
        assertEquals(0xffffffff80000000L, m.x(7));
        assertEquals(0xa0a0a0a0_b0b0b0b0L, mem(m, DATA - 16, 8));
        assertEquals(0xc0c0c0c0_d0d0d0d0L, mem(m, DATA - 8, 8));
        assertEquals(0xd0d0d0d0_b0b0b0b0L, mem(m, DATA + 32, 8));
        assertEquals(0xa0a0a0a0_b0b0b0b0L, m.x(8));
        assertEquals(0xc0c0c0c0_d0d0d0d0L, m.x(9));
        assertEquals(0xb0b0b0b0_d0d0d0d0L, mem(m, DATA + 48, 8));
        assertEquals(0x1111111111111111L, m.x(10));
        assertEquals(0x2222222222222222L, m.x(11));
        assertEquals(DATA + 16, m.x(12));
        assertEquals(0xa, m.x(13));
        assertEquals(0xb, m.x(14));
        assertEquals(DATA + 0x200, m.x(15));
        assertEquals(DATA + 0x400 + 504, m.x(16));
        assertEquals(0xc0c0c0c0_d0d0d0d0L, mem(m, DATA + 0x400 + 504, 8));
        assertEquals(0, mem(m, DATA + 0x400 + 512, 8));
        assertEquals(DATA + 0x700, m.x(17));
        assertEquals(0xd0d0d0d0_b0b0b0b0L, mem(m, DATA + 0x800, 8));
    }

    @Test
    void unpredictableOverlapsDoWhatQemuDoes() {
        // Expected values from qemu-aarch64-static 7.2 running the same instructions.
        TestMachine m = machine("""
                    ldp x2, x2, [x1]
                    ldpsw x3, x3, [x1, #16]
                    ldp x4, x5, [x4], #16
                    ldp x7, x6, [x6, #16]!
                    ldr x8, [x8], #8
                    str x9, [x9], #8
                    str x10, [x10, #8]!
                    stp x11, x11, [x11, #16]!
                """);
        put(m, DATA, 8, 0x1111111111111111L);
        put(m, DATA + 8, 8, 0x2222222222222222L);
        put(m, DATA + 16, 8, 0x80000005_fffffff6L);
        m.cpu.x[1] = DATA;
        m.cpu.x[4] = DATA;
        m.cpu.x[6] = DATA;
        m.cpu.x[8] = DATA;
        long buf = DATA + 0x100;
        m.cpu.x[9] = buf;
        m.cpu.x[10] = buf + 0x10;
        m.cpu.x[11] = buf + 0x20;
        assertEquals(0, m.runToHvc());
        assertEquals(0x1111111111111111L, m.x(2)); // Rt==Rt2: the first value
        assertEquals(0xfffffffffffffff6L, m.x(3));
        assertEquals(DATA + 16, m.x(4)); // writeback wins over the loaded value
        assertEquals(DATA + 16, m.x(6));
        assertEquals(DATA + 8, m.x(8));
        assertEquals(buf, mem(m, buf, 8)); // stores store the old base
        assertEquals(buf + 0x10, mem(m, buf + 0x18, 8));
        assertEquals(buf + 0x20, mem(m, buf + 0x30, 8));
        assertEquals(buf + 0x20, mem(m, buf + 0x38, 8));
        assertEquals(buf + 0x30, m.x(11));
    }

    @Test
    void loadPairFaultLeavesRegistersUnchanged() {
        TestMachine m = machine("ldp x2, x3, [x1]");
        m.cpu.x[1] = TestMachine.RAM_BASE + (16 << 20) - 8; // second half past the end of RAM
        m.cpu.x[2] = 0x2222;
        m.cpu.x[3] = 0x3333;
        expectException(m, Esr.EC_DABT_CUR, Esr.FSC_SYNC_EXTERNAL);
        assertEquals(0x2222, m.x(2));
        assertEquals(0x3333, m.x(3));
        assertEquals(TestMachine.RAM_BASE + (16 << 20), m.cpu.sr.far[1]);
    }

    @Test
    void writebackDoesNotHappenWhenTheAccessFaults() {
        TestMachine m = machine("ldr x2, [x1, #8]!");
        m.cpu.x[1] = 0x1000_0000L - 8;
        expectException(m, Esr.EC_DABT_CUR, Esr.FSC_SYNC_EXTERNAL);
        assertEquals(0x1000_0000L - 8, m.x(1));
        assertEquals(BODY, m.cpu.sr.elr[1]);
    }

    @Test
    void unprivilegedAccessesWithTheMmuOffActLikeLdrStr() {
        TestMachine m = machine(new TestMachine(), """
                    ldtr x2, [x1]
                    ldtrb w3, [x1, #1]
                    ldtrh w4, [x1, #2]
                    ldtr w5, [x1, #4]
                    ldtrsb x6, [x1, #7]
                    ldtrsh w7, [x1, #6]
                    ldtrsw x8, [x1, #4]
                    sttr x20, [x1, #16]
                    sttrb w20, [x1, #24]
                    sttrh w20, [x1, #26]
                    sttr w20, [x1, #28]
                    ldtr x9, [x1, #-8]
                """);
        put(m, DATA, 8, 0x8899aabbccddeeffL);
        put(m, DATA - 8, 8, 0x77);
        m.cpu.x[1] = DATA;
        m.cpu.x[20] = 0x0102030405060708L;
        assertEquals(0, m.runToHvc());
        assertEquals(0x8899aabbccddeeffL, m.x(2));
        assertEquals(0xee, m.x(3));
        assertEquals(0xccdd, m.x(4));
        assertEquals(0x8899aabbL, m.x(5));
        assertEquals(0xffffffffffffff88L, m.x(6));
        assertEquals(0xffff8899L, m.x(7));
        assertEquals(0xffffffff8899aabbL, m.x(8));
        assertEquals(0x0102030405060708L, mem(m, DATA + 16, 8));
        assertEquals(0x05060708_0708_0008L, mem(m, DATA + 24, 8));
        assertEquals(0x77, m.x(9));
    }

    @Test
    void prefetchesNeverFault() {
        TestMachine m = machine("""
                    prfm pldl1keep, [x1]
                    prfm pstl2strm, [x1, #8]
                    prfum pldl3keep, [x1, #-1]
                    prfm plil1keep, [x1, x2, lsl #3]
                    prfm pldl1keep, [x1, w2, sxtw]
                    prfm #0x1f, [x1]
                """);
        m.cpu.x[1] = 0x1000_0000L; // nothing is mapped there
        m.cpu.x[2] = 5;
        assertEquals(0, m.runToHvc());
    }

    @Test
    void unmappedPhysicalAddressIsASynchronousExternalAbort() {
        TestMachine m = machine("ldr x2, [x1]");
        m.cpu.x[1] = 0x1000_0000L;
        expectException(m, Esr.EC_DABT_CUR, Esr.FSC_SYNC_EXTERNAL);
        assertEquals(0x1000_0000L, m.cpu.sr.far[1]);

        m = machine("str x2, [x1, #8]");
        m.cpu.x[1] = 0x1000_0000L;
        expectException(m, Esr.EC_DABT_CUR, (1 << 6) | Esr.FSC_SYNC_EXTERNAL); // WnR
        assertEquals(0x1000_0008L, m.cpu.sr.far[1]);
    }

    @Test
    void spAsBaseIsCheckedForAlignmentWhenSctlrSaIsSet() {
        TestMachine m = machine("""
                    str x2, [sp, #-8]!
                    ldr x3, [sp], #8
                """);
        m.cpu.sp = DATA + 8;
        m.cpu.x[2] = 0x42;
        assertEquals(0, m.runToHvc(), "SA clear: no check");
        assertEquals(0x42, m.x(3));

        m = machine("ldr x3, [sp, #8]");
        m.cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_SA;
        m.cpu.sp = DATA + 8;
        expectException(m, Esr.EC_SP_ALIGN, 0);
        assertEquals(BODY, m.cpu.sr.elr[1]);

        m = machine("""
                    ldp x2, x3, [sp, #16]
                    str x2, [x1, #8]
                """);
        m.cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_SA;
        m.cpu.sp = DATA;
        m.cpu.x[1] = DATA + 4; // a general-purpose base is never checked
        assertEquals(0, m.runToHvc(), "aligned SP passes");

        m = machine("ldxr x2, [sp]");
        m.cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_SA;
        m.cpu.sp = DATA + 4;
        expectException(m, Esr.EC_SP_ALIGN, 0);
    }

    @Test
    void spAlignmentAtEl0UsesSctlrSa0AndAtEl2SctlrEl2Sa() {
        // At EL0 the closing hvc is undefined: both outcomes end at the lower-EL vector (hvc #2).
        for (boolean sa0 : new boolean[] {false, true}) {
            TestMachine m = machine("ldr x2, [sp]");
            m.cpu.sr.sctlr[1] |= sa0 ? SystemRegisters.SCTLR_SA0 : SystemRegisters.SCTLR_SA;
            m.cpu.setElAndSpSel(0, 0);
            m.cpu.pc = BODY;
            m.cpu.sp = DATA + 8;
            assertEquals(2, m.runToHvc());
            assertEquals(sa0 ? Esr.EC_SP_ALIGN : Esr.EC_UNKNOWN, m.cpu.sr.esr[1] >>> 26, "SA0=" + sa0);
            assertEquals(BODY + (sa0 ? 0 : 4), m.cpu.sr.elr[1]);
        }
        TestMachine m = machine("stp x2, x3, [sp, #-16]!");
        m.cpu.sr.sctlr[2] |= SystemRegisters.SCTLR_SA;
        m.cpu.sr.sctlr[1] &= ~SystemRegisters.SCTLR_SA;
        m.cpu.setElAndSpSel(2, 1);
        m.cpu.pc = BODY;
        m.cpu.sp = DATA + 8;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(Esr.EC_SP_ALIGN, m.cpu.sr.esr[2] >>> 26);
        assertEquals(BODY, m.cpu.sr.elr[2]);
    }

    @Test
    void accessSyndromeDescribesSingleRegisterAccesses() {
        int isv = 1 << 24;
        String[][] cases = {
                {"ldrsh w3, [x1]", Integer.toString(isv | (1 << 22) | (1 << 21) | (3 << 16))},
                {"ldrsb x4, [x1, x2]", Integer.toString(isv | (1 << 21) | (4 << 16) | (1 << 15))},
                {"ldrsw x5, [x1, #4]", Integer.toString(isv | (2 << 22) | (1 << 21) | (5 << 16) | (1 << 15))},
                {"ldr x6, [x1]", Integer.toString(isv | (3 << 22) | (6 << 16) | (1 << 15))},
                {"strb w7, [x1]", Integer.toString(isv | (7 << 16))},
                {"sturh wzr, [x1, #1]", Integer.toString(isv | (1 << 22) | (31 << 16))},
                {"ldtr w8, [x1]", Integer.toString(isv | (2 << 22) | (8 << 16))},
                {"ldar w9, [x1]", Integer.toString(isv | (2 << 22) | (9 << 16) | (1 << 14))},
                {"stlr x10, [x1]", Integer.toString(isv | (3 << 22) | (10 << 16) | (1 << 15) | (1 << 14))},
                {"ldr x11, [x1], #8", "0"},
                {"str w12, [x1, #-4]!", "0"},
                {"ldp x13, x14, [x1]", "0"},
                {"ldxr x15, [x1]", "0"},
        };
        for (String[] c : cases) {
            byte[] code = Asm.assemble(c[0], TestMachine.RAM_BASE);
            int word = java.nio.ByteBuffer.wrap(code).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
            assertEquals(Integer.toHexString(Integer.parseInt(c[1])), Integer.toHexString(syndrome(word)), c[0]);
        }
    }

    private static int syndrome(int insn) {
        LoadStoreAccess a = new LoadStoreAccess();
        return a.decode(insn) ? a.syndrome() : 0;
    }

    @Test
    void removedAndUnadvertisedFormsAreUndefined() {
        String[] raw = {
                "0x88df7c20", // ldlar w0, [x1] (LOR, not implemented)
                "0x889f7c20", // stllr w0, [x1]
                "0xb8bfc020", // ldapr w0, [x1] (ARMv8.3)
                "0xf8800420", // prfm post-index slot (unallocated)
                "0x69000420", // stgp (MTE)
                "0xe9400420", // ldp with opc 11
                "0xb8c00420", // ldrsw to W register (size 10 opc 11)
        };
        for (String insn : raw) {
            TestMachine m = machine(".inst " + insn);
            m.cpu.x[1] = DATA;
            expectException(m, Esr.EC_UNKNOWN, 0);
        }
    }
}
