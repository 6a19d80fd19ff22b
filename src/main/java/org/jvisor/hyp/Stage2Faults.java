package org.jvisor.hyp;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;

/**
 * EC 0x20/0x24: instruction and data aborts from stage 2. A fault on an IPA inside a memory slot maps
 * that page (a MEM trap: "fault, capture, map, run") and retries the access; a data access anywhere
 * else is MMIO (an IO trap); an instruction fetch or a stage-1 table walk outside RAM gets an external
 * abort, as KVM injects.
 */
final class Stage2Faults {
    private Stage2Faults() {}

    static int instructionAbort(Vcpu v, int iss) {
        return abort(v, iss, false);
    }

    static int dataAbort(Vcpu v, int iss) {
        return abort(v, iss, true);
    }

    /**
     * Maps the RAM page (or 2 MiB block, see {@link Vm#setStage2Blocks}) around {@code ipa} of {@code slot}
     * in the vCPU's view, unless something already maps it there: another vCPU may have faulted on the
     * same page, or HideSeek mapped it and hid a byte in its descriptor, which a new mapping would lose.
     */
    static void mapRam(Vcpu v, MemorySlot slot, long ipa) {
        GuestStage2 view = v.stage2View();
        synchronized (view.table()) {
            if (view.table().lookup(ipa) != 0) return;
            long block = ipa & ~0x1fffffL;
            if (v.vm().stage2Blocks() && slot.contains(block) && slot.contains(block + 0x1fffffL)
                    && (slot.hostAddress(block) & 0x1fffffL) == 0) {
                view.mapBlock(block, slot.hostAddress(block));
            } else {
                long page = ipa & ~0xfffL;
                view.mapPage(page, slot.hostAddress(page));
            }
        }
    }

    private static int abort(Vcpu v, int iss, boolean data) {
        Cpu cpu = v.cpu;
        long far = cpu.sr.far[2];
        long ipa = ((cpu.sr.hpfarEl2 >>> 4) << 12) | (far & 0xfff);
        int fsc = Esr.fscType(iss);
        MemorySlot slot = v.vm().slotAt(ipa);
        if (slot != null) {
            if (fsc == Esr.FSC_PERMISSION && !data) {
                // Stage 2 takes execute permission from RAM only when a guest hid a byte with XN set in
                // the descriptor (HideSeek): the guest cannot be told of a stage-2 fault, and granting
                // execution again (as KVM's lazy cache maintenance would) would change the hidden byte.
                // It gets what an access nobody can satisfy gets, an external abort at the fetch.
                ExitHandlers.injectExternalAbort(v, false, false, far);
                return ExitHandlers.RESUME;
            }
            if (fsc != Esr.FSC_TRANSLATION && fsc != Esr.FSC_ACCESS_FLAG)
                return ExitHandlers.exit(v, v.die(String.format("stage-2 fault 0x%02x on RAM at IPA 0x%x (PC 0x%x)",
                        Esr.fsc(iss), ipa, cpu.sr.elr[2])), ExitHandlers.RESUME);
            mapRam(v, slot, ipa);
            v.stats.memTraps++;
            return ExitHandlers.RESUME;
        }
        boolean s1ptw = Esr.s1ptw(iss);
        if (!data || s1ptw || fsc != Esr.FSC_TRANSLATION) {
            ExitHandlers.injectExternalAbort(v, data, Esr.wnr(iss) && !s1ptw, far);
            return ExitHandlers.RESUME;
        }
        v.stats.ioTraps++;
        return v.mmio.start(ipa, far, iss);
    }
}
