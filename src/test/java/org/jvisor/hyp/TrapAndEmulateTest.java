package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.Esr;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/**
 * Classic trap-and-emulate ({@link Deprivileged}): the tiny OS of src/test/resources/baremetal/tinyos.S
 * (page tables, MMU, an EL0 task with SVCs and faults, LDTR/STTR, timer interrupts through a GICv2) run at
 * EL1 under the hypervisor and deprivileged at EL0 must print the same (Popek and Goldberg's equivalence),
 * and what it prints is checked against the Arm ARM's syndromes (and QEMU's run of the same program).
 */
@NeedsCross
class TrapAndEmulateTest {
    static final List<String> LD_ARGS = List.of("-Ttext=0x40200000", "-Tdata=0x40400000",
            "--section-start=.user=0x40600000", "--section-start=.udata=0x40800000", "-e", "_start");

    static Path tinyOs() throws Exception {
        return Asm.linkElf(Path.of(TrapAndEmulateTest.class.getResource("/baremetal/tinyos.S").toURI()), LD_ARGS);
    }

    static GicMachine run(Vm vm) throws Exception {
        GicMachine m = new GicMachine(vm, 2, 1).load(tinyOs());
        m.runToPowerOff();
        return m;
    }

    @Test
    void deprivilegedKernelBehavesAsAtEl1() throws Exception {
        GicMachine el1 = run(new Hypervisor().createVm());
        GicMachine el0 = run(new Hypervisor().createTrapAndEmulateVm(GuestClock.HOST));
        String out = el1.output();
        assertEquals(out, el0.output());
        // The Arm ARM's view of what the kernel saw.
        // EL1; AT: the IPA of irq_count, F = 0; a Cortex-A57 r1p0
        assertTrue(out.contains("CurrentEL=0000000000000004 PAR(kdata)=0000000040403000 MIDR=00000000411fd070\n"), out);
        assertTrue(out.contains("timer interrupts=0000000000000003\n"), out);
        assertTrue(out.contains("svc 0000000000000001 x0=0000000000000041\n"), out);
        // EL0 load of the unmapped VA: data abort from a lower EL, translation fault level 1, ISV 0.
        assertTrue(out.contains("task fault ESR=0000000092000005 FAR=0000000080000000\n"), out);
        assertTrue(out.contains("kernel LDTR read 1122334455667788 LDTRB 0000000000000077\n"), out);
        assertTrue(out.contains("kernel STTR/LDTR across pages 1122334455667888 LDTRSH 0000000000005566\n"), out);
        // STTR wrote uword+8, which the task read back and passed to SVC #3.
        assertTrue(out.contains("svc 0000000000000003 x0=1122334455667888\n"), out);
        // LDTR of kernel-only data from EL1: data abort from the current EL, permission fault level 2.
        assertTrue(out.contains("kernel LDTR fault ESR=000000009600000e FAR=00000000404030"), out);
        assertTrue(out.contains("kernel LDTR probe left x25=0000000000000077\n"), out);
        // The demand page round trip: seed + 0x42.
        assertTrue(out.contains("svc 0000000000000004 x0=5eed5eed5eed5f2f\n"), out);
        // EL0 load of kernel data: permission fault level 2 from a lower EL; the load was stepped over.
        assertTrue(out.contains("task fault ESR=000000009200000e FAR=00000000404030"), out);
        assertTrue(out.contains("svc 00000000000000ff x0=0000000000000099\n"), out);
        assertTrue(out.endsWith("tinyos: svcs=0000000000000005 task faults=0000000000000002 interrupts=0000000000000003\ntinyos: done\n"), out);

        // The trap accounting of the deprivileged run: each virtual exception the kernel handled...
        TrapStats s = el0.vcpus[0].stats();
        assertEquals(5, s.virtualExceptions(Esr.EC_SVC64));
        assertEquals(2, s.virtualExceptions(Esr.EC_DABT_LOW));
        assertEquals(1, s.virtualExceptions(Esr.EC_DABT_CUR));
        assertEquals(3, s.virtualInterrupts());
        // ...and each privileged instruction it executed, emulated.
        var e = s.emulated();
        assertEquals(11L, e.get("ERET"), e::toString); // to the task, and back from 4 SVCs, 2 task faults, 3 IRQs, the probe
        assertEquals(1L, e.get("MSR SCTLR_EL1"), e::toString);
        assertEquals(1L, e.get("MSR TTBR0_EL1"), e::toString);
        assertEquals(1L, e.get("MSR TCR_EL1"), e::toString);
        assertEquals(1L, e.get("MSR MAIR_EL1"), e::toString);
        assertEquals(1L, e.get("MSR VBAR_EL1"), e::toString);
        assertEquals(1L, e.get("MRS CurrentEL"), e::toString);
        assertEquals(1L, e.get("AT S1E1R"), e::toString);
        assertEquals(1L, e.get("TLBI VAE1"), e::toString);
        assertEquals(1L, e.get("HVC"), e::toString);
        assertEquals(4L, e.get("LDTR"), e::toString); // LDTR, LDTRB and LDTR of SVC #2, and the probe (its emulation delivers the fault)
        assertEquals(1L, e.get("LDTRS (64-bit)"), e::toString);
        assertEquals(2L, e.get("STTR"), e::toString);
        assertTrue(e.get("MSR DAIFClr") >= 3, e::toString);
        assertTrue(s.shadowFills() > 0);
        System.out.println("trap-and-emulate: " + e + " shadow fills " + s.shadowFills() + ", " + s);
    }

    /** Every trap control of the processor set as well ({@code --trap all}): nothing the guest sees changes. */
    @Test
    void everyEl2TrapToo() throws Exception {
        Vm vm = new Hypervisor().createTrapAndEmulateVm(GuestClock.HOST);
        vm.trapConfig().traps(TrapConfig.ALL);
        GicMachine all = run(vm);
        assertEquals(run(new Hypervisor().createVm()).output(), all.output());
    }

    @Test
    @NeedsQemu
    void tinyOsMatchesQemu() throws Exception {
        String qemu = GicMachine.runQemu(tinyOs(), 2, 1);
        assertEquals(qemu, run(new Hypervisor().createTrapAndEmulateVm(GuestClock.HOST)).output());
    }

    @Test
    void aVirtualExceptionLoopIsReportedNotSpunOn() {
        // The vector is zeros (UDF #0): each Undefined Instruction delivered to it is raised again at it.
        Guest g = new Guest(new Hypervisor().createTrapAndEmulateVm(GuestClock.HOST), """
                movz x0, #0x4010, lsl #16
                msr vbar_el1, x0
                isb
                udf #0
                """);
        VcpuExit e = g.vcpu.run();
        VcpuExit.ExceptionLoop l = assertInstanceOf(VcpuExit.ExceptionLoop.class, e);
        assertEquals(1, l.el());
        assertEquals(Esr.EC_UNKNOWN, l.ec());
        assertEquals(0x4010_0200L, l.vector(), "current EL with SP_EL1, synchronous");
        assertEquals(0x4010_0200L, l.pc(), "raised at the vector itself");
    }
}
