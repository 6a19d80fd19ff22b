package org.jvisor.lab;

/**
 * One A64 instruction of the system space as {@code jvisor classify} runs it: its assembly, its group, its
 * encoding (operand register X0, base register X1), and what its operand register must hold.
 *
 * @param register the system register table entry it reaches (MRS, MSR, SYS), or null
 */
public record SystemInstruction(String text, String group, int word, Operand operand, String register) {
    /** What X0 holds when the instruction runs (X1 is always the operand page's address, for LDTR/STTR). */
    public enum Operand {
        /** Nothing the instruction reads. */
        NONE,
        /** A value that differs from the register's in every bit (MSR), so that any write shows. */
        NEW_VALUE,
        /** The address of the operand page (DC, AT). */
        DATA_ADDRESS,
        /** The address of the instruction itself (IC IVAU). */
        CODE_ADDRESS,
        /** The page number of the planted non-global mapping whose TLB entry is stale, ASID 0 (TLBI by VA or ASID). */
        TLBI_PAGE
    }

    public static final String MRS = "MRS", MSR = "MSR", SYS = "SYS", MSR_IMMEDIATE = "MSR (immediate)", HINT = "hint",
            BARRIER = "barrier", EXCEPTION = "exception", ERET = "ERET", UNPRIVILEGED = "LDTR/STTR";
}
