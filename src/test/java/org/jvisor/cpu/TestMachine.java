package org.jvisor.cpu;

/**
 * A bare processor with RAM at 0x40000000 (QEMU virt's), for unit tests: load assembled code, run it at
 * EL1 with the MMU off until it executes {@code hvc #0} (an exit to the host-owned EL2), then inspect.
 */
public final class TestMachine {
    public static final long RAM_BASE = 0x4000_0000L;
    public final PhysicalBus bus = new PhysicalBus();
    public final Cpu cpu;

    public TestMachine() {
        this(16 << 20);
    }

    public TestMachine(long ramSize) {
        this(ramSize, Features.cortexA57());
    }

    /** A machine whose processor implements {@code features} (e.g. with LSE atomics switched on). */
    public TestMachine(Features features) {
        this(16 << 20, features);
    }

    public TestMachine(long ramSize, Features features) {
        bus.addRam(RAM_BASE, Ram.allocate(ramSize));
        cpu = new Cpu(bus, features);
    }

    /** Assembles and loads {@code source} at RAM_BASE, sets PC and SP (top of RAM). */
    public TestMachine load(String source) {
        byte[] code = Asm.assemble(source, RAM_BASE);
        bus.writeBytes(RAM_BASE, code);
        cpu.pc = RAM_BASE;
        cpu.sp = RAM_BASE + (8 << 20);
        return this;
    }

    /** Runs until an exit; fails the test if the budget runs out. Returns the exit. */
    public ExitReason run() {
        ExitReason r = cpu.run(10_000_000);
        if (r == ExitReason.BUDGET) throw new AssertionError("guest did not stop; pc=0x" + Long.toHexString(cpu.pc));
        return r;
    }

    /** Runs and expects the program to end with {@code hvc #imm}; returns ESR_EL2's ISS (the imm). */
    public int runToHvc() {
        ExitReason r = run();
        long esr = cpu.sr.esr[2];
        if (r != ExitReason.EL2_TRAP || (esr >>> 26) != Esr.EC_HVC64)
            throw new AssertionError("expected HVC exit, got " + r + " ESR_EL2=0x" + Long.toHexString(esr)
                    + " pc=0x" + Long.toHexString(cpu.pc) + " ELR_EL2=0x" + Long.toHexString(cpu.sr.elr[2]));
        return (int) (esr & 0xffff);
    }

    public long x(int n) { return cpu.x[n]; }

    /**
     * Turns stage 1 on with an identity map: the first GiB (devices) as Device-nGnRnE and RAM as Normal
     * write-back. The first 64 KiB of RAM (test code and vectors) are read-only at EL0 and EL1 so both can
     * execute them; the rest is read/write at EL0 and EL1 (and so never executable at EL1). With the MMU off
     * every data access is to Device memory, where unaligned accesses fault: tests of unaligned
     * Normal-memory behaviour need this, as a real program would.
     */
    public TestMachine normalMemory() {
        long l1 = RAM_BASE + 0xF0_0000L, l2 = l1 + 0x1000, l3 = l1 + 0x2000; // below the stack, above test data
        long af = 1L << 10, inner = 3L << 8, normal = (1L << 2) | af | inner;
        long rwAll = 1L << 6, roAll = 3L << 6;
        bus.write(l1, 8, 0x0000_0000L | af | 0b01); // Attr0: device
        bus.write(l1 + 8, 8, l2 | 0b11);
        bus.write(l2, 8, l3 | 0b11);
        for (int i = 1; i < 512; i++) bus.write(l2 + 8L * i, 8, (RAM_BASE + ((long) i << 21)) | normal | rwAll | 0b01);
        for (int i = 0; i < 512; i++)
            bus.write(l3 + 8L * i, 8, (RAM_BASE + ((long) i << 12)) | normal | (i < 16 ? roAll : rwAll) | 0b11);
        cpu.sr.mair[1] = 0xff00L; // Attr0 Device-nGnRnE, Attr1 Normal WB
        cpu.sr.tcr[1] = 25 /* T0SZ: 39-bit VA, walk starts at level 1 */ | (1L << 8) | (1L << 10) | (3L << 12)
                | (1L << 23) /* EPD1 */ | (2L << 32) /* IPS 40 bits */;
        cpu.sr.ttbr0[1] = l1;
        cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M | SystemRegisters.SCTLR_C | SystemRegisters.SCTLR_I;
        cpu.tlbFlush();
        return this;
    }
}
