package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.EnumSet;
import java.util.Set;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.SystemRegisters;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The trap levels: which control traps which instruction (the Arm ARM's rules for HCR_EL2, MDCR_EL2,
 * CPTR_EL2 and CNTHCTL_EL2), and Popek and Goldberg's equivalence property for the emulation: a program
 * ends with the same architectural state whether nothing or everything traps.
 */
@NeedsCross
class TrapConfigTest {
    /**
     * One access per trap control, each result in its own register; CNTPCT_EL0 (a count that moves) is read
     * but only its monotonicity kept. WFE after SEVL finds the event and does not sleep.
     */
    private static final String PROGRAM = """
            adr x0, vectors
            msr vbar_el1, x0
            isb
            mrs x1, revidr_el1          // TID1
            mrs x2, ctr_el0             // TID2
            mrs x3, id_aa64mmfr0_el1    // TID3
            mrs x4, actlr_el1           // TACR
            mrs x5, sctlr_el1           // TRVM
            msr sctlr_el1, x5           // TVM
            tlbi vmalle1                // TTLB
            mov x6, #0x40000000
            add x6, x6, #0x1000
            dc civac, x6                // TPCP
            ic iallu                    // TPU
            dc zva, x6                  // TDZ: with the MMU off, Device memory: an alignment fault (to the handler)
            mov x7, x18                 // its ESR_EL1
            sevl
            wfe                         // TWE
            mrs x8, pmcr_el0            // TPMCR
            mrs x9, pmuserenr_el0       // TPM
            mrs x10, mdscr_el1          // TDA
            mrs x11, oslsr_el1          // TDOSA
            mrs x12, mdrar_el1          // TDRA
            mrs x13, cpacr_el1          // TCPAC
            mrs x14, cntpct_el0         // EL1PCTEN
            mrs x15, cntpct_el0
            cmp x15, x14
            cset x14, hs
            mov x15, #0
            msr cntp_ctl_el0, x15       // EL1PCEN
            mrs x16, cntp_ctl_el0
            fmov d0, #1.0               // TFP, four times
            fmov d1, #2.0
            fadd d2, d0, d1
            fmov x17, d2
            """ + OFF + """
            .balign 2048
            vectors:
            .skip 0x200
            mrs x18, esr_el1            // current EL, SP_ELx, synchronous: note the syndrome, skip the instruction
            mrs x19, elr_el1
            add x19, x19, #4
            msr elr_el1, x19
            eret
            """;

    private static Guest run(Set<TrapConfig.Trap> traps) {
        Guest g = new Guest(PROGRAM);
        g.vm.trapConfig().traps(traps);
        g.vcpu.setRegister("CPACR_EL1", 3L << 20);
        VcpuExit e = g.vcpu.run();
        assertTrue(isShutdown(e), e + " at " + Long.toHexString(g.vcpu.pc()) + " under " + traps);
        return g;
    }

    @Test
    void everyTrapIsEmulatedTransparently() {
        Guest none = run(TrapConfig.MINIMAL), all = run(TrapConfig.ALL);
        for (int r = 1; r <= 18; r++) assertEquals(none.vcpu.x(r), all.vcpu.x(r), "X" + r);
        assertEquals(1, all.vcpu.x(14), "CNTPCT_EL0 read twice does not go backwards");
        assertEquals(Esr.EC_DABT_CUR, Esr.ec(all.vcpu.x(7)), "DC ZVA to Device memory faults at EL1, emulated or not");
        assertEquals(0x21, all.vcpu.x(7) & 0x3F, "an alignment fault (DFSC 0b100001)");
        assertEquals(Double.doubleToLongBits(3.0), all.vcpu.x(17));
        assertEquals(none.vcpu.register("SCTLR_EL1"), all.vcpu.register("SCTLR_EL1"));
    }

