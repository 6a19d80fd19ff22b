package org.jvisor.cpu;

import static org.jvisor.cpu.Fields.imm16;
import static org.jvisor.cpu.Fields.rt;

import java.lang.invoke.VarHandle;

/**
 * The system instruction space: exception generation (SVC/HVC/SMC/BRK/HLT), ERET, hints, barriers,
 * PSTATE writes, MRS/MSR and the SYS operations (DC, IC, TLBI, AT). Register accesses and SYS
 * operations go through {@link SysRegTable}, which knows every register's access rule.
 */
final class SystemInstructions {
    static final int SVC = 1, HVC = 2, SMC = 3, BRK = 4, HLT = 5, HINT = 6, MRS = 7, MSR_REG = 8, MSR_IMM = 9,
            SYS = 10, CLREX = 11, DSB = 12, DMB = 13, ISB = 14, ERET = 15;

    static final Encoding[] ENCODINGS = {
            new Encoding("SVC", "11010100000iiiiiiiiiiiiiiii00001", SVC),
            new Encoding("HVC", "11010100000iiiiiiiiiiiiiiii00010", HVC),
            new Encoding("SMC", "11010100000iiiiiiiiiiiiiiii00011", SMC),
            new Encoding("BRK", "11010100001iiiiiiiiiiiiiiii00000", BRK),
            new Encoding("HLT", "11010100010iiiiiiiiiiiiiiii00000", HLT),
            new Encoding("HINT", "11010101000000110010CCCCooo11111", HINT),
            new Encoding("CLREX", "11010101000000110011CCCC01011111", CLREX),
            new Encoding("DSB", "11010101000000110011CCCC10011111", DSB),
            new Encoding("DMB", "11010101000000110011CCCC10111111", DMB),
            new Encoding("ISB", "11010101000000110011CCCC11011111", ISB),
            new Encoding("MSR (immediate)", "1101010100000ooo0100CCCCppp11111", MSR_IMM),
            new Encoding("SYS", "1101010100001oooNNNNCCCCpppttttt", SYS),
            new Encoding("MSR (register)", "110101010001kkkkkkkkkkkkkkkttttt", MSR_REG),
            new Encoding("MRS", "110101010011kkkkkkkkkkkkkkkttttt", MRS),
            new Encoding("ERET", "11010110100111110000001111100000", ERET),
    };

    // Hints (CRm:op2) with behaviour; every other hint, allocated or not, executes as a NOP.
    static final int HINT_WFE = 2, HINT_WFI = 3, HINT_SEV = 4, HINT_SEVL = 5;

    private SystemInstructions() {}

    static void execute(Cpu cpu, int op, int insn) {
        int imm16 = imm16(insn);
        switch (op) {
            case SVC -> throw cpu.supervisorCall(imm16);
            case HVC -> {
                if (cpu.currentEl() == 0 || (cpu.sr.hcrEl2 & SystemRegisters.HCR_HCD) != 0) throw cpu.undefined();
                throw cpu.hypervisorCall(imm16);
            }
            case SMC -> {
                if (cpu.currentEl() == 0) throw cpu.undefined();
                // No EL3: HCR_EL2.TSC traps SMC from EL1 first; then the host's firmware, if any, serves it
                // in EL3's place (QEMU's order); else it is UNDEFINED.
                if (cpu.currentEl() == 1 && (cpu.sr.hcrEl2 & SystemRegisters.HCR_TSC) != 0)
                    throw cpu.trapToEl2(Esr.EC_SMC64, imm16);
                var firmware = cpu.firmware;
                if (firmware == null || !firmware.test(cpu.x[0])) throw cpu.undefined();
                cpu.requestExit(ExitReason.FIRMWARE_CALL);
            }
            case BRK -> throw cpu.syncException(cpu.syncTargetEl() == 0 ? 1 : debugTargetEl(cpu), Esr.EC_BRK64, imm16);
            case HLT -> throw cpu.undefined(); // halting debug is not enabled from software
            case HINT -> hint(cpu, (insn >>> 5) & 0x7f);
            case CLREX -> cpu.clearExclusiveMonitor();
            // Barriers order this thread's accesses as other processors' threads see them (the JIT may
            // reorder plain accesses; an x86 host may move a store after a later load). A DSB also waits
            // for this processor's broadcast TLB invalidations to be done on every processor.
            case DMB -> VarHandle.fullFence();
            case DSB -> {
                VarHandle.fullFence();
                cpu.mmu.completeBroadcasts();
            }
            case ISB -> {
                // Context changes (and code another processor changed) are seen by the next instruction:
                // the chunk ends. A load before the ISB stays before the loads after it.
                VarHandle.acquireFence();
                cpu.endChunk();
            }
            case MRS -> {
                int key = imm16, rt = rt(insn);
                SysReg r = SysRegTable.lookup(key);
                if (r == null || r.owner == SysRegTable.OWNER_OPS) throw SysRegTable.unallocated(cpu, key, rt, true);
                SysRegTable.checkAccess(cpu, r, rt, true);
                cpu.setX(rt, SysRegTable.read(cpu, r));
            }
            case MSR_REG, SYS -> {
                int key = imm16, rt = rt(insn);
                SysReg r = SysRegTable.lookup(key);
                if (r == null || (r.owner == SysRegTable.OWNER_OPS) != (op == SYS))
                    throw SysRegTable.unallocated(cpu, key, rt, false);
                SysRegTable.checkAccess(cpu, r, rt, false);
                SysRegTable.write(cpu, r, cpu.x[rt]);
            }
            case MSR_IMM -> msrImmediate(cpu, insn);
            case ERET -> {
                if (cpu.currentEl() == 0) throw cpu.undefined();
                cpu.exceptionReturn();
            }
            default -> throw cpu.undefined();
        }
    }

