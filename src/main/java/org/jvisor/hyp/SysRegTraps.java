package org.jvisor.hyp;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.SysRegTable;

/**
 * EC 0x18: an MSR, MRS or SYS the trap configuration sent to EL2. As KVM does: SYS operations (TLBI,
 * DC, IC, AT) are performed for the guest (set/way maintenance is a no-op for a processor without
 * caches); ACTLR_EL1 (TACR) reads its value and ignores writes; a register the processor implements (the
 * MMU controls under TVM/TRVM...) is accessed for the guest; the IMPLEMENTATION DEFINED space (TIDCP) and
 * anything else is Undefined in the guest.
 */
final class SysRegTraps {
    private SysRegTraps() {}

    static int handle(Vcpu v, int iss) {
        v.stats.cpuTraps++;
        Cpu cpu = v.cpu;
        int rt = Esr.sysRt(iss);
        boolean read = Esr.sysRead(iss);
        int key = SysRegTable.keyOf(iss);
        v.stats.sysRegTrap(key);
        String name = SysRegTable.nameAt(key);
        if (name == null) {
            ExitHandlers.injectUndefined(v);
            return ExitHandlers.RESUME;
        }
        if (Esr.sysOp0(iss) == 1) {
            // SYS operations (TLBI under TTLB, DC/IC under TPCP/TPU, set/way under TSW): done for the guest,
            // in its own translation regime, as if untrapped; a fault they raise is the guest's (it goes on
            // at its vector) or, at stage 2, ours: handled like any other exit, and the operation retried.
            if (SysRegTable.performForGuest(cpu, key, cpu.x[rt])) return ExitHandlers.SKIP;
            return cpu.currentEl() == 2 ? ExitHandlers.exit(v, ExitHandlers.handle(v), ExitHandlers.RESUME) : ExitHandlers.RESUME;
        } else if (name.equals("ACTLR_EL1")) {
            if (read) cpu.setX(rt, SysRegTable.read(cpu, name));
        } else {
            try {
                if (!SysRegTable.accessForGuest(cpu, key, rt, read)) return ExitHandlers.RESUME; // it raised an exception
            } catch (IllegalArgumentException e) {
                ExitHandlers.injectUndefined(v);
                return ExitHandlers.RESUME;
            }
        }
        return ExitHandlers.SKIP;
    }
}
