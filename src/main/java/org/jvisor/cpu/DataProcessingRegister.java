package org.jvisor.cpu;

import static org.jvisor.cpu.Fields.imm3;
import static org.jvisor.cpu.Fields.imm5;
import static org.jvisor.cpu.Fields.imm6;
import static org.jvisor.cpu.Fields.ra;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;

/**
 * Data processing with register operands: logical and add/sub (shifted and extended register), add/sub
 * with carry, conditional compare and select, one-, two- and three-source operations.
 */
final class DataProcessingRegister {
    static final int AND = 1, BIC = 2, ORR = 3, ORN = 4, EOR = 5, EON = 6, ANDS = 7, BICS = 8,
            ADD = 9, ADDS = 10, SUB = 11, SUBS = 12,
            ADD_EXT = 13, ADDS_EXT = 14, SUB_EXT = 15, SUBS_EXT = 16,
            ADC = 17, ADCS = 18, SBC = 19, SBCS = 20,
            CCMN = 21, CCMP = 22, CCMN_IMM = 23, CCMP_IMM = 24,
            CSEL = 25, CSINC = 26, CSINV = 27, CSNEG = 28,
            RBIT = 29, REV16 = 30, REV_W = 31, REV32 = 32, REV64 = 33, CLZ = 34, CLS = 35,
            UDIV = 36, SDIV = 37, LSLV = 38, LSRV = 39, ASRV = 40, RORV = 41,
            CRC32B = 42, CRC32H = 43, CRC32W = 44, CRC32X = 45, CRC32CB = 46, CRC32CH = 47, CRC32CW = 48, CRC32CX = 49,
            MADD = 50, MSUB = 51, SMADDL = 52, SMSUBL = 53, SMULH = 54, UMADDL = 55, UMSUBL = 56, UMULH = 57;

