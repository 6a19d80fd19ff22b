package org.jvisor.hyp;

import org.jvisor.cpu.El2Observer;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.cpu.SystemRegisters;

/**
 * Trap accounting for a guest that owns EL2 (its own KVM), with no patch to it: the processor reports every
 * exception taken to EL2 and every return from it, and this sorts them into the seeds' classes as
 * {@link ExitHandlers} does for jvisor's own exits.
 *
 * <ul>
 * <li>Taken while HCR_EL2.VM is set: a trap of the guest's guest (its stage 2 on). Counted per EC; a stage-2
 *     abort (EC 0x20, 0x24) is a MEM trap if the guest's hypervisor returns to the faulting instruction (it
 *     mapped the page and lets it retry) and an IO trap if it returns anywhere else (it emulated the access
 *     and skipped it, as KVM does for MMIO); anything else synchronous is a CPU trap; an interrupt is counted
 *     as one.
 * <li>Taken while VM is clear: the guest's own kernel calling its EL2 (non-VHE KVM's hypercalls into its hyp
 *     code, world switches included), counted apart: they are not traps of a guest.
 * </ul>
 */
final class NestedTrapCounter implements El2Observer {
    private final TrapStats stats;
    /** A stage-2 abort not yet classified, and its faulting PC (a kernel's VA: negative as a long). */
    private boolean abortPending;
    private long abortPc;

    NestedTrapCounter(TrapStats stats) { this.stats = stats; }

    @Override
    public void taken(long esr, long preferredReturn, long hcrEl2) {
        if ((hcrEl2 & SystemRegisters.HCR_VM) == 0) {
            stats.hostCalls++;
            return;
        }
        if (esr < 0) {
            stats.interrupts++;
            return;
        }
        int ec = Esr.ec(esr);
        stats.byEc[ec]++;
        if (ec == Esr.EC_DABT_LOW || ec == Esr.EC_IABT_LOW) {
            abortPending = true;
            abortPc = preferredReturn;
        } else {
            stats.cpuTraps++;
        }
    }

    @Override
    public void returned(long target, long hcrEl2) {
        if (!abortPending || (hcrEl2 & SystemRegisters.HCR_VM) == 0) return;
        if (target == abortPc) stats.memTraps++;
        else stats.ioTraps++;
        abortPending = false;
    }

    /** A stage-2 abort the guest's hypervisor has not returned from yet is counted when it does, after a restore too. */
    void saveState(StateWriter w) {
        w.tag("nested trap counter").putBoolean(abortPending).putLong(abortPc);
    }

    void restoreState(StateReader r) {
        r.tag("nested trap counter");
        abortPending = r.getBoolean();
        abortPc = r.getLong();
    }
}
