package org.jvisor.hyp;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.SysRegTable;

/**
 * The exit handlers, one per ESR_EL2 exception class (KVM's arm_exit_handlers[] in handle_exit.c), and
 * the trap accounting done on the way. A class nobody handles stops the vCPU with an internal error.
 */
final class ExitHandlers {
    private static final ExitHandler[] TABLE = new ExitHandler[64];

    static {
        java.util.Arrays.fill(TABLE, (ExitHandler) ExitHandlers::unhandled);
        TABLE[Esr.EC_WFX] = ExitHandlers::wfx;
        TABLE[Esr.EC_FP_ASIMD] = ExitHandlers::fpAccess;
        TABLE[Esr.EC_HVC64] = ExitHandlers::hvc;
        TABLE[Esr.EC_SMC64] = ExitHandlers::smc;
        TABLE[Esr.EC_SYS64] = SysRegTraps::handle;
        TABLE[Esr.EC_IABT_LOW] = Stage2Faults::instructionAbort;
        TABLE[Esr.EC_DABT_LOW] = Stage2Faults::dataAbort;
        TABLE[Esr.EC_BREAKPT_LOW] = ExitHandlers::debug;
        TABLE[Esr.EC_SOFTSTP_LOW] = ExitHandlers::debug;
        TABLE[Esr.EC_WATCHPT_LOW] = ExitHandlers::debug;
        TABLE[Esr.EC_BRK64] = ExitHandlers::debug;
    }

    private ExitHandlers() {}

    /**
     * What a handler asks for. RESUME: the guest goes on at the trap's preferred return (retrying a
     * trapped instruction or a faulting access; after an HVC, whose preferred return is the next
     * instruction). SKIP: after the trapped instruction, which the hypervisor emulated (KVM's
     * kvm_incr_pc). EXIT, added to either: the caller must see the exit the handler left with {@link #exit}.
     */
    static final int RESUME = 0, SKIP = 1, EXIT = 2;

    /** Dispatches the trap the processor just took to EL2. */
    static VcpuExit handle(Vcpu v) {
        Cpu cpu = v.cpu;
        long esr = cpu.sr.esr[2];
        boolean synchronous = (cpu.lastVectorOffset & 0x180) == 0;
        // The one exception return of an exit: handlers work in the guest's context (its PC, PSTATE and EL,
        // as the vCPU's accessors, a WFI's sleep and an injected exception need them).
        cpu.exceptionReturn();
        // A physical IRQ/FIQ/SError routed to EL2 (IMO/FMO/AMO) writes no syndrome: the host has
        // nothing to do for it here, the guest goes on.
        if (!synchronous) return null;
        int ec = Esr.ec(esr);
        v.stats.byEc[ec]++;
        return complete(v, TABLE[ec].handle(v, Esr.iss(esr)));
    }

    /** Carries out an outcome: the PC moved past the emulated instruction once, here; the exit for the caller, if any. */
    static VcpuExit complete(Vcpu v, int outcome) {
        if ((outcome & SKIP) != 0) v.cpu.pc += 4;
        if ((outcome & EXIT) == 0) return null;
        VcpuExit e = v.pendingExit;
        v.pendingExit = null;
        return e;
    }

    /** The outcome {@code resume} (RESUME or SKIP), with {@code e} for the caller unless it is null. */
    static int exit(Vcpu v, VcpuExit e, int resume) {
        if (e == null) return resume;
        v.pendingExit = e;
        return resume | EXIT;
    }

    /** WFI sleeps the vCPU thread until an interrupt or a kick; WFE (when trapped) until an event too. */
    private static int wfx(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        if (!Esr.wfxIsWfe(iss)) return exit(v, v.waitForInterrupt(), SKIP);
        // A spin-wait for a store (exclusive monitor armed), whose event jvisor does not signal: yield, as KVM does.
        if (v.cpu.exclusiveValid) {
            Thread.yield();
            return SKIP;
        }
        return exit(v, v.waitForEvent(), SKIP);
    }

