package org.jvisor.cpu;

import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The instruction fields the handlers read, each declared once with the letter that marks it in the
 * encoding tables ({@link Encoding}'s patterns), as decodetree declares its fields beside the patterns.
 * The extractors are plain shifts and masks (signed immediates come sign-extended) that the JIT inlines;
 * {@link #NAMED} ties each to its letter so that a test can check every pattern: a run of a named letter
 * must lie exactly on the bits one of that letter's extractors reads. Letters not named here mark
 * opcode bits a group decodes itself (size, opc, option...).
 */
public final class Fields {
    private Fields() {}

    /** Rd, the destination register [4:0]. */
    public static int rd(int insn) { return insn & 31; }

    /** Rt, the transfer register of a load, store, system instruction or compare-and-branch [4:0]. */
    public static int rt(int insn) { return insn & 31; }

    /** Rn, the first source or base register [9:5]. */
    public static int rn(int insn) { return (insn >>> 5) & 31; }

    /** Rm, the second source or offset register [20:16]. */
    public static int rm(int insn) { return (insn >>> 16) & 31; }

    /** Rs, the status register of a store-exclusive or the compare register of an atomic [20:16]. */
    public static int rs(int insn) { return (insn >>> 16) & 31; }

    /** Rt2, the second transfer register of a pair [14:10]. */
    public static int rt2(int insn) { return (insn >>> 10) & 31; }

    /** Ra, the addend of a multiply-add [14:10]. */
    public static int ra(int insn) { return (insn >>> 10) & 31; }

    /** Q, 128-bit vector form [30]. */
    public static int q(int insn) { return (insn >>> 30) & 1; }

    /** imm26 of B and BL, sign-extended [25:0]. */
    public static int imm26(int insn) { return (insn << 6) >> 6; }

    /** imm19 of B.cond, CBZ/CBNZ and LDR (literal), sign-extended [23:5]. */
    public static int imm19(int insn) { return (insn << 8) >> 13; }

    /** imm14 of TBZ/TBNZ, sign-extended [18:5]. */
    public static int imm14(int insn) { return (insn << 13) >> 18; }

    /** imm16 of MOVZ/MOVN/MOVK and the exception-generating instructions [20:5]. */
    public static int imm16(int insn) { return (insn >>> 5) & 0xffff; }

    /** imm12, the unsigned offset of a load/store or the add/sub immediate [21:10]. */
    public static int imm12(int insn) { return (insn >>> 10) & 0xfff; }

    /** imm9, the unscaled offset of a load/store, sign-extended [20:12]. */
    public static int imm9(int insn) { return (insn << 11) >> 23; }

    /** imm7, the scaled offset of a pair, sign-extended [21:15]. */
    public static int imm7(int insn) { return (insn << 10) >> 25; }

    /** imm6, the shift amount of a shifted-register operand [15:10]. */
    public static int imm6(int insn) { return (insn >>> 10) & 0x3f; }

    /** imm5 of CCMP/CCMN (immediate) and of the SIMD element moves (DUP, INS, SMOV, UMOV) [20:16]. */
    public static int imm5(int insn) { return (insn >>> 16) & 31; }

    /** imm4, EXT's byte index and INS (element)'s source index [14:11]. */
    public static int imm4(int insn) { return (insn >>> 11) & 15; }

    /** imm3, the left shift of an extended-register operand [12:10]. */
    public static int imm3(int insn) { return (insn >>> 10) & 7; }

    /** imm8 of FMOV (scalar, immediate) [20:13]. */
    public static int imm8(int insn) { return (insn >>> 13) & 0xff; }

    /** a:b:c, the top three bits of a SIMD modified immediate [18:16]. */
    public static int abc(int insn) { return (insn >>> 16) & 7; }

    /** d:e:f:g:h, the low five bits of a SIMD modified immediate [9:5]. */
    public static int defgh(int insn) { return (insn >>> 5) & 31; }

    /** A field as the encoding tables mark it: its name, its pattern letter and its extractor. */
    public record Named(String name, char letter, IntUnaryOperator extractor) {
        /** The instruction bits the extractor reads (found by probing it one bit at a time). */
        public int bits() {
            int m = 0;
            for (int b = 0; b < 32; b++) if (extractor.applyAsInt(1 << b) != 0) m |= 1 << b;
            return m;
        }
    }

    /** Every field that a pattern letter names (a letter may name several fields at different bits). */
    public static final List<Named> NAMED = List.of(
            new Named("Rd", 'd', Fields::rd),
            new Named("Rt", 't', Fields::rt),
            new Named("Rn", 'n', Fields::rn),
            new Named("Rm", 'm', Fields::rm),
            new Named("Rs", 'S', Fields::rs),
            new Named("Rt2", 'u', Fields::rt2),
            new Named("Ra", 'a', Fields::ra),
            new Named("Q", 'Q', Fields::q),
            new Named("imm26", 'i', Fields::imm26),
            new Named("imm19", 'i', Fields::imm19),
            new Named("imm14", 'i', Fields::imm14),
            new Named("imm16", 'i', Fields::imm16),
            new Named("imm12", 'i', Fields::imm12),
            new Named("imm9", 'i', Fields::imm9),
            new Named("imm7", 'i', Fields::imm7),
            new Named("imm6", 'i', Fields::imm6),
            new Named("imm5", 'i', Fields::imm5),
            new Named("imm4", 'i', Fields::imm4),
            new Named("imm3", 'i', Fields::imm3),
            new Named("imm8", 'i', Fields::imm8),
            new Named("abc", 'i', Fields::abc),
            new Named("defgh", 'i', Fields::defgh));
}
