package org.jvisor.cpu;

/**
 * A processor's architectural state in a snapshot ({@link Cpu#saveState}, {@link Cpu#restoreState}): the
 * general-purpose, SIMD&amp;FP and special-purpose registers, PSTATE, every system register (with those of the
 * debug registers, the generic timer, the PMU and the virtual GIC CPU interface), the exclusive monitor, the
 * event register, the pending interrupt inputs and the instruction count.
 *
 * <p>Deliberately not saved, because a restored processor rebuilds it or because it is not the processor's:
 * <ul>
 * <li>caches: the soft TLB, the architectural TLB model ({@link ArchTlb}: a TLB may lose entries at any time),
 *     the current code page and its decoded slots, translated code; flushed at restore as a context switch
 *     would, and {@link Cpu#mmuIdx}, the banked SP index, {@link Cpu#debugActive}, the PMU's activity and the virtual interrupt lines are recomputed from the registers;
 * <li>what lives within one instruction or one {@link Cpu#run}: the pending exit, the stop and break requests,
 *     the scratch of paired accesses, the MMU's last-walk fields, the step-in-progress and watchpoint-hit
 *     flags of {@link DebugRegisters}, remote TLB invalidations (applied before a processor stops);
 * <li>the configuration a machine builds its processors with (and restores into the same): the features
 *     (checked to match), who owns EL2 and EL1, the firmware and observers, translation on or off, the GIC
 *     CPU interface attached (checked to match; its ICC state is the interrupt controller's to save);
 * <li>the host's debugger ({@link HostDebug}): a GDB session is not part of the guest;
 * <li>{@link ExceptionLoopWatch}: a diagnosis of a guest stuck in a loop starts afresh;
 * <li>the count of instructions run translated: a statistic of this host run.
 * </ul>
 */
final class CpuState {
    private CpuState() {}

    static void save(Cpu c, StateWriter w) {
        w.tag("cpu");
        Features f = c.features;
        w.putLong(f.idAa64Isar0()).putLong(f.idAa64Mmfr0()).putLong(f.idAa64Mmfr1());
        w.putInt(gicKind(c));
        w.putLongs(c.x).putLongs(c.vreg).putInt(c.fpcr).putInt(c.fpsr);
        for (int el = 0; el <= 2; el++) w.putLong(c.getSpEl(el));
        w.putLong(c.pc).putLong(c.insnPc);
        w.putInt(c.el).putInt(c.spsel).putInt(c.nzcv()).putInt(c.daif);
        w.putBoolean(c.ss).putBoolean(c.il).putBoolean(c.pan);
        w.putLong(c.instret).putInt(c.lastVectorOffset);
        w.putBoolean(c.exclusiveValid).putLong(c.exclusiveAddress).putInt(c.exclusiveSize)
                .putLong(c.exclusiveValue).putLong(c.exclusiveValueHigh);
        w.putBoolean(c.eventRegister);
        w.putBoolean(c.irqLine()).putBoolean(c.fiqLine()).putBoolean(c.serrorLine());
        c.sr.saveState(w);
        c.dbg.saveState(w);
        c.timer.saveState(w);
        c.pmu.saveState(w);
        if (c.gicVirtualInterface() != null) c.gicVirtualInterface().saveState(w);
    }

    static void restore(Cpu c, StateReader r) {
        if (c.isRunning()) throw new IllegalStateException("restoring a running processor");
        r.tag("cpu");
        Features f = c.features;
        if (r.getLong() != f.idAa64Isar0() | r.getLong() != f.idAa64Mmfr0() | r.getLong() != f.idAa64Mmfr1())
            throw new StateException("the state is of a processor with other features");
        if (r.getInt() != gicKind(c)) throw new StateException("the state is of a processor with another GIC CPU interface");
        r.getLongs(c.x);
        if (c.x[31] != 0) throw new StateException("the zero register is not zero");
        r.getLongs(c.vreg);
        c.fpcr = (int) SystemRegisters.within(r.getInt() & 0xFFFF_FFFFL, FpRegisters.FPCR_MASK, "FPCR");
        c.fpsr = (int) SystemRegisters.within(r.getInt() & 0xFFFF_FFFFL, FpRegisters.FPSR_MASK, "FPSR");
        long[] sp = {r.getLong(), r.getLong(), r.getLong()};
        c.pc = r.getLong();
        c.insnPc = r.getLong();
        int el = r.getInt(0, 2, "exception level"); // no EL3
        int spsel = r.getInt(0, 1, "PSTATE.SP");
        if (el == 0 && spsel == 1) throw new StateException("PSTATE.SP is 1 at EL0");
        c.setNzcv(r.getInt(0, 15, "PSTATE.NZCV"));
        c.daif = (int) SystemRegisters.within(r.getInt(), Cpu.DAIF_D | Cpu.DAIF_A | Cpu.DAIF_I | Cpu.DAIF_F, "PSTATE.DAIF");
        c.ss = r.getBoolean();
        c.il = r.getBoolean();
        c.pan = r.getBoolean();
        if (c.pan && !f.pan) throw new StateException("PSTATE.PAN is set on a processor without PAN");
        c.instret = r.getLong();
        c.lastVectorOffset = r.getInt(0, 0x780, "the last exception's vector offset");
        c.exclusiveValid = r.getBoolean();
        c.exclusiveAddress = r.getLong();
        c.exclusiveSize = r.getInt(0, 16, "the exclusive monitor's size");
        if (Integer.bitCount(c.exclusiveSize) > 1) throw new StateException("the exclusive monitor's size is " + c.exclusiveSize);
        c.exclusiveValue = r.getLong();
        c.exclusiveValueHigh = r.getLong();
        c.eventRegister = r.getBoolean();
        c.setIrqLine(r.getBoolean());
        c.setFiqLine(r.getBoolean());
        c.setSErrorLine(r.getBoolean());
        c.sr.restoreState(r);
        c.dbg.restoreState(r);
        c.timer.restoreState(r);
        c.pmu.restoreState(r);
        if (c.gicVirtualInterface() != null) c.gicVirtualInterface().restoreState(r);

        // The banked SP and everything derived from PSTATE and the registers, as after a context switch.
        c.setElAndSpSel(el, spsel);
        for (int i = 0; i <= 2; i++) c.setSpEl(i, sp[i]);
        c.updateMmuIdx();
        c.mmu.reset();
        c.tlbFlush();
        c.restoredRunState();
        Debug.update(c);
        c.pmu.configChanged();
    }

    /** 0: no GIC CPU interface; 1: a GICv3's (with its virtual interface); 2: a GICv2's virtual interface. */
    private static int gicKind(Cpu c) {
        if (c.gicCpuInterface() != null) return 1;
        return c.gicVirtualInterface() != null ? 2 : 0;
    }
}
