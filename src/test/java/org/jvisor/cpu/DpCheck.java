package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs an A64 snippet at EL1 from reset (all registers and NZCV zero) and checks the expectations
 * written as {@code "x1=0xffffffffffffffff w2=5 nzcv=N-C- sp=0x10"} (letters N Z C V, '-' for clear).
 * The snippets of the data-processing tests use this single form so their expected values can be
 * replayed under {@code qemu-aarch64-static -cpu cortex-a57} (the reference they were taken from).
 */
final class DpCheck {
    /** {@code movq xN, value}: any 64-bit constant in four moves (the tests have no literal loads). */
    static final String MACROS = """
            .macro movq rd, val
              movz \\rd, #((\\val) & 0xffff)
              movk \\rd, #(((\\val) >> 16) & 0xffff), lsl #16
              movk \\rd, #(((\\val) >> 32) & 0xffff), lsl #32
              movk \\rd, #(((\\val) >> 48) & 0xffff), lsl #48
            .endm
            """;

    private DpCheck() {}

    static TestMachine check(String asm, String expect) {
        TestMachine m = new TestMachine().load(MACROS + asm + "\nhvc #0\n");
        assertEquals(0, m.runToHvc(), "ended at the wrong hvc");
        for (String e : expect.trim().split("\\s+")) {
            int eq = e.indexOf('=');
            String key = e.substring(0, eq), val = e.substring(eq + 1);
            if (key.equals("nzcv")) {
                assertEquals(val, flags(m.cpu), "NZCV after:\n" + asm);
            } else if (key.equals("sp")) {
                assertEquals(parse(val), m.cpu.getSpEl(1), () -> "SP_EL1 = 0x" + Long.toHexString(m.cpu.getSpEl(1)) + " after:\n" + asm);
            } else {
                int r = Integer.parseInt(key.substring(1));
                long actual = m.x(r);
                if (key.charAt(0) == 'w') {
                    assertEquals(0, actual >>> 32, () -> key + " upper half not zero: 0x" + Long.toHexString(actual));
                } else if (key.charAt(0) != 'x') {
                    throw new IllegalArgumentException(key);
                }
                assertEquals(parse(val), actual,
                        () -> key + " = 0x" + Long.toHexString(actual) + ", expected " + val + " after:\n" + asm);
            }
        }
        return m;
    }

    private static long parse(String v) {
        boolean neg = v.startsWith("-");
        if (neg) v = v.substring(1);
        long r = v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2).replace("_", ""), 16) : Long.parseLong(v);
        return neg ? -r : r;
    }

    static String flags(Cpu c) {
        return (c.n ? "N" : "-") + (c.z ? "Z" : "-") + (c.c ? "C" : "-") + (c.v ? "V" : "-");
    }

    /**
     * Executes {@code word} at EL1 (EL2 host-owned, HCR_EL2.TGE=0) and checks it was taken as an Undefined
     * Instruction to VBAR_EL1+0x200 (current EL, SP_ELx): ESR_EL1 = EC 0, IL 1; ELR_EL1 = the instruction.
     */
    static void assertUndefined(int word) {
        TestMachine m = new TestMachine().load(String.format("""
                .inst 0x%08x
                hvc #0
                .balign 0x800
                vectors:
                .skip 0x200
                hvc #1
                """, word));
        m.cpu.sr.vbar[1] = TestMachine.RAM_BASE + 0x800;
        m.cpu.sr.hcrEl2 = 0;
        int imm = m.runToHvc();
        assertEquals(1, imm, () -> String.format("0x%08x (%s) executed instead of being undefined", word, Decoder.nameOf(word)));
        assertEquals(0x02000000L, m.cpu.sr.esr[1], String.format("ESR_EL1 for 0x%08x", word));
        assertEquals(TestMachine.RAM_BASE, m.cpu.sr.elr[1]);
    }
}