    @Test
    void eachControlTrapsItsInstructionsAndNothingTrapsWithoutThem() {
        Guest none = run(TrapConfig.MINIMAL), all = run(TrapConfig.ALL);
        TrapStats n = none.vcpu.stats(), a = all.vcpu.stats();
        assertEquals(0, n.exits(Esr.EC_SYS64) + n.exits(Esr.EC_WFX) + n.exits(Esr.EC_FP_ASIMD));
        // MRS/MSR/SYS: 6 ID and control reads/writes, TLBI, DC CIVAC twice (its first try meets the page's
        // stage-2 fault, which the hypervisor fills before the retry: a trap, a fault, a trap), IC IALLU,
        // DC ZVA, ESR_EL1 in the handler (TRVM), 5 PMU and debug registers, CPACR, 2 CNTPCT, 2 CNTP_CTL: 22
        // (EC 0x18; the Arm ARM's HCR_EL2, MDCR_EL2, CPTR_EL2 and CNTHCTL_EL2 descriptions list each one).
        assertEquals(22, a.exits(Esr.EC_SYS64));
        assertEquals(1, a.exits(Esr.EC_WFX), "WFE under TWE, even with the event set");
        assertEquals(4, a.exits(Esr.EC_FP_ASIMD), "CPTR_EL2.TFP: every FP/SIMD instruction, not only the first");
        assertEquals(1, n.exits(Esr.EC_HVC64));
        assertEquals(n.cpuTraps() + 22 + 1 + 4, a.cpuTraps());
        assertEquals(2L, a.sysRegTraps().get("DC CIVAC"));
        assertEquals(2L, a.sysRegTraps().get("SCTLR_EL1"), "MRS and MSR");
        assertEquals(18, a.sysRegTraps().size(), "22 traps, four registers twice");
    }

    @Test
    void kvmLevelIsKvmsHcrAndTouchesNoOtherRegister() {
        Guest g = new Guest(OFF);
        long mdcr = g.vcpu.cpu.sr.mdcrEl2, cptr = g.vcpu.cpu.sr.cptrEl2, cnthctl = g.vcpu.cpu.sr.cnthctlEl2;
        g.vm.trapConfig().traps(TrapConfig.KVM);
        assertEquals(TrapConfig.KVM_DEFAULT, g.vm.trapConfig().hcr());
        assertEquals(TrapConfig.KVM, g.vm.trapConfig().traps());
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(mdcr, g.vcpu.cpu.sr.mdcrEl2);
        assertEquals(cptr, g.vcpu.cpu.sr.cptrEl2);
        assertEquals(cnthctl, g.vcpu.cpu.sr.cnthctlEl2);
    }

    @Test
    void parsesLevelsAndChanges() {
        assertEquals(TrapConfig.KVM, TrapConfig.parse("kvm"));
        assertEquals(TrapConfig.ALL, TrapConfig.parse("ALL"));
        assertEquals(Set.of(), TrapConfig.parse("minimal"));
        assertEquals(EnumSet.of(TrapConfig.Trap.TWI, TrapConfig.Trap.TSC, TrapConfig.Trap.TIDCP, TrapConfig.Trap.TACR,
                TrapConfig.Trap.TVM), TrapConfig.parse("kvm,+tvm,-TSW"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrapConfig.parse("most")).getMessage().contains("minimal, kvm or all"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrapConfig.parse("kvm,+TXX")).getMessage().contains("TXX"));
        assertThrows(IllegalArgumentException.class, () -> TrapConfig.parse("kvm,TVM"));
        assertThrows(IllegalArgumentException.class, () -> TrapConfig.parse("kvm,"));
    }

    @Test
    void hcrSetAndClearShowInTheTraps() {
        TrapConfig c = new TrapConfig();
        c.set(SystemRegisters.HCR_TVM);
        assertTrue(c.traps().contains(TrapConfig.Trap.TVM));
        c.traps(TrapConfig.ALL).clear(SystemRegisters.HCR_TWI);
        assertFalse(c.traps().contains(TrapConfig.Trap.TWI));
        assertTrue(c.traps().contains(TrapConfig.Trap.TFP));
    }
}
