package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** AArch64.CheckFPAdvSIMDEnabled on FPCR/FPSR accesses: CPACR_EL1.FPEN and CPTR_EL2.TFP (EC 0x07). */
@NeedsCross
class FpAccessTest {
    static final String BODY = """
                mov x1, #0x0400000
                msr fpcr, x1
                mrs x2, fpcr
                mov x3, #0x9f
                msr fpsr, x3
                mrs x4, fpsr
            """;

    @Test
    void fpcrAndFpsrKeepTheirWritableBitsWhenFpIsEnabled() {
        TestMachine m = LoadStoreTest.machine(new TestMachine(), BODY);
        m.cpu.sr.cpacrEl1 = 3L << 20;
        assertEquals(0, m.runToHvc());
        assertEquals(0x400000, m.x(2));
        assertEquals(0x9f, m.x(4));
    }

    @Test
    void cpacrFpenTrapsToEl1() {
        for (long fpen : new long[] {0, 1, 2}) {
            TestMachine m = LoadStoreTest.machine(new TestMachine(), BODY);
            m.cpu.sr.cpacrEl1 = fpen << 20;
            if (fpen == 1) { // 0b01 traps EL0 only
                assertEquals(0, m.runToHvc());
                continue;
            }
            LoadStoreTest.expectException(m, Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS);
            assertEquals(LoadStoreTest.BODY + 4, m.cpu.sr.elr[1], "ELR is the MSR FPCR");
        }
    }

    @Test
    void cptrTfpTrapsToEl2EvenWhenCpacrAllows() {
        TestMachine m = LoadStoreTest.machine(new TestMachine(), BODY);
        m.cpu.sr.cpacrEl1 = 3L << 20;
        m.cpu.sr.cptrEl2 = SysRegTable.CPTR_TFP;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(Esr.encode(Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS), m.cpu.sr.esr[2]);
    }
}