    private static void hint(Cpu cpu, int hint) {
        switch (hint) {
            case HINT_WFI -> {
                checkForWfxTrap(cpu, false);
                cpu.timer.poll(); // a timer that has fired since the last chunk is a pending interrupt now
                if (!cpu.interruptPending()) cpu.requestExit(ExitReason.WAIT_FOR_INTERRUPT);
            }
            case HINT_WFE -> {
                checkForWfxTrap(cpu, true);
                cpu.timer.poll();
                if (cpu.eventRegister) cpu.eventRegister = false; // an SEV racing with this merges with it
                // With the exclusive monitor armed this is a spin-wait for a store to the monitored location
                // (Linux's __cmpwait, spinlocks), whose event jvisor does not signal (it does not watch other
                // processors' stores): complete at once, as WFE may always. Otherwise the host sleeps until
                // an event, an interrupt or the event stream's next tick (see ExitReason.WAIT_FOR_INTERRUPT).
                else if (!cpu.interruptPending() && !cpu.exclusiveValid)
                    cpu.requestExit(ExitReason.WAIT_FOR_INTERRUPT);
            }
            case HINT_SEV -> cpu.bus.sendEvent();
            case HINT_SEVL -> cpu.eventRegister = true;
            default -> { } // NOP, YIELD, and the PAC/BTI/ESB/CSDB/PSB hints of features not advertised
        }
    }

    /**
     * AArch64.CheckForWFxTrap: SCTLR_EL1.nTWI/nTWE trap EL0 to EL1 (EL2 under HCR_EL2.TGE), then
     * HCR_EL2.TWI/TWE trap EL0 and EL1 to EL2. The syndrome has CV set, COND 0b1110 and TI (1 for WFE).
     */
    static void checkForWfxTrap(Cpu cpu, boolean wfe) {
        int el = cpu.currentEl();
        if (el == 2) return;
        int iss = Esr.wfxSyndrome(wfe);
        if (el == 0) {
            long bit = wfe ? SystemRegisters.SCTLR_NTWE : SystemRegisters.SCTLR_NTWI;
            if ((cpu.sr.sctlr[1] & bit) == 0) {
                int target = (cpu.sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0 ? 2 : 1;
                throw cpu.syncException(target, Esr.EC_WFX, iss);
            }
        }
        if ((cpu.sr.hcrEl2 & (wfe ? SystemRegisters.HCR_TWE : SystemRegisters.HCR_TWI)) != 0)
            throw cpu.trapToEl2(Esr.EC_WFX, iss);
    }

    /** MSR (immediate): the PSTATE fields DAIFSet, DAIFClr, SPSel and (with FEAT_PAN) PAN. */
    private static void msrImmediate(Cpu cpu, int insn) {
        int op1 = (insn >>> 16) & 7, crm = (insn >>> 8) & 15, op2 = (insn >>> 5) & 7;
        int field = (op1 << 3) | op2;
        int el = cpu.currentEl();
        switch (field) {
            case 0x1e, 0x1f -> { // DAIFSet (op1 3, op2 6), DAIFClr (op1 3, op2 7)
                if (el == 0 && (cpu.sr.sctlr[1] & SystemRegisters.SCTLR_UMA) == 0) {
                    int target = (cpu.sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0 ? 2 : 1;
                    int key = SysReg.key(0, op1, 4, crm, op2);
                    throw cpu.syncException(target, Esr.EC_SYS64, SysRegTable.syndrome(key, 31, false));
                }
                int bits = crm << 6;
                if (op2 == 6) cpu.daif |= bits;
                else {
                    cpu.daif &= ~bits;
                    cpu.endChunk(); // a pending interrupt that is now unmasked is taken before the next instruction
                }
            }
            case 0x05 -> { // SPSel
                if (el == 0) throw cpu.undefined();
                cpu.setElAndSpSel(el, crm & 1);
            }
            case 0x04 -> { // PAN
                if (!cpu.features.pan || el == 0) throw cpu.undefined();
                cpu.pan = (crm & 1) != 0;
                cpu.updateMmuIdx();
            }
            default -> throw cpu.undefined();
        }
    }

    /** The debug exception target: EL2 when MDCR_EL2.TDE or HCR_EL2.TGE routes it there, else EL1. */
    static int debugTargetEl(Cpu cpu) {
        if (cpu.currentEl() == 2) return 2;
        boolean tde = (cpu.sr.mdcrEl2 & (1L << 8)) != 0 || (cpu.sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0;
        return tde ? 2 : 1;
    }
}
