package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** Registers seen from EL2 (a guest hypervisor: hostOwnsEl2 off), ISR_EL1, and ERET's branch address. */
@NeedsCross
class El2RegistersTest {
    /** Runs {@code src} at EL2h until its final WFI. */
    private static TestMachine atEl2(String src) {
        TestMachine m = new TestMachine().load(src + "\n wfi\n");
        m.cpu.hostOwnsEl2 = false;
        m.cpu.setElAndSpSel(2, 1);
        assertEquals(ExitReason.WAIT_FOR_INTERRUPT, m.run());
        return m;
    }

    @Test
    void el2SeesTheRealIdentityAndItsOwnRegisters() {
        TestMachine m = atEl2("""
                movz x0, #0xd034
                movk x0, #0x410f, lsl #16
                msr vpidr_el2, x0
                mrs x1, midr_el1
                mrs x2, vpidr_el2
                mrs x3, hcr_el2
                mrs x4, currentel
                movz x0, #0x5000
                msr sp_el1, x0
                mrs x5, sp_el1
                mrs x6, sctlr_el2
                msr sctlr_el2, xzr
                mrs x7, sctlr_el2
                mrs x8, mdcr_el2
                mrs x9, cptr_el2
                mrs x10, vmpidr_el2
                mrs x11, cnthctl_el2
                """);
        assertEquals(0x411FD070L, m.x(1), "MIDR_EL1 at EL2 is the real MIDR");
        assertEquals(0x410FD034L, m.x(2));
        assertEquals(SystemRegisters.HCR_RW, m.x(3), "HCR_EL2.RW is RES1: EL1 is AArch64-only");
        assertEquals(8, m.x(4));
        assertEquals(0x5000, m.x(5));
        assertEquals(0x30C50830L, m.x(6), "SCTLR_EL2 RES1 bits");
        assertEquals(0x30C50830L, m.x(7));
        assertEquals(6, m.x(8), "MDCR_EL2.HPMN resets to the number of counters");
        assertEquals(0x33FFL, m.x(9), "CPTR_EL2 RES1 bits");
        assertEquals(0x80000000L, m.x(10), "VMPIDR_EL2 resets to MPIDR_EL1");
        assertEquals(3, m.x(11));
    }

    @Test
    void isrShowsPendingInterruptsAsTheCurrentElSeesThem() {
        TestMachine m = new TestMachine().load("""
                mrs x1, isr_el1
                hvc #0
                """);
        m.cpu.setIrqLine(true);
        m.runToHvc();
        assertEquals(0x80, m.x(1), "physical IRQ pending (masked)");

        m = new TestMachine().load("""
                mrs x1, isr_el1
                hvc #0
                """);
        // FIQs routed to EL2 (FMO): the guest sees the virtual FIQ, masked by its PSTATE.F.
        m.cpu.sr.hcrEl2 |= SystemRegisters.HCR_IMO | SystemRegisters.HCR_FMO | SystemRegisters.HCR_VF;
        m.runToHvc();
        assertEquals(0x40, m.x(1), "virtual FIQ (HCR_EL2.VF) under FMO");
    }

    @Test
    void eretDropsTheTagWhenTopByteIgnored() {
        TestMachine m = new TestMachine().load("""
                movz x0, #0x0000, lsl #48
                movk x0, #0x4000, lsl #16
                movk x0, #:abs_g0_nc:target
                movk x0, #0xab00, lsl #48
                msr elr_el1, x0
                movz x0, #0x3c5
                msr spsr_el1, x0
                movz x1, #0x20, lsl #32
                msr tcr_el1, x1
                eret
                hvc #1
            target:
                hvc #2
                """);
        // TCR_EL1.TBI0 (bit 37): the tag 0xab is ignored and dropped by AArch64.BranchAddr.
        assertEquals(2, m.runToHvc());
    }
}
