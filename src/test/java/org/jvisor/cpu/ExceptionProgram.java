package org.jvisor.cpu;

/**
 * Builds test programs with a fixed layout in RAM, so tests can name addresses without symbols:
 * <pre>
 *   0x0000  main code (entered at EL1h)
 *   0x0800  VBAR_EL1 table: entry i does "movz x20, #i; hvc #(0x100 + i); eret"
 *   0x1000  second code area (typically EL0 code)
 *   0x1800  VBAR_EL2 table (for a guest hypervisor): entry i does "movz x21, #i" then its EL2 code
 *   0x2000  data
 * </pre>
 * An exception taken to EL1 therefore exits to the host-owned EL2 with ESR_EL2.ISS = 0x100 + entry;
 * resuming the host ({@link Cpu#exceptionReturn}) runs the entry's ERET.
 */
final class ExceptionProgram {
    static final long RAM = TestMachine.RAM_BASE;
    static final long VBAR_EL1 = RAM + 0x800, CODE2 = RAM + 0x1000, VBAR_EL2 = RAM + 0x1800, DATA = RAM + 0x2000;

    /** Vector entry numbers: from the current EL with SP0, with SPx, from a lower EL; plus the kind. */
    static final int CUR_SP0 = 0, CUR_SPX = 4, LOWER = 8, SYNC = 0, IRQ = 1, FIQ = 2, SERROR = 3;

    private ExceptionProgram() {}

    static TestMachine load(String main, String code2) {
        return load(main, code2, "eret");
    }

    /** {@code el2Entry} is the code of every VBAR_EL2 entry after "movz x21, #i" (at most 30 instructions). */
    static TestMachine load(String main, String code2, String el2Entry) {
        StringBuilder s = new StringBuilder(main).append("\n.org 0x800\n");
        for (int i = 0; i < 16; i++)
            s.append(".balign 128\nmovz x20, #").append(i).append("\nhvc #").append(0x100 + i).append("\neret\n");
        s.append(".org 0x1000\n").append(code2).append("\n.org 0x1800\n");
        for (int i = 0; i < 16; i++) s.append(".balign 128\nmovz x21, #").append(i).append('\n').append(el2Entry).append('\n');
        s.append(".org 0x2000\n.quad 0\n");
        TestMachine m = new TestMachine().load(s.toString());
        m.cpu.sr.vbar[1] = VBAR_EL1;
        m.cpu.sr.vbar[2] = VBAR_EL2;
        return m;
    }

    /** Runs to the HVC of an EL1 vector entry and returns the entry number. */
    static int runToVector(TestMachine m) {
        int imm = m.runToHvc();
        if (imm < 0x100 || imm >= 0x110) throw new AssertionError("expected a vector entry, got hvc #0x" + Integer.toHexString(imm));
        return imm - 0x100;
    }

    /** Resumes the guest after an HVC exit (ERET from the host's EL2). */
    static void resume(TestMachine m) {
        m.cpu.exceptionReturn();
    }

    static long esr(int ec, int iss) {
        return ((long) ec << 26) | (1L << 25) | iss;
    }
}
