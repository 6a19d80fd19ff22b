package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.*;
import static org.junit.jupiter.api.Assertions.*;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.SystemRegisters;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Exits handled by the hypervisor: PSCI (DEN 0022 function ids and return codes), custom hypercalls,
 * HVC/SMC immediates, system register traps, the default handler. Syndromes as the Arm ARM gives them.
 */
@NeedsCross
class HypervisorExitsTest {

    @Test
    void psciSystemOffIsAShutdownEventAndCountsOneCpuTrap() {
        Guest g = new Guest(OFF);
        VcpuExit e = g.vcpu.run();
        assertTrue(isShutdown(e), e.toString());
        assertEquals(1, g.vcpu.stats().cpuTraps());
        assertEquals(1, g.vcpu.stats().exits(Esr.EC_HVC64));
        assertEquals(1, g.vcpu.stats().memTraps(), "the code page, mapped on the first fetch");
        assertEquals(0, g.vcpu.stats().ioTraps());
        assertTrue(isShutdown(g.vcpu.run()), "a powered-off VM stays off");
    }

    @Test
    void hostReadsAndWritesTheFpSimdRegisters() {
        Guest g = new Guest("""
                fmov d2, #1.0
                fadd d0, d1, d2
                ins v3.d[1], v1.d[0]
                """ + OFF);
        g.vcpu.setRegister("CPACR_EL1", 3L << 20);
        g.vcpu.setV(1, Double.doubleToRawLongBits(2.0), 0x1234);
        g.vcpu.setRegister("FPCR", 3L << 22); // round towards zero
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(Double.doubleToRawLongBits(3.0), g.vcpu.vLow(0));
        assertEquals(0, g.vcpu.vHigh(0), "a scalar write clears the rest of the register");
        assertEquals(Double.doubleToRawLongBits(2.0), g.vcpu.vHigh(3));
        assertEquals(3L << 22, g.vcpu.register("FPCR"));
        assertThrows(IllegalArgumentException.class, () -> g.vcpu.vLow(32));
    }