    static final Encoding[] ENCODINGS = {
            new Encoding("AND (shifted register)", "s0001010hh0mmmmmiiiiiinnnnnddddd", AND),
            new Encoding("BIC (shifted register)", "s0001010hh1mmmmmiiiiiinnnnnddddd", BIC),
            new Encoding("ORR (shifted register)", "s0101010hh0mmmmmiiiiiinnnnnddddd", ORR),
            new Encoding("ORN (shifted register)", "s0101010hh1mmmmmiiiiiinnnnnddddd", ORN),
            new Encoding("EOR (shifted register)", "s1001010hh0mmmmmiiiiiinnnnnddddd", EOR),
            new Encoding("EON (shifted register)", "s1001010hh1mmmmmiiiiiinnnnnddddd", EON),
            new Encoding("ANDS (shifted register)", "s1101010hh0mmmmmiiiiiinnnnnddddd", ANDS),
            new Encoding("BICS (shifted register)", "s1101010hh1mmmmmiiiiiinnnnnddddd", BICS),
            new Encoding("ADD (shifted register)", "s0001011hh0mmmmmiiiiiinnnnnddddd", ADD),
            new Encoding("ADDS (shifted register)", "s0101011hh0mmmmmiiiiiinnnnnddddd", ADDS),
            new Encoding("SUB (shifted register)", "s1001011hh0mmmmmiiiiiinnnnnddddd", SUB),
            new Encoding("SUBS (shifted register)", "s1101011hh0mmmmmiiiiiinnnnnddddd", SUBS),
            new Encoding("ADD (extended register)", "s0001011001mmmmmoooiiinnnnnddddd", ADD_EXT),
            new Encoding("ADDS (extended register)", "s0101011001mmmmmoooiiinnnnnddddd", ADDS_EXT),
            new Encoding("SUB (extended register)", "s1001011001mmmmmoooiiinnnnnddddd", SUB_EXT),
            new Encoding("SUBS (extended register)", "s1101011001mmmmmoooiiinnnnnddddd", SUBS_EXT),
            new Encoding("ADC", "s0011010000mmmmm000000nnnnnddddd", ADC),
            new Encoding("ADCS", "s0111010000mmmmm000000nnnnnddddd", ADCS),
            new Encoding("SBC", "s1011010000mmmmm000000nnnnnddddd", SBC),
            new Encoding("SBCS", "s1111010000mmmmm000000nnnnnddddd", SBCS),
            new Encoding("CCMN (register)", "s0111010010mmmmmcccc00nnnnn0ffff", CCMN),
            new Encoding("CCMP (register)", "s1111010010mmmmmcccc00nnnnn0ffff", CCMP),
            new Encoding("CCMN (immediate)", "s0111010010iiiiicccc10nnnnn0ffff", CCMN_IMM),
            new Encoding("CCMP (immediate)", "s1111010010iiiiicccc10nnnnn0ffff", CCMP_IMM),
            new Encoding("CSEL", "s0011010100mmmmmcccc00nnnnnddddd", CSEL),
            new Encoding("CSINC", "s0011010100mmmmmcccc01nnnnnddddd", CSINC),
            new Encoding("CSINV", "s1011010100mmmmmcccc00nnnnnddddd", CSINV),
            new Encoding("CSNEG", "s1011010100mmmmmcccc01nnnnnddddd", CSNEG),
            new Encoding("RBIT", "s101101011000000000000nnnnnddddd", RBIT),
            new Encoding("REV16", "s101101011000000000001nnnnnddddd", REV16),
            new Encoding("REV (32-bit)", "0101101011000000000010nnnnnddddd", REV_W),
            new Encoding("REV32", "1101101011000000000010nnnnnddddd", REV32),
            new Encoding("REV (64-bit)", "1101101011000000000011nnnnnddddd", REV64),
            new Encoding("CLZ", "s101101011000000000100nnnnnddddd", CLZ),
            new Encoding("CLS", "s101101011000000000101nnnnnddddd", CLS),
            new Encoding("UDIV", "s0011010110mmmmm000010nnnnnddddd", UDIV),
            new Encoding("SDIV", "s0011010110mmmmm000011nnnnnddddd", SDIV),
            new Encoding("LSLV", "s0011010110mmmmm001000nnnnnddddd", LSLV),
            new Encoding("LSRV", "s0011010110mmmmm001001nnnnnddddd", LSRV),
            new Encoding("ASRV", "s0011010110mmmmm001010nnnnnddddd", ASRV),
            new Encoding("RORV", "s0011010110mmmmm001011nnnnnddddd", RORV),
            new Encoding("CRC32B", "00011010110mmmmm010000nnnnnddddd", CRC32B),
            new Encoding("CRC32H", "00011010110mmmmm010001nnnnnddddd", CRC32H),
            new Encoding("CRC32W", "00011010110mmmmm010010nnnnnddddd", CRC32W),
            new Encoding("CRC32X", "10011010110mmmmm010011nnnnnddddd", CRC32X),
            new Encoding("CRC32CB", "00011010110mmmmm010100nnnnnddddd", CRC32CB),
            new Encoding("CRC32CH", "00011010110mmmmm010101nnnnnddddd", CRC32CH),
            new Encoding("CRC32CW", "00011010110mmmmm010110nnnnnddddd", CRC32CW),
            new Encoding("CRC32CX", "10011010110mmmmm010111nnnnnddddd", CRC32CX),
            new Encoding("MADD", "s0011011000mmmmm0aaaaannnnnddddd", MADD),
            new Encoding("MSUB", "s0011011000mmmmm1aaaaannnnnddddd", MSUB),
            new Encoding("SMADDL", "10011011001mmmmm0aaaaannnnnddddd", SMADDL),
            new Encoding("SMSUBL", "10011011001mmmmm1aaaaannnnnddddd", SMSUBL),
            new Encoding("SMULH", "10011011010mmmmm0aaaaannnnnddddd", SMULH),
            new Encoding("UMADDL", "10011011101mmmmm0aaaaannnnnddddd", UMADDL),
            new Encoding("UMSUBL", "10011011101mmmmm1aaaaannnnnddddd", UMSUBL),
            new Encoding("UMULH", "10011011110mmmmm0aaaaannnnnddddd", UMULH),
    };

    /** Byte-at-a-time tables of the bit-reflected CRC-32 (0x04C11DB7) and CRC-32C (0x1EDC6F41) polynomials. */
    private static final int[] CRC32_TABLE = crcTable(0xEDB88320), CRC32C_TABLE = crcTable(0x82F63B78);

    private DataProcessingRegister() {}

