package org.jvisor.cpu;

/**
 * Test assembly helpers: a VBAR_EL1 vector table whose entry i executes {@code hvc #(0x100 + i)}, so a
 * test sees which vector an exception took (0x104: current EL with SP_ELx, synchronous; 0x105: IRQ;
 * 0x108: lower EL, synchronous), and a snippet that enters EL0 at a label.
 */
final class Vectors {
    static final int CUR_SPX_SYNC = 0x104, CUR_SPX_IRQ = 0x105, LOWER_SYNC = 0x108;

    private Vectors() {}

    /** The vector table (2 KiB aligned), labelled {@code vectors}; place it after the test code. */
    static String table() {
        StringBuilder b = new StringBuilder(".balign 2048\nvectors:\n");
        for (int i = 0; i < 16; i++) b.append(".balign 0x80\n hvc #").append(0x100 + i).append('\n');
        return b.toString();
    }

    /** Loads the address of {@code label} into {@code reg} (code is linked at 0x40000000). */
    static String addr(String reg, String label) {
        return " movz " + reg + ", #:abs_g1:" + label + "\n movk " + reg + ", #:abs_g0_nc:" + label + "\n";
    }

    /** Points VBAR_EL1 at the table. */
    static String install() {
        return addr("x28", "vectors") + " msr vbar_el1, x28\n isb\n";
    }

    /** Enters EL0 (SP_EL0, interrupts unmasked in SPSR) at {@code label}. */
    static String enterEl0(String label) {
        return addr("x28", label) + " msr elr_el1, x28\n msr spsr_el1, xzr\n eret\n";
    }
}
