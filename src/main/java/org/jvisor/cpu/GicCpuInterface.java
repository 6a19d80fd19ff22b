package org.jvisor.cpu;

/**
 * The GICv3 CPU interface of this processor as its system registers reach it (ICC_*_EL1): the interrupt
 * controller attaches one with {@link Cpu#attachGicCpuInterface}. Without one the ICC registers are
 * UNDEFINED and ID_AA64PFR0_EL1.GIC reads 0, as on a processor wired to a memory-mapped GICv2 CPU
 * interface. ICC_SRE_EL1 is the processor's own (system register interface always on: reads 0b111).
 *
 * <p>Accesses come from the processor's thread, already checked against the access rules (EL, traps);
 * {@link Register#SGI0R}, {@link Register#SGI1R} and {@link Register#ASGI1R} reach it at EL1 only when
 * HCR_EL2.IMO and FMO are both clear (otherwise they trap to EL2, whose handler emulates the write,
 * e.g. through {@link SysRegTable#write}). After a write or an acknowledge the processor ends its
 * chunk, so a changed interrupt output is seen before the next instructions run.
 *
 * <p>When the guest owns EL2 ({@code Cpu.hostOwnsEl2} clear) and HCR_EL2.IMO/FMO route interrupts to it,
 * EL1's accesses reach the processor's {@link GicVirtualInterface} instead (the ICV_* registers), as on a
 * PE with the GICv3 virtualization extension; when the host owns EL2 its GIC model is what EL1 sees.
 */
public interface GicCpuInterface {
    /**
     * The registers, named as ICC_&lt;name&gt;_EL1. AP0R1-3 and AP1R1-3 exist only with 6 or more priority
     * bits: with the 5 this processor's interfaces have (QEMU's cortex-a57) they are UNDEFINED, never forwarded.
     */
    enum Register {
        PMR, IAR0, EOIR0, HPPIR0, BPR0, AP0R0, AP0R1, AP0R2, AP0R3, AP1R0, AP1R1, AP1R2, AP1R3, DIR, RPR, SGI1R,
        ASGI1R, SGI0R, IAR1, EOIR1, HPPIR1, BPR1, CTLR, IGRPEN0, IGRPEN1
    }

    long read(Register r);

    void write(Register r, long value);

    /**
     * Deactivates {@code intid} (below 1020) whatever the EOI mode: the virtual CPU interface's EOI or DIR
     * of a hardware-linked list register (ICH_LR&lt;n&gt;_EL2.HW) deactivates its physical INTID this way.
     */
    void deactivate(int intid);
}
