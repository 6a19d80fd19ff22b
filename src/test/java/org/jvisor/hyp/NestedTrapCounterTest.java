package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.SystemRegisters;

/**
 * The seeds' classes for a guest's own hypervisor, from synthetic EL2 entries and returns as non-VHE KVM
 * makes them: a stage-2 fault it maps and retries is MEM, one it emulates and skips (KVM's MMIO: ELR_EL2
 * advanced by 4) is IO, a trapped WFI or system register is CPU; its kernel's own HVCs (HCR_EL2.VM clear)
 * are not traps.
 */
class NestedTrapCounterTest {
    private static final long GUEST = SystemRegisters.HCR_VM | SystemRegisters.HCR_IMO, HOST = SystemRegisters.HCR_IMO;
    private final TrapStats stats = new TrapStats();
    private final NestedTrapCounter counter = new NestedTrapCounter(stats);

    @Test
    void stageTwoFaultRetriedIsMemEmulatedIsIo() {
        long pc = 0x8000_1000L;
        counter.taken(Esr.encode(Esr.EC_DABT_LOW, 0x07), pc, GUEST);   // translation fault, level 3
        counter.taken(Esr.encode(Esr.EC_HVC64, 0), 0xffff_8000_0010_0000L, HOST); // the host kernel's kvm_call_hyp on the way
        counter.returned(0xffff_8000_0010_0004L, HOST);
        counter.returned(pc, GUEST);                                    // mapped: the load runs again
        counter.taken(Esr.encode(Esr.EC_DABT_LOW, Esr.ISS_ISV | 0x07), pc + 8, GUEST);
        counter.returned(pc + 12, GUEST);                               // emulated: skipped
        counter.taken(Esr.encode(Esr.EC_IABT_LOW, 0x07), pc + 0x1000, GUEST);
        counter.returned(pc + 0x1000, GUEST);
        assertEquals(2, stats.memTraps());
        assertEquals(1, stats.ioTraps());
        assertEquals(2, stats.exits(Esr.EC_DABT_LOW));
        assertEquals(1, stats.exits(Esr.EC_IABT_LOW));
        assertEquals(0, stats.exits(Esr.EC_HVC64), "the host's own call into its EL2 is not a guest's exit");
        assertEquals(1, stats.hostCalls());
    }

    @Test
    void otherSynchronousExceptionsAreCpuTrapsAndInterruptsApart() {
        counter.taken(Esr.encode(Esr.EC_WFX, 1), 0x1000, GUEST);
        counter.returned(0x1004, GUEST);
        counter.taken(Esr.encode(Esr.EC_SYS64, 0), 0x2000, GUEST);
        counter.returned(0x2004, GUEST);
        counter.taken(-1, 0x3000, GUEST);                               // an IRQ while the guest ran
        counter.returned(0x3000, GUEST);
        assertEquals(2, stats.cpuTraps());
        assertEquals(0, stats.memTraps() + stats.ioTraps());
        assertEquals(1, stats.interrupts());
        assertEquals(2, stats.totalExits());
    }
}
