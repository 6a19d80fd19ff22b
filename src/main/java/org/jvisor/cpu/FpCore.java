package org.jvisor.cpu;

/**
 * IEEE 754 arithmetic exactly as the Arm ARM's FP pseudocode defines it (FPAdd, FPMul, FPMulAdd, FPRound,
 * FPToFixed, FPConvert...), for half, single and double precision, honouring FPCR (RMode, FZ, DN, AHP)
 * and accumulating the FPSR cumulative flags. Java's float/double arithmetic rounds to nearest only and
 * reports no flags, so what differs (directed rounding, flags, flush-to-zero, NaN payloads) is explicit.
 *
 * <p>Operands and results are raw bit patterns of {@code size} bits (16, 32 or 64) in the low bits of a
 * long. Every method takes the {@link Cpu} for FPCR and to OR flags into {@code cpu.fpsr}.
 *
 * <p>This is the API the scalar and vector FP instructions share; the bodies are being written.
 */
public final class FpCore {
    /** Rounding modes: FPCR.RMode values 0-3, plus the two that only some instructions use. */
    public static final int ROUND_NEAREST_EVEN = 0, ROUND_POS_INF = 1, ROUND_NEG_INF = 2, ROUND_ZERO = 3,
            ROUND_TIES_AWAY = 4, ROUND_ODD = 5;
    /** FPSR cumulative flags. */
    public static final int IOC = 1, DZC = 1 << 1, OFC = 1 << 2, UFC = 1 << 3, IXC = 1 << 4, IDC = 1 << 7, QC = 1 << 27;

    private FpCore() {}

    private static RuntimeException missing(String what) {
        return new UnsupportedOperationException("FpCore." + what + " is not written yet");
    }

    /** FPCR.RMode. */
    public static int rounding(Cpu c) { return (c.fpcr >>> 22) & 3; }

    public static long add(Cpu c, long a, long b, int size) { throw missing("add"); }

    public static long sub(Cpu c, long a, long b, int size) { throw missing("sub"); }

    public static long mul(Cpu c, long a, long b, int size) { throw missing("mul"); }

    /** FPMulX: like mul, but infinity times zero is 2.0 with the XOR of the signs. */
    public static long mulX(Cpu c, long a, long b, int size) { throw missing("mulX"); }

    public static long div(Cpu c, long a, long b, int size) { throw missing("div"); }

    /** FPMulAdd: addend + a * b with a single rounding. */
    public static long mulAdd(Cpu c, long addend, long a, long b, int size) { throw missing("mulAdd"); }

    public static long sqrt(Cpu c, long a, int size) { throw missing("sqrt"); }

    public static long max(Cpu c, long a, long b, int size) { throw missing("max"); }

    public static long min(Cpu c, long a, long b, int size) { throw missing("min"); }

    public static long maxNum(Cpu c, long a, long b, int size) { throw missing("maxNum"); }

    public static long minNum(Cpu c, long a, long b, int size) { throw missing("minNum"); }

    /** FPCompare: the NZCV result (bits 3..0) of comparing a with b; IOC for signalling NaNs, or any NaN when {@code signalAllNaNs}. */
    public static int compare(Cpu c, long a, long b, int size, boolean signalAllNaNs) { throw missing("compare"); }

    /** FPCompareEQ (quiet), FPCompareGE and FPCompareGT (signalling), for the vector and scalar FCMxx. */
    public static boolean compareEq(Cpu c, long a, long b, int size) { throw missing("compareEq"); }

    public static boolean compareGe(Cpu c, long a, long b, int size) { throw missing("compareGe"); }

    public static boolean compareGt(Cpu c, long a, long b, int size) { throw missing("compareGt"); }

    /** FPRoundInt: round to an integral value in {@code rounding}; {@code exact} raises IXC when the value changes (FRINTX). */
    public static long roundInt(Cpu c, long a, int size, int rounding, boolean exact) { throw missing("roundInt"); }

    /** FPToFixed: to a signed or unsigned {@code intSize}-bit integer with {@code fbits} fraction bits, saturating (IOC). */
    public static long toFixed(Cpu c, long a, int fbits, boolean unsigned, int rounding, int size, int intSize) { throw missing("toFixed"); }

    /** FixedToFP: from a signed or unsigned {@code intSize}-bit integer with {@code fbits} fraction bits. */
    public static long fixedToFp(Cpu c, long a, int fbits, boolean unsigned, int rounding, int intSize, int size) { throw missing("fixedToFp"); }

    /** FPConvert between precisions (half with FPCR.AHP), rounding as given (ROUND_ODD for FCVTXN). */
    public static long convert(Cpu c, long a, int fromSize, int toSize, int rounding) { throw missing("convert"); }

    public static long recipEstimate(Cpu c, long a, int size) { throw missing("recipEstimate"); }

    public static long rsqrtEstimate(Cpu c, long a, int size) { throw missing("rsqrtEstimate"); }

    /** FPRecipStepFused: 2.0 - a * b (FRECPS). */
    public static long recipStepFused(Cpu c, long a, long b, int size) { throw missing("recipStepFused"); }

    /** FPRSqrtStepFused: (3.0 - a * b) / 2 (FRSQRTS). */
    public static long rsqrtStepFused(Cpu c, long a, long b, int size) { throw missing("rsqrtStepFused"); }

    /** FPRecpX (FRECPX). */
    public static long recpX(Cpu c, long a, int size) { throw missing("recpX"); }

    /** UnsignedRecipEstimate and UnsignedRSqrtEstimate (URECPE, URSQRTE) on a 32-bit element. */
    public static int unsignedRecipEstimate(int a) { throw missing("unsignedRecipEstimate"); }

    public static int unsignedRSqrtEstimate(int a) { throw missing("unsignedRSqrtEstimate"); }

    public static long abs(long a, int size) { return a & ~(1L << (size - 1)); }

    public static long neg(long a, int size) { return a ^ (1L << (size - 1)); }
}
