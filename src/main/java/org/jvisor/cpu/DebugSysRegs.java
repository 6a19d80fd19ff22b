package org.jvisor.cpu;

import static org.jvisor.cpu.SysRegTable.MDCR_TDA;
import static org.jvisor.cpu.SysRegTable.MDCR_TDOSA;
import static org.jvisor.cpu.SysRegTable.MDCR_TDRA;

import java.util.ArrayList;
import java.util.List;

/**
 * The self-hosted debug system registers (op0 2), stored in {@link DebugRegisters}: MDSCR_EL1, the
 * breakpoint and watchpoint registers, the OS lock and power-down registers, claim tags and the debug
 * communications channel status. MDCR_EL2.TDA, TDOSA and TDRA trap them to EL2. The debug behaviour
 * itself (step, breakpoints, watchpoints) is {@link Debug}'s, told of every write through {@link Debug#update}.
 */
final class DebugSysRegs {
    static final int MDSCR = 1, MDCCINT = 2, MDRAR = 3, OSLAR = 4, OSLSR = 5, OSDLR = 6, DBGPRCR = 7, CLAIMSET = 8,
            CLAIMCLR = 9, AUTHSTATUS = 10, MDCCSR = 11, OSDTRRX = 12, OSDTRTX = 13, OSECCR = 14, DBGDTR = 15,
            DBGDTRRX = 16,
            BVR0 = 32, BCR0 = 48, WVR0 = 64, WCR0 = 80;

    /** MDSCR_EL1 bits writable in ARMv8.0: SS, ERR?, TDCC, KDE, HDE(RO from software), MDE, TXfull/RXfull are RO. */
    static final long MDSCR_BITS = 1L | (1L << 12) | (1L << 13) | (1L << 15);
    /** DBGBCR: BT, LBN, SSC, HMC, BAS, PMC, E. */
    static final long BCR_BITS = (0xFL << 20) | (0xFL << 16) | (0x3L << 14) | (1L << 13) | (0xFL << 5) | (0x3L << 1) | 1L;
    /** DBGWCR: MASK, WT, LBN, SSC, HMC, BAS, LSC, PAC, E. */
    static final long WCR_BITS = (0x1FL << 24) | (1L << 20) | (0xFL << 16) | (0x3L << 14) | (1L << 13) | (0xFFL << 5)
            | (0x3L << 3) | (0x3L << 1) | 1L;

    static final SysReg[] REGISTERS = build();

    private DebugSysRegs() {}

    private static SysReg r(String name, int op0, int op1, int crn, int crm, int op2, int id) {
        return new SysReg(name, op0, op1, crn, crm, op2, id);
    }