    static void execute(Cpu cpu, int op, int insn) {
        int d = rd(insn);
        long n = cpu.x[rn(insn)];
        long m = cpu.x[rm(insn)];
        boolean sf = insn < 0;
        switch (op) {
            case AND, BIC, ORR, ORN, EOR, EON, ANDS, BICS -> logicalShifted(cpu, op, insn, d, n, m, sf);
            case ADD, ADDS, SUB, SUBS -> addSubShifted(cpu, op, insn, d, n, m, sf);
            case ADD_EXT, ADDS_EXT, SUB_EXT, SUBS_EXT -> addSubExtended(cpu, op, insn, d, m, sf);
            case ADC -> cpu.setX(d, sf ? n + m + (cpu.c ? 1 : 0) : (n + m + (cpu.c ? 1 : 0)) & 0xffffffffL);
            case SBC -> cpu.setX(d, sf ? n + ~m + (cpu.c ? 1 : 0) : (n + ~m + (cpu.c ? 1 : 0)) & 0xffffffffL);
            case ADCS, SBCS -> {
                if (op == SBCS) m = ~m;
                int carry = cpu.c ? 1 : 0;
                cpu.setX(d, sf ? Alu.addWithCarry64(cpu, n, m, carry) : Alu.addWithCarry32(cpu, (int) n, (int) m, carry));
            }
            case CCMN, CCMP, CCMN_IMM, CCMP_IMM -> conditionalCompare(cpu, op, insn, n, m, sf);
            case CSEL, CSINC, CSINV, CSNEG -> conditionalSelect(cpu, op, insn, d, n, m, sf);
            case RBIT -> cpu.setX(d, sf ? Long.reverse(n) : Integer.reverse((int) n) & 0xffffffffL);
            case REV16 -> {
                long r = ((n >>> 8) & 0x00ff00ff00ff00ffL) | ((n & 0x00ff00ff00ff00ffL) << 8);
                cpu.setX(d, sf ? r : r & 0xffffffffL);
            }
            case REV_W -> cpu.setX(d, Integer.reverseBytes((int) n) & 0xffffffffL);
            case REV32 -> cpu.setX(d, Long.rotateLeft(Long.reverseBytes(n), 32));
            case REV64 -> cpu.setX(d, Long.reverseBytes(n));
            case CLZ -> cpu.setX(d, sf ? Long.numberOfLeadingZeros(n) : Integer.numberOfLeadingZeros((int) n));
            // CountLeadingSignBits: leading zeros of x[N-1:1] EOR x[N-2:0]
            case CLS -> cpu.setX(d, sf ? Long.numberOfLeadingZeros(n ^ (n >> 63)) - 1
                    : Integer.numberOfLeadingZeros((int) n ^ ((int) n >> 31)) - 1);
            case UDIV -> {
                long r;
                if (sf) r = m == 0 ? 0 : Long.divideUnsigned(n, m);
                else r = (int) m == 0 ? 0 : Integer.toUnsignedLong(Integer.divideUnsigned((int) n, (int) m));
                cpu.setX(d, r);
            }
            case SDIV -> {
                // Java's division already wraps MIN_VALUE / -1 to MIN_VALUE, as the architecture does.
                long r;
                if (sf) r = m == 0 ? 0 : n / m;
                else r = (int) m == 0 ? 0 : ((int) n / (int) m) & 0xffffffffL;
                cpu.setX(d, r);
            }
            case LSLV -> cpu.setX(d, sf ? n << m : ((int) n << m) & 0xffffffffL);
            case LSRV -> cpu.setX(d, sf ? n >>> m : ((int) n >>> m) & 0xffffffffL);
            case ASRV -> cpu.setX(d, sf ? n >> m : ((int) n >> m) & 0xffffffffL);
            case RORV -> cpu.setX(d, sf ? Long.rotateRight(n, (int) m) : Integer.rotateRight((int) n, (int) m) & 0xffffffffL);
            case CRC32B, CRC32H, CRC32W, CRC32X, CRC32CB, CRC32CH, CRC32CW, CRC32CX -> {
                if (!cpu.features.crc32) throw cpu.undefined();
                int bytes = 1 << ((insn >>> 10) & 3);
                int[] table = (insn & (1 << 12)) != 0 ? CRC32C_TABLE : CRC32_TABLE;
                cpu.setX(d, crc32(table, (int) n, m, bytes) & 0xffffffffL);
            }
            case MADD -> {
                long r = cpu.x[ra(insn)] + n * m;
                cpu.setX(d, sf ? r : r & 0xffffffffL);
            }
            case MSUB -> {
                long r = cpu.x[ra(insn)] - n * m;
                cpu.setX(d, sf ? r : r & 0xffffffffL);
            }
            case SMADDL -> cpu.setX(d, cpu.x[ra(insn)] + (long) (int) n * (int) m);
            case SMSUBL -> cpu.setX(d, cpu.x[ra(insn)] - (long) (int) n * (int) m);
            case UMADDL -> cpu.setX(d, cpu.x[ra(insn)] + (n & 0xffffffffL) * (m & 0xffffffffL));
            case UMSUBL -> cpu.setX(d, cpu.x[ra(insn)] - (n & 0xffffffffL) * (m & 0xffffffffL));
            case SMULH -> cpu.setX(d, Math.multiplyHigh(n, m));
            case UMULH -> cpu.setX(d, Math.unsignedMultiplyHigh(n, m));
            default -> throw cpu.undefined();
        }
    }

