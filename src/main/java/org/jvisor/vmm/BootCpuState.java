package org.jvisor.vmm;

/**
 * How the boot CPU must enter the kernel (Documentation/arm64/booting.rst, "Call the kernel image"):
 * at {@link #pc}, in EL1h (EL2 is the host's), or EL2h when the guest owns EL2 ({@link #atEl2}), with PSTATE.DAIF all masked, MMU and data cache off
 * (SCTLR_EL1.M = 0, C = 0; the instruction cache may be on), x0 the physical address of the device tree
 * and x1 to x3 zero (reserved). The board also owes the kernel a programmed CNTFRQ_EL0 and the same
 * CNTVOFF_EL2 on every CPU. Secondary CPUs are started later through PSCI CPU_ON, not from here.
 */
public record BootCpuState(long pc, long x0, long x1, long x2, long x3, int el) {
    /** SPSR/PSTATE value: M[3:0] = 0b0101 (EL1 with SP_EL1), D, A, I and F set. */
    public static final long PSTATE = 0x3c5;
    /** The same at EL2: M[3:0] = 0b1001 (EL2 with SP_EL2). */
    public static final long PSTATE_EL2 = 0x3c9;

    public BootCpuState {
        if (el != 1 && el != 2) throw new IllegalArgumentException("the kernel is entered at EL1 or EL2, not EL" + el);
    }

    /** At EL1h. */
    public BootCpuState(long pc, long x0, long x1, long x2, long x3) {
        this(pc, x0, x1, x2, x3, 1);
    }

    public static BootCpuState linux(long entry, long dtb) {
        return new BootCpuState(entry, dtb, 0, 0, 0);
    }

    /** The same entry at EL2h, for a guest that owns EL2. */
    public BootCpuState atEl2() {
        return new BootCpuState(pc, x0, x1, x2, x3, 2);
    }

    public long pstate() {
        return el == 2 ? PSTATE_EL2 : PSTATE;
    }

    @Override
    public String toString() {
        return String.format("pc=0x%x x0=0x%x x1=0x%x x2=0x%x x3=0x%x pstate=0x%x (EL%dh, DAIF masked, MMU off)", pc, x0, x1, x2, x3, pstate(), el);
    }
}