    private static SysReg[] build() {
        List<SysReg> l = new ArrayList<>(List.of(
                r("OSDTRRX_EL1", 2, 0, 0, 0, 2, OSDTRRX).mdcr(MDCR_TDA).reset(0),
                r("MDCCINT_EL1", 2, 0, 0, 2, 0, MDCCINT).mdcr(MDCR_TDA).mask(1L << 30).reset(0),
                r("MDSCR_EL1", 2, 0, 0, 2, 2, MDSCR).mdcr(MDCR_TDA).mask(MDSCR_BITS).reset(0),
                r("OSDTRTX_EL1", 2, 0, 0, 3, 2, OSDTRTX).mdcr(MDCR_TDA).reset(0),
                r("OSECCR_EL1", 2, 0, 0, 6, 2, OSECCR).mdcr(MDCR_TDA).reset(0),
                r("MDRAR_EL1", 2, 0, 1, 0, 0, MDRAR).ro().mdcr(MDCR_TDRA),
                r("OSLAR_EL1", 2, 0, 1, 0, 4, OSLAR).wo().mdcr(MDCR_TDOSA).mask(1),
                r("OSLSR_EL1", 2, 0, 1, 1, 4, OSLSR).ro().mdcr(MDCR_TDOSA),
                r("OSDLR_EL1", 2, 0, 1, 3, 4, OSDLR).mdcr(MDCR_TDOSA).mask(1).reset(0),
                r("DBGPRCR_EL1", 2, 0, 1, 4, 4, DBGPRCR).mdcr(MDCR_TDOSA).mask(1).reset(0),
                r("DBGCLAIMSET_EL1", 2, 0, 7, 8, 6, CLAIMSET).mdcr(MDCR_TDA).mask(0xFF),
                r("DBGCLAIMCLR_EL1", 2, 0, 7, 9, 6, CLAIMCLR).mdcr(MDCR_TDA).mask(0xFF),
                r("DBGAUTHSTATUS_EL1", 2, 0, 7, 14, 6, AUTHSTATUS).ro().mdcr(MDCR_TDA),
                r("MDCCSR_EL0", 2, 3, 0, 1, 0, MDCCSR).ro().el0(SysReg.EL0_TDCC).mdcr(MDCR_TDA),
                // The debug communications channel has no external debugger behind it: nothing is ever
                // received (MDCCSR_EL0.RXfull stays 0) and what is sent is dropped (TXfull stays 0).
                r("DBGDTR_EL0", 2, 3, 0, 4, 0, DBGDTR).el0(SysReg.EL0_TDCC).mdcr(MDCR_TDA),
                // one encoding: MRS reads DBGDTRRX_EL0, MSR writes DBGDTRTX_EL0
                r("DBGDTRRX_EL0", 2, 3, 0, 5, 0, DBGDTRRX).el0(SysReg.EL0_TDCC).mdcr(MDCR_TDA)));
        for (int n = 0; n < DebugRegisters.BREAKPOINTS; n++) {
            l.add(r("DBGBVR" + n + "_EL1", 2, 0, 0, n, 4, BVR0 + n).mdcr(MDCR_TDA));
            l.add(r("DBGBCR" + n + "_EL1", 2, 0, 0, n, 5, BCR0 + n).mdcr(MDCR_TDA).mask(BCR_BITS));
        }
        for (int n = 0; n < DebugRegisters.WATCHPOINTS; n++) {
            l.add(r("DBGWVR" + n + "_EL1", 2, 0, 0, n, 6, WVR0 + n).mdcr(MDCR_TDA).mask(0xFFFFFFFFFFFFFFFCL));
            l.add(r("DBGWCR" + n + "_EL1", 2, 0, 0, n, 7, WCR0 + n).mdcr(MDCR_TDA).mask(WCR_BITS));
        }
        return l.toArray(new SysReg[0]);
    }

    static long read(Cpu cpu, int id) {
        DebugRegisters d = cpu.dbg;
        if (id >= WCR0) return d.wcr[id - WCR0];
        if (id >= WVR0) return d.wvr[id - WVR0];
        if (id >= BCR0) return d.bcr[id - BCR0];
        if (id >= BVR0) return d.bvr[id - BVR0];
        return switch (id) {
            case MDSCR -> d.mdscr;
            case MDCCINT -> d.mdccint;
            case MDRAR -> 0; // no memory-mapped debug ROM table
            case OSLSR -> d.oslsr;
            case OSDLR -> d.osdlr;
            case DBGPRCR -> d.dbgprcr;
            case CLAIMSET -> 0xFF; // the claim tags implemented
            case CLAIMCLR -> d.dbgclaim;
            // Non-secure invasive and non-invasive debug enabled; secure debug not implemented.
            case AUTHSTATUS -> 0x0A;
            case MDCCSR, OSDTRRX, OSDTRTX, OSECCR, DBGDTR, DBGDTRRX -> 0; // the debug communications channel is idle
            default -> throw new IllegalStateException("register id " + id);
        };
    }

    static void write(Cpu cpu, int id, long v) {
        DebugRegisters d = cpu.dbg;
        if (id >= WCR0) d.wcr[id - WCR0] = v;
        else if (id >= WVR0) d.wvr[id - WVR0] = v;
        else if (id >= BCR0) d.bcr[id - BCR0] = v;
        else if (id >= BVR0) d.bvr[id - BVR0] = v;
        else switch (id) {
            case MDSCR -> d.mdscr = v;
            case MDCCINT -> d.mdccint = v;
            case OSLAR -> {
                Debug.writeOslar(cpu, v);
                return;
            }
            case OSDLR -> d.osdlr = v;
            case DBGPRCR -> d.dbgprcr = v;
            case CLAIMSET -> d.dbgclaim |= v;
            case CLAIMCLR -> d.dbgclaim &= ~v;
            case OSDTRRX, OSDTRTX, OSECCR, DBGDTR, DBGDTRRX -> { }
            default -> throw new IllegalStateException("register id " + id);
        }
        Debug.update(cpu); // step, breakpoints and watchpoints may have been armed or disarmed
    }
}
