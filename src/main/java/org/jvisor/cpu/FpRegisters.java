package org.jvisor.cpu;

/** FPCR and FPSR as system registers (MRS/MSR at EL0 and up, subject to the FP/SIMD enable traps). */
final class FpRegisters {
    static final int FPCR = 1, FPSR = 2;
    /** Writable bits: FPCR AHP, DN, FZ, RMode, FZ16 (FEAT_FP16 is not implemented: FZ16 is RES0); FPSR QC and the cumulative flags. */
    static final long FPCR_MASK = 0x07C0_0000L, FPSR_MASK = 0xF800_009FL;

    static final SysReg[] REGISTERS = {
            new SysReg("FPCR", 3, 3, 4, 4, 0, FPCR).el0(SysReg.EL0_ALWAYS).fp().mask(FPCR_MASK),
            new SysReg("FPSR", 3, 3, 4, 4, 1, FPSR).el0(SysReg.EL0_ALWAYS).fp().mask(FPSR_MASK),
    };

    private FpRegisters() {}

    static long read(Cpu cpu, int id) {
        return id == FPCR ? cpu.fpcr & 0xffffffffL : cpu.fpsr & 0xffffffffL;
    }

    static void write(Cpu cpu, int id, long v) {
        if (id == FPCR) cpu.fpcr = (int) v;
        else cpu.fpsr = (int) v;
    }
}