    /**
     * CPTR_EL2.TFP trapped an FP/SIMD instruction. A host doing lazy FP switching gives the guest its FP
     * registers: the trap is lifted for good. A trap configuration with TFP traps every such instruction:
     * the vCPU runs this one alone with the trap lifted, then sets it again (the "emulation" is the processor's
     * own execution, with the cost of the exit counted).
     */
    private static int fpAccess(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        v.cpu.sr.cptrEl2 &= ~SysRegTable.CPTR_TFP;
        if ((v.vm().trapConfig().cptr() & SysRegTable.CPTR_TFP) != 0) v.fpStep = true;
        return RESUME;
    }

    /** HVC: the preferred return is the instruction after the call. */
    private static int hvc(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        return serviceCall(v, Esr.imm16(iss), false, RESUME);
    }

    /** SMC trapped by HCR_EL2.TSC: the preferred return is the SMC itself. */
    private static int smc(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        return serviceCall(v, Esr.imm16(iss), true, SKIP);
    }

    /** SMCCC: #0 calls are PSCI or a registered hypercall (else NOT_SUPPORTED); other immediates go to the caller. */
    static int serviceCall(Vcpu v, int imm, boolean smc, int resume) {
        Cpu cpu = v.cpu;
        if (imm != 0) {
            return exit(v, v.hypercallExit.set(imm, smc, cpu.x), resume);
        }
        int fid = (int) cpu.x[0];
        if (Psci.owns(fid)) return exit(v, Psci.call(v, fid), resume);
        if (fid == Vcpu.VIEW_SWITCH) {
            GuestStage2 g = cpu.x[1] >= 0 && cpu.x[1] < 256 ? v.vm().stage2View((int) cpu.x[1]) : null;
            if (g != null) v.switchView(g);
            cpu.x[0] = g != null ? Psci.SUCCESS : Psci.INVALID_PARAMETERS;
            return resume;
        }
        HypercallHandler h = v.vm().hypercall(fid);
        if (h != null) h.handle(v);
        else cpu.x[0] = Psci.NOT_SUPPORTED;
        return resume;
    }

    private static int debug(Vcpu v, int iss) {
        return exit(v, new VcpuExit.Debug(Esr.ec(v.cpu.sr.esr[2]), v.cpu.pc), RESUME);
    }

    private static int unhandled(Vcpu v, int iss) {
        long esr = v.cpu.sr.esr[2];
        return exit(v, v.die(String.format("unhandled exit: exception class 0x%02x, ESR_EL2 0x%x, at PC 0x%x",
                Esr.ec(esr), esr, v.cpu.sr.elr[2])), RESUME);
    }

    // ---- injection into the guest (the processor back in guest context) ------------------------------

    /**
     * Makes the guest (PC at the trapped instruction) take Undefined Instruction to EL1, returning to that
     * instruction; the handler then returns RESUME: the guest goes on at its vector.
     */
    static void injectUndefined(Vcpu v) {
        v.cpu.takeException(1, Cpu.VECT_SYNC, v.cpu.pc, Esr.encode(Esr.EC_UNKNOWN, 0));
    }

    /**
     * Makes the guest (PC at the access) take a synchronous external abort to EL1, as a bus that nobody
     * answers gives: data abort with WnR, or instruction abort; FAR_EL1 is the address. As for
     * {@link #injectUndefined}, the guest resumes at its vector.
     */
    static void injectExternalAbort(Vcpu v, boolean data, boolean write, long far) {
        Cpu cpu = v.cpu;
        boolean fromEl0 = cpu.currentEl() == 0;
        int ec = data ? (fromEl0 ? Esr.EC_DABT_LOW : Esr.EC_DABT_CUR) : (fromEl0 ? Esr.EC_IABT_LOW : Esr.EC_IABT_CUR);
        int iss = Esr.FSC_SYNC_EXTERNAL | (data && write ? Esr.ISS_WNR : 0);
        cpu.sr.far[1] = far;
        cpu.takeException(1, Cpu.VECT_SYNC, cpu.pc, Esr.encode(ec, iss));
    }

    static String sysRegName(int key) { return SysRegTable.nameAt(key); }
}