    @Test
    void closingAVmRefusesWhileAVcpuRunsThenEndsItsRuns() throws Exception {
        Guest g = new Guest("1: b 1b");
        var vcpuThread = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            var first = vcpuThread.submit(g.vcpu::run);
            while (!g.vcpu.inRun()) Thread.onSpinWait();
            assertThrows(IllegalStateException.class, g.vm::close);
            g.vcpu.kick();
            assertInstanceOf(VcpuExit.Interrupted.class, first.get(10, java.util.concurrent.TimeUnit.SECONDS));
            g.vm.close();
            g.vm.close(); // twice is harmless
            assertInstanceOf(VcpuExit.InternalError.class, vcpuThread.submit(g.vcpu::run).get(10, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            vcpuThread.shutdownNow();
        }
    }

    @Test
    void psciVersionFeaturesAndUnknownIds() {
        Guest g = new Guest("""
                movz x0, #0x0000
                movk x0, #0x8400, lsl #16
                hvc #0
                mov x19, x0
                movz x0, #0x000A
                movk x0, #0x8400, lsl #16
                movz x1, #0x0003
                movk x1, #0xC400, lsl #16
                hvc #0
                mov x20, x0
                movz x0, #0x000A
                movk x0, #0x8400, lsl #16
                movz x1, #0x1234
                hvc #0
                mov x21, x0
                movz x0, #0x001F
                movk x0, #0x8400, lsl #16
                hvc #0
                mov x22, x0
                movz x0, #0x1234
                movk x0, #0x8600, lsl #16
                hvc #0
                mov x23, x0
                movz x0, #0x0000
                movk x0, #0x8400, lsl #16
                smc #0
                mov x24, x0
                """ + OFF);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(0x10001, g.vcpu.x(19), "PSCI 1.1");
        assertEquals(0, g.vcpu.x(20), "CPU_ON (SMC64) is supported");
        assertEquals(-1, g.vcpu.x(21), "FEATURES of an unknown id: NOT_SUPPORTED");
        assertEquals(-1, g.vcpu.x(22), "an unimplemented PSCI id: NOT_SUPPORTED");
        assertEquals(-1, g.vcpu.x(23), "an unknown service call: NOT_SUPPORTED");
        assertEquals(0x10001, g.vcpu.x(24), "PSCI over SMC (trapped by HCR_EL2.TSC)");
        assertEquals(1, g.vcpu.stats().exits(Esr.EC_SMC64));
        assertEquals(7, g.vcpu.stats().cpuTraps());
    }

    @Test
    void customHypercallIsServedInJava() {
        Guest g = new Guest("""
                movz x0, #0x0001
                movk x0, #0xC600, lsl #16
                movz x1, #2
                movz x2, #2
                hvc #0
                mov x19, x0
                """ + OFF);
        g.vm.registerHypercall(0xC6000001, v -> v.setX(0, v.x(1) + v.x(2)));
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(4, g.vcpu.x(19));
    }

    @Test
    void hvcWithAnImmediateExitsToTheCaller() {
        Guest g = new Guest("""
                movz x1, #7
                hvc #0x42
                mov x19, x0
                """ + OFF);
        VcpuExit e = g.vcpu.run();
        VcpuExit.Hypercall h = assertInstanceOf(VcpuExit.Hypercall.class, e);
        assertEquals(0x42, h.immediate());
        assertFalse(h.smc());
        assertEquals(7, h.args()[1]);
        assertEquals(RAM + 8, g.vcpu.pc(), "resumes after the HVC");
        g.vcpu.setX(0, 99);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(99, g.vcpu.x(19));
    }

    /** A guest with an EL1 vector table whose synchronous handler records ESR/FAR/ELR in x20-x22 and powers off. */
    static String withVectors(String main) {
        return """
                adr x9, vectors
                msr vbar_el1, x9
                isb
                """ + main + OFF + """
                .balign 0x800
                vectors:
                .skip 0x200
                mrs x20, esr_el1
                mrs x21, far_el1
                mrs x22, elr_el1
                """ + OFF;
    }

    @Test
    void implementationDefinedRegisterTrapsAndIsUndefinedInTheGuest() {
        Guest g = new Guest(withVectors("mrs x1, s3_1_c15_c0_0\n"));
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(1, g.vcpu.stats().exits(Esr.EC_SYS64), "HCR_EL2.TIDCP traps it");
        assertEquals(0x02000000L, g.vcpu.x(20), "ESR_EL1: Unknown reason, IL");
        assertEquals(RAM + 12, g.vcpu.x(22), "ELR_EL1: the trapped MRS");
    }

    @Test
    void tvmTrapsMmuRegisterWritesThatTheHypervisorPerforms() {
        Vm vm = new Hypervisor().createVm();
        vm.trapConfig().set(SystemRegisters.HCR_TVM | SystemRegisters.HCR_TRVM);
        Guest g = new Guest(vm, """
                movz x1, #0x5000
                msr ttbr0_el1, x1
                mrs x2, ttbr0_el1
                mrs x3, actlr_el1
                msr mair_el1, x1
                """ + OFF);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(0x5000, g.vcpu.x(2));
        assertEquals(0x5000, g.vcpu.register("TTBR0_EL1"));
        assertEquals(0x5000, g.vcpu.register("MAIR_EL1"));
        assertEquals(4, g.vcpu.stats().exits(Esr.EC_SYS64));
        assertEquals(5, g.vcpu.stats().cpuTraps());
    }

    @Test
    void aTrapConfigurationChangeTakesEffectAtTheNextEntry() {
        Guest g = new Guest("""
                movz x1, #0x44
                msr mair_el1, x1
                hvc #0x10
                msr mair_el1, x1
                """ + OFF);
        assertInstanceOf(VcpuExit.Hypercall.class, g.vcpu.run());
        assertEquals(0, g.vcpu.stats().exits(Esr.EC_SYS64), "TVM is off by default");
        g.vm.trapConfig().set(SystemRegisters.HCR_TVM);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(1, g.vcpu.stats().exits(Esr.EC_SYS64), "the second write traps");
        assertEquals(0x44, g.vcpu.register("MAIR_EL1"));
    }

    @Test
    void trappedTlbiAndCacheMaintenanceArePerformedForTheGuest() {
        Vm vm = new Hypervisor().createVm();
        vm.trapConfig().set(SystemRegisters.HCR_TTLB | SystemRegisters.HCR_TPCP | SystemRegisters.HCR_TPU);
        Guest g = new Guest(vm, """
                adr x1, .
                tlbi vmalle1
                dc cvac, x1
                ic ivau, x1
                movz x19, #7
                """ + OFF);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(7, g.vcpu.x(19), "the guest went on after each trapped operation");
        assertEquals(3, g.vcpu.stats().exits(Esr.EC_SYS64));
    }

    @Test
    void anUnhandledExceptionClassStopsTheVcpuWithARegisterDump() {
        Vm vm = new Hypervisor().createVm();
        vm.trapConfig().set(SystemRegisters.HCR_TGE);
        Guest g = new Guest(vm, "svc #1\n");
        g.vcpu.setPstate(0); // EL0t: with TGE, SVC goes to EL2 (EC 0x15), which the hypervisor does not handle
        VcpuExit e = g.vcpu.run();
        VcpuExit.InternalError ie = assertInstanceOf(VcpuExit.InternalError.class, e);
        assertTrue(ie.reason().contains("exception class 0x15"), ie.reason());
        assertTrue(ie.registers().contains("PC "), ie.registers());
        assertSame(ie, g.vcpu.run(), "the vCPU stays stopped");
    }

    @Test
    void brkWithDebugRoutedToEl2IsADebugExit() {
        Guest g = new Guest("brk #3\n");
        g.vcpu.cpu.sr.mdcrEl2 |= 1 << 8; // MDCR_EL2.TDE
        VcpuExit e = g.vcpu.run();
        VcpuExit.Debug d = assertInstanceOf(VcpuExit.Debug.class, e);
        assertEquals(Esr.EC_BRK64, d.ec());
        assertEquals(RAM, d.pc());
    }

    @Test
    void kickInterruptsARunningGuest() throws Exception {
        Guest g = new Guest("1: b 1b\n");
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException ignored) {
            }
            g.vcpu.kick();
        });
        t.start();
        assertInstanceOf(VcpuExit.Interrupted.class, g.vcpu.run());
        t.join();
        assertEquals(RAM, g.vcpu.pc());
    }

    @Test
    void wfiSleepsUntilTheInterruptLineRisesOnAnotherThread() throws Exception {
        Guest g = new Guest("""
                wfi
                movz x19, #1
                """ + OFF);
        Thread t = new Thread(() -> {
            while (!g.vcpu.isIdle()) Thread.onSpinWait(); // asleep in WFI
            g.vcpu.setIrqLine(true);
        });
        t.start();
        VcpuExit e = g.vcpu.run();
        t.join();
        assertTrue(isShutdown(e), e.toString());
        assertEquals(1, g.vcpu.x(19));
        assertEquals(1, g.vcpu.stats().exits(Esr.EC_WFX), "HCR_EL2.TWI");
    }

    @Test
    void virtualIrqIsTakenByTheGuestWhenUnmasked() {
        Guest g = new Guest("""
                adr x9, vectors
                msr vbar_el1, x9
                msr daifclr, #2
                1: b 1b
                .balign 0x800
                vectors:
                .skip 0x280
                mrs x20, isr_el1
                """ + OFF);
        g.vcpu.setIrqLine(true);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(0x80, g.vcpu.x(20), "ISR_EL1.I: the virtual IRQ is pending");
    }

    @Test
    void runFromAnotherThreadIsRefused() throws Exception {
        Guest g = new Guest(OFF);
        g.vcpu.run();
        Throwable[] err = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                g.vcpu.run();
            } catch (Throwable x) {
                err[0] = x;
            }
        });
        t.start();
        t.join();
        assertInstanceOf(IllegalStateException.class, err[0]);
    }

    @Test
    void fpTrapFromCptrEl2IsTakenOnceLikeLazyFpSwitching() {
        Guest g = new Guest("""
                fmov d0, #1.0
                fmov d1, #2.0
                fadd d2, d0, d1
                fmov x19, d2
                """ + OFF);
        g.vcpu.setRegister("CPACR_EL1", 3L << 20);
        g.vcpu.cpu.sr.cptrEl2 |= 1L << 10; // CPTR_EL2.TFP
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(Double.doubleToLongBits(3.0), g.vcpu.x(19));
        assertEquals(1, g.vcpu.stats().exits(Esr.EC_FP_ASIMD));
        assertEquals(2, g.vcpu.stats().cpuTraps());
    }

    @Test
    void kickWakesASleepingWfiAndTheGuestGoesOnAfterIt() throws Exception {
        Guest g = new Guest("""
                wfi
                movz x19, #5
                """ + OFF);
        Thread t = new Thread(() -> {
            while (!g.vcpu.isIdle()) Thread.onSpinWait();
            g.vcpu.kick();
        });
        t.start();
        assertInstanceOf(VcpuExit.Interrupted.class, g.vcpu.run());
        t.join();
        assertEquals(RAM + 4, g.vcpu.pc(), "the WFI has completed");
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(5, g.vcpu.x(19));
    }
}