    static void logicalShifted(Cpu cpu, int op, int insn, int d, long n, long m, boolean sf) {
        int type = (insn >>> 22) & 3, amount = imm6(insn);
        long r;
        if (sf) {
            m = Alu.shiftReg64(m, type, amount);
            r = logical(op, n, m);
            if (op >= ANDS) Alu.setLogicFlags64(cpu, r);
        } else {
            if (amount >= 32) throw cpu.undefined();
            int r32 = (int) logical(op, n, Alu.shiftReg32((int) m, type, amount));
            if (op >= ANDS) Alu.setLogicFlags32(cpu, r32);
            r = r32 & 0xffffffffL;
        }
        cpu.setX(d, r);
    }

    private static long logical(int op, long n, long m) {
        return switch (op) {
            case AND, ANDS -> n & m;
            case BIC, BICS -> n & ~m;
            case ORR -> n | m;
            case ORN -> n | ~m;
            case EOR -> n ^ m;
            default -> n ^ ~m;
        };
    }

    static void addSubShifted(Cpu cpu, int op, int insn, int d, long n, long m, boolean sf) {
        int type = (insn >>> 22) & 3, amount = imm6(insn);
        if (type == 3) throw cpu.undefined();
        if (sf) {
            m = Alu.shiftReg64(m, type, amount);
            switch (op) {
                case ADD -> cpu.setX(d, n + m);
                case SUB -> cpu.setX(d, n - m);
                case ADDS -> cpu.setX(d, Alu.addWithCarry64(cpu, n, m, 0));
                default -> cpu.setX(d, Alu.addWithCarry64(cpu, n, ~m, 1));
            }
        } else {
            if (amount >= 32) throw cpu.undefined();
            int x = (int) n, y = Alu.shiftReg32((int) m, type, amount);
            switch (op) {
                case ADD -> cpu.setX(d, (x + y) & 0xffffffffL);
                case SUB -> cpu.setX(d, (x - y) & 0xffffffffL);
                case ADDS -> cpu.setX(d, Alu.addWithCarry32(cpu, x, y, 0));
                default -> cpu.setX(d, Alu.addWithCarry32(cpu, x, ~y, 1));
            }
        }
    }

    /** Rn is SP when 31; so is Rd, except for the S forms (where 31 is XZR: CMP/CMN). */
    static void addSubExtended(Cpu cpu, int op, int insn, int d, long m, boolean sf) {
        int shift = imm3(insn);
        if (shift > 4) throw cpu.undefined();
        long n = cpu.xOrSp(rn(insn));
        long y = Alu.extendReg(m, (insn >>> 13) & 7, shift);
        switch (op) {
            case ADD_EXT -> cpu.setXOrSp(d, sf ? n + y : (n + y) & 0xffffffffL);
            case SUB_EXT -> cpu.setXOrSp(d, sf ? n - y : (n - y) & 0xffffffffL);
            case ADDS_EXT -> cpu.setX(d, sf ? Alu.addWithCarry64(cpu, n, y, 0) : Alu.addWithCarry32(cpu, (int) n, (int) y, 0));
            default -> cpu.setX(d, sf ? Alu.addWithCarry64(cpu, n, ~y, 1) : Alu.addWithCarry32(cpu, (int) n, ~(int) y, 1));
        }
    }

    static void conditionalSelect(Cpu cpu, int op, int insn, int d, long n, long m, boolean sf) {
        long r;
        if (cpu.conditionHolds((insn >>> 12) & 15)) r = n;
        else if (op == CSEL) r = m;
        else if (op == CSINC) r = m + 1;
        else if (op == CSINV) r = ~m;
        else r = -m;
        cpu.setX(d, sf ? r : r & 0xffffffffL);
    }

    /** CCMN/CCMP: the comparison's flags if the condition holds, else the immediate nzcv. */
    static void conditionalCompare(Cpu cpu, int op, int insn, long n, long m, boolean sf) {
        if (!cpu.conditionHolds((insn >>> 12) & 15)) {
            cpu.setNzcv(insn & 15);
            return;
        }
        long y = (op == CCMN_IMM || op == CCMP_IMM) ? imm5(insn) : m;
        int carry = 0;
        if (op == CCMP || op == CCMP_IMM) {
            y = ~y;
            carry = 1;
        }
        if (sf) Alu.addWithCarry64(cpu, n, y, carry);
        else Alu.addWithCarry32(cpu, (int) n, (int) y, carry);
    }

    /** CRC32/CRC32C of the low {@code bytes} of {@code value} into {@code acc}, without pre- or post-inversion. */
    private static int crc32(int[] table, int acc, long value, int bytes) {
        for (int k = 0; k < bytes; k++) {
            acc = table[(acc ^ (int) value) & 0xff] ^ (acc >>> 8);
            value >>>= 8;
        }
        return acc;
    }

    private static int[] crcTable(int reflectedPoly) {
        int[] t = new int[256];
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ reflectedPoly : c >>> 1;
            t[i] = c;
        }
        return t;
    }
}
