package org.jvisor.lab;

import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.SysRegTable;
import org.jvisor.lab.SystemInstruction.Operand;

/**
 * The A64 system space enumerated: MRS and MSR of every register, and every SYS operation, of the processor's
 * system register table (so that a register added there is classified without a change here); every
 * MSR (immediate) PSTATE field encoding; the hints, barriers, exception-generating instructions, ERET, and
 * every size and sign variant of LDTR/STTR. Only encodings are listed: nothing says how an instruction
 * behaves. {@link Classifier} keeps the MSR (immediate) fields and LDTR/STTR variants that the processor
 * does not UNDEFINE at every EL, so the processor itself decides which of those it implements.
 */
public final class SystemSpace {
    static final int MRS = 0xD5200000, MSR_REGISTER = 0xD5000000, MSR_IMMEDIATE = 0xD500401F, HINT = 0xD503201F;
    static final int XZR = 31;

    private SystemSpace() {}

    public static List<SystemInstruction> instructions() {
        List<SystemInstruction> l = new ArrayList<>();
        for (SysRegTable.Entry e : SysRegTable.entries()) {
            int field = e.key() << 5;
            if (e.operation()) {
                Operand op = sysOperand(e.name());
                int rt = op == Operand.NONE ? XZR : 0;
                l.add(new SystemInstruction(e.name() + (rt == XZR ? "" : ", X0"), SystemInstruction.SYS,
                        MSR_REGISTER | field | rt, op, e.name()));
                continue;
            }
            if (e.readable())
                l.add(new SystemInstruction("MRS X0, " + e.name(), SystemInstruction.MRS, MRS | field, Operand.NONE, e.name()));
            if (e.writable())
                l.add(new SystemInstruction("MSR " + e.name() + ", X0", SystemInstruction.MSR, MSR_REGISTER | field,
                        Operand.NEW_VALUE, e.name()));
        }
        for (int op1 = 0; op1 < 8; op1++) {
            for (int op2 = 0; op2 < 8; op2++) {
                String name = pstateField(op1, op2);
                int crm = switch (name) {
                    case "DAIFSet" -> 0x5; // A and F: the machine runs with D and I masked, A and F not
                    case "DAIFClr" -> 0xA; // D and I
                    case "SPSel" -> 0; // EL1 runs on SP_EL1
                    case "PAN" -> 0; // EL1 runs with PAN set where there is PAN (Linux's, the strictest)
                    default -> 1;
                };
                l.add(new SystemInstruction("MSR " + name + ", #" + crm, SystemInstruction.MSR_IMMEDIATE,
                        MSR_IMMEDIATE | op1 << 16 | crm << 8 | op2 << 5, Operand.NONE, null));
            }
        }
        String[] hints = {"NOP", "YIELD", "WFE", "WFI", "SEV", "SEVL"};
        for (int i = 0; i < hints.length; i++)
            l.add(new SystemInstruction(hints[i], SystemInstruction.HINT, HINT | i << 5, Operand.NONE, null));
        l.add(new SystemInstruction("CLREX", SystemInstruction.BARRIER, 0xD5033F5F, Operand.NONE, null));
        l.add(new SystemInstruction("DSB SY", SystemInstruction.BARRIER, 0xD5033F9F, Operand.NONE, null));
        l.add(new SystemInstruction("DMB SY", SystemInstruction.BARRIER, 0xD5033FBF, Operand.NONE, null));
        l.add(new SystemInstruction("ISB", SystemInstruction.BARRIER, 0xD5033FDF, Operand.NONE, null));
        l.add(new SystemInstruction("ERET", SystemInstruction.ERET, 0xD69F03E0, Operand.NONE, null));
        l.add(new SystemInstruction("SVC #0", SystemInstruction.EXCEPTION, 0xD4000001, Operand.NONE, null));
        l.add(new SystemInstruction("HVC #0", SystemInstruction.EXCEPTION, 0xD4000002, Operand.NONE, null));
        l.add(new SystemInstruction("SMC #0", SystemInstruction.EXCEPTION, 0xD4000003, Operand.NONE, null));
        l.add(new SystemInstruction("BRK #0", SystemInstruction.EXCEPTION, 0xD4200000, Operand.NONE, null));
        l.add(new SystemInstruction("HLT #0", SystemInstruction.EXCEPTION, 0xD4400000, Operand.NONE, null));
        // Load/store register (unprivileged): size:111000:opc:0:imm9:10:Rn:Rt, here [X1] into or from X0/W0.
        for (int size = 0; size < 4; size++) {
            for (int opc = 0; opc < 4; opc++) {
                l.add(new SystemInstruction(unprivilegedName(size, opc) + ", [X1]", SystemInstruction.UNPRIVILEGED,
                        0x38000800 | size << 30 | opc << 22 | 1 << 5, Operand.NONE, null));
            }
        }
        return l;
    }

    /** The operand a SYS operation takes, by its kind (the part of its name before the space). */
    private static Operand sysOperand(String name) {
        if (name.startsWith("TLBI ")) {
            boolean all = name.contains("ALL") && !name.contains("VAAL") || name.contains("VMALL");
            return all ? Operand.NONE : Operand.TLBI_PAGE;
        }
        if (name.equals("IC IVAU")) return Operand.CODE_ADDRESS;
        if (name.startsWith("IC ")) return Operand.NONE;
        return Operand.DATA_ADDRESS; // DC and AT take a virtual address
    }

    /** The PSTATE field an MSR (immediate) encoding names in the Arm ARM (whether or not this processor has it). */
    static String pstateField(int op1, int op2) {
        return switch (op1 << 3 | op2) {
            case 0x00 -> "CFINV";
            case 0x01 -> "XAFLAG";
            case 0x02 -> "AXFLAG";
            case 0x03 -> "UAO";
            case 0x04 -> "PAN";
            case 0x05 -> "SPSel";
            case 0x19 -> "SSBS";
            case 0x1a -> "DIT";
            case 0x1c -> "TCO";
            case 0x1e -> "DAIFSet";
            case 0x1f -> "DAIFClr";
            default -> "PSTATE(op1=" + op1 + ",op2=" + op2 + ")";
        };
    }

    /** LDTR/STTR and their variants: opc 00 store, 01 load, 10 signed load to X, 11 signed load to W. */
    static String unprivilegedName(int size, int opc) {
        String suffix = switch (size) {
            case 0 -> "B";
            case 1 -> "H";
            default -> "";
        };
        return switch (opc) {
            case 0 -> "STTR" + suffix + (size == 3 ? " X0" : " W0");
            case 1 -> "LDTR" + suffix + (size == 3 ? " X0" : " W0");
            case 2 -> size == 2 ? "LDTRSW X0" : "LDTRS" + (size < 2 ? suffix : "?size" + size) + " X0";
            default -> "LDTRS" + (size < 2 ? suffix : "?size" + size) + " W0";
        };
    }
}
