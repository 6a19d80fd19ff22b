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

    /** Dispatches the trap the processor just took to EL2. */
    static VcpuExit handle(Vcpu v) {
        Cpu cpu = v.cpu;
        if ((cpu.lastVectorOffset & 0x180) != 0) {
            // A physical IRQ/FIQ/SError routed to EL2 (IMO/FMO/AMO) writes no syndrome: the host has
            // nothing to do for it here, the guest goes on.
            cpu.exceptionReturn();
            return null;
        }
        long esr = cpu.sr.esr[2];
        int ec = Esr.ec(esr);
        v.stats.byEc[ec]++;
        return TABLE[ec].handle(v, Esr.iss(esr));
    }

    /** WFI sleeps the vCPU thread until an interrupt or a kick; WFE (when trapped) until an event too. */
    private static VcpuExit wfx(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        v.cpu.sr.elr[2] += 4;
        v.cpu.exceptionReturn();
        if (!Esr.wfxIsWfe(iss)) return v.waitForInterrupt();
        // A spin-wait for a store (exclusive monitor armed), whose event jvisor does not signal: yield, as KVM does.
        if (v.cpu.exclusiveValid) {
            Thread.yield();
            return null;
        }
        return v.waitForEvent();
    }

    /** CPTR_EL2.TFP trapped FP/SIMD (a host doing lazy FP switching): give the guest its FP registers. */
    private static VcpuExit fpAccess(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        v.cpu.sr.cptrEl2 &= ~(1L << 10);
        v.cpu.exceptionReturn();
        return null;
    }

    /** HVC: ELR_EL2 already points after the call. */
    private static VcpuExit hvc(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        v.cpu.exceptionReturn();
        return serviceCall(v, Esr.imm16(iss), false);
    }

    /** SMC trapped by HCR_EL2.TSC: ELR_EL2 points at the SMC itself. */
    private static VcpuExit smc(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        v.cpu.sr.elr[2] += 4;
        v.cpu.exceptionReturn();
        return serviceCall(v, Esr.imm16(iss), true);
    }

    /** SMCCC: #0 calls are PSCI or a registered hypercall (else NOT_SUPPORTED); other immediates go to the caller. */
    private static VcpuExit serviceCall(Vcpu v, int imm, boolean smc) {
        Cpu cpu = v.cpu;
        if (imm != 0) {
            return v.hypercallExit.set(imm, smc, cpu.x);
        }
        int fid = (int) cpu.x[0];
        if (Psci.owns(fid)) return Psci.call(v, fid);
        if (fid == Vcpu.VIEW_SWITCH) {
            GuestStage2 g = cpu.x[1] >= 0 && cpu.x[1] < 256 ? v.vm().stage2View((int) cpu.x[1]) : null;
            if (g != null) v.switchView(g);
            cpu.x[0] = g != null ? Psci.SUCCESS : Psci.INVALID_PARAMETERS;
            return null;
        }
        HypercallHandler h = v.vm().hypercall(fid);
        if (h != null) h.handle(v);
        else cpu.x[0] = Psci.NOT_SUPPORTED;
        return null;
    }

    private static VcpuExit debug(Vcpu v, int iss) {
        int ec = Esr.ec(v.cpu.sr.esr[2]);
        v.cpu.exceptionReturn();
        return new VcpuExit.Debug(ec, v.cpu.pc);
    }

    private static VcpuExit unhandled(Vcpu v, int iss) {
        long esr = v.cpu.sr.esr[2];
        return v.die(String.format("unhandled exit: exception class 0x%02x, ESR_EL2 0x%x, at PC 0x%x",
                Esr.ec(esr), esr, v.cpu.sr.elr[2]));
    }

    // ---- injection into the guest (the processor back in guest context) ------------------------------

    /** Makes the guest take Undefined Instruction at the trapped instruction (called at EL2). */
    static void injectUndefined(Vcpu v) {
        v.cpu.injectException(Cpu.VECT_SYNC, Esr.encode(Esr.EC_UNKNOWN, 0));
    }

    /**
     * Makes the guest (already resumed, PC at the access) take a synchronous external abort to EL1, as a
     * bus that nobody answers gives: data abort with WnR, or instruction abort; FAR_EL1 is the address.
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
