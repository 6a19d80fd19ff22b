package org.jvisor.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;
import static org.jvisor.cpu.Fields.imm12;
import static org.jvisor.cpu.Fields.imm14;
import static org.jvisor.cpu.Fields.imm16;
import static org.jvisor.cpu.Fields.imm19;
import static org.jvisor.cpu.Fields.imm26;
import static org.jvisor.cpu.Fields.imm3;
import static org.jvisor.cpu.Fields.imm6;
import static org.jvisor.cpu.Fields.imm7;
import static org.jvisor.cpu.Fields.imm9;
import static org.jvisor.cpu.Fields.ra;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;
import static org.jvisor.cpu.Fields.rt2;
import static org.jvisor.cpu.Fields.rt;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jvisor.cpu.simd.FpCore;
import org.jvisor.cpu.simd.SimdLoadStore;

/**
 * Emits the JVM class of one {@link Region}: one method, {@link TranslatedCode#run}, whose blocks are the
 * region's basic blocks, with direct branches between them as gotos so that a guest loop stays inside the
 * method. Guest registers stay in {@link Cpu}'s fields, so a fault, a fallback to an instruction handler
 * or an exit needs no spilling, and the JIT keeps what it can in host registers.
 *
 * <p>Emitted inline, as plain bytecode rather than calls to the interpreter's helpers (a call is not inlined
 * once the method is big, and C2 stops inlining at a total of about 8000 bytes): integer data processing
 * with its flags, moves, address generation, branches (a register branch to a block of the region stays in
 * the method), and loads and stores of general-purpose registers on the soft TLB's fast path. A miss, and every other instruction, calls the
 * interpreter's handler through {@link TranslatedRuntime#fallback} with the processor's state as the
 * interpreter would have it, so that faults, MMIO, system registers and floating point ({@link FpCore})
 * behave exactly as interpreted.
 */
final class PageCompiler {
    /** HotSpot never JIT-compiles a method with more bytecode than this (HugeMethodLimit): stay below it. */
    static final int MAX_BYTECODE = 7900;

    private static final ClassDesc CD_CPU = desc(Cpu.class), CD_RT = desc(TranslatedRuntime.class),
            CD_CODE = desc(TranslatedCode.class), CD_SEG = desc(MemorySegment.class),
            CD_BUS = desc(PhysicalBus.class), CD_LONGS = CD_long.arrayType();
    private static final MethodTypeDesc RUN = MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_long, CD_long),
            FALLBACK = MethodTypeDesc.of(CD_boolean, CD_CPU, CD_long, CD_long, CD_long);

    // locals of run(Cpu, int, long, long)
    private static final int CPU = 1, BASE = 3, END = 5, X = 7, IC = 8, VA = 10, HA = 12, TMP = 14, TMP2 = 16, OLD_BASE = 18,
            READ_TAG = 20, WRITE_TAG = 21, ADDEND = 22, MMU_IDX = 23, TLB_INDEX = 24,
            // AddWithCarry's operands and result: longs at 64 bits, ints at 32
            OP_X = 25, OP_Y = 27, OP_R = 29, OP_XI = 31, OP_YI = 32, OP_RI = 33,
            TARGET = 34; // a register branch's target
    private static final ClassDesc CD_TLB = desc(SoftTlb.class);

    private final Region region;
    private CodeBuilder cb;
    private Label[] blockLabels;
    private final Map<Long, Label> exits = new HashMap<>();
    private final List<long[]> exitList = new ArrayList<>();
    private Label leave, dispatch;
    /** Index in the page and in its block of the instruction being emitted, and the block's number. */
    private int index, inBlock, current;

    private PageCompiler(Region region) { this.region = region; }

    /** The class file, or null when its method would be too big for the JIT. */
    static byte[] compile(Region region, String name) {
        byte[] bytes = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                        ClassHierarchyResolver.ofClassLoading(PageCompiler.class.getClassLoader())))
                .build(ClassDesc.of("org.jvisor.cpu." + name), clb -> {
                    clb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
                    clb.withInterfaceSymbols(CD_CODE);
                    clb.withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC, c -> {
                        c.aload(0);
                        c.invokespecial(CD_Object, INIT_NAME, MTD_void);
                        c.return_();
                    });
                    clb.withMethodBody("run", RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL,
                            c -> new PageCompiler(region).emit(c));
                });
        return codeLength(bytes) <= MAX_BYTECODE ? bytes : null;
    }

    static int codeLength(byte[] classBytes) {
        ClassModel m = ClassFile.of().parse(classBytes);
        for (MethodModel mm : m.methods())
            if (mm.methodName().equalsString("run")) return mm.findAttribute(Attributes.code()).orElseThrow().codeLength();
        throw new IllegalStateException("no run method");
    }

    private static ClassDesc desc(Class<?> c) { return c.describeConstable().orElseThrow(); }

    // ---- the method ---------------------------------------------------------------------------------

    private void emit(CodeBuilder c) {
        cb = c;
        int n = region.blocks();
        blockLabels = new Label[n];
        for (int b = 0; b < n; b++) blockLabels[b] = cb.newLabel();
        leave = cb.newLabel();
        cb.aload(CPU);
        cb.getfield(CD_CPU, "x", CD_LONGS);
        cb.astore(X);
        cb.aload(CPU);
        cb.getfield(CD_CPU, "instret", CD_long);
        cb.lstore(IC);
        // The soft TLB's arrays in locals: the JIT must reload fields after every store to guest memory
        // (it cannot tell guest RAM from the Java heap), locals it need not.
        cb.aload(CPU);
        cb.getfield(CD_CPU, "tlb", CD_TLB);
        cb.dup();
        cb.getfield(CD_TLB, "readTag", CD_LONGS);
        cb.astore(READ_TAG);
        cb.dup();
        cb.getfield(CD_TLB, "writeTag", CD_LONGS);
        cb.astore(WRITE_TAG);
        cb.getfield(CD_TLB, "addend", CD_LONGS);
        cb.astore(ADDEND);
        loadMmuIndex();
        List<SwitchCase> cases = new ArrayList<>();
        for (int b = 0; b < n; b++) cases.add(SwitchCase.of(b, blockLabels[b]));
        cb.iload(2);
        cb.tableswitch(0, n - 1, blockLabels[0], cases);
        for (int b = 0; b < n; b++) emitBlock(b);
        cb.labelBinding(leave);
        cb.return_();
        if (dispatch != null) emitDispatch();
        for (long[] e : exitList) {
            cb.labelBinding(exits.get(key(e[0], (int) e[1], (int) e[2])));
            profileExit((int) e[2]);
            setPc(e[0]);
            setInstret((int) e[1]);
            cb.return_();
        }
    }

    /**
     * Where register branches go, with their target in TARGET and IC counting them: a block of this region
     * when the target is one in this page (a return to the caller in the same page stays in the method),
     * else an exit. Another processor's kick is checked as on a backward jump.
     */
    private void emitDispatch() {
        Label out = cb.newLabel();
        cb.labelBinding(dispatch);
        cb.lload(TARGET);
        cb.lload(BASE);
        cb.lsub();
        cb.dup2();
        cb.lstore(TMP);
        cb.loadConstant(~0xffcL); // outside the page or misaligned
        cb.land();
        cb.lconst_0();
        cb.lcmp();
        cb.ifne(out);
        cb.aload(CPU);
        cb.getfield(CD_CPU, "breakLoop", CD_boolean);
        cb.ifne(out);
        cb.lload(TMP);
        cb.iconst_2();
        cb.lushr();
        cb.l2i();
        List<SwitchCase> cases = new ArrayList<>();
        for (int b = 0; b < region.blocks(); b++) cases.add(SwitchCase.of(region.starts[b], blockLabels[b]));
        cb.lookupswitch(out, cases);
        cb.labelBinding(out);
        profileExit(TranslationProfile.EXIT_INDIRECT);
        cb.aload(CPU);
        cb.lload(TARGET);
        cb.putfield(CD_CPU, "pc", CD_long);
        setInstret(0);
        cb.return_();
    }

    private void emitBlock(int b) {
        int start = region.starts[b], len = region.lengths[b];
        cb.labelBinding(blockLabels[b]);
        // Enough of the chunk left for the whole block? (Whether anyone asked the processor to stop is checked
        // on backward jumps only: an opaque read there keeps the JIT from caching guest state across it.)
        cb.lload(IC);
        cb.loadConstant((long) len);
        cb.ladd();
        cb.lload(END);
        cb.lcmp();
        cb.ifgt(exit(4L * start, 0, TranslationProfile.EXIT_BUDGET));
        current = b;
        boolean ended = false;
        for (int k = 0; k < len; k++) {
            index = start + k;
            inBlock = k;
            ended = emitInstruction(region.words[index], region.ops[index]);
        }
        if (!ended) jump(4L * (start + len), len);
    }

    /** Emits one instruction; true if it ended the block (a branch, which has emitted its own jumps). */
    private boolean emitInstruction(int w, int op) {
        int local = op & 0xfff;
        if (TranslationProfile.ON) {
            // counted inline here; a fallback counts itself and takes the count back
            profileCount(TranslationProfile.INLINE, op, w);
        }
        switch (op >>> 12) {
            case Executor.G_BRANCH -> {
                branch(local, w);
                return true;
            }
            case Executor.G_DP_IMM -> {
                if (!dpImmediate(local, w)) fallback(op, w);
            }
            case Executor.G_DP_REG -> {
                if (!dpRegister(local, w)) fallback(op, w);
            }
            case Executor.G_LOADSTORE -> {
                if (!loadStore(local, w, op)) fallback(op, w);
            }
            case Executor.G_SIMD_LS -> {
                if (!simdLoadStore(local, w, op)) fallback(op, w);
            }
            default -> fallback(op, w);
        }
        return false;
    }

    // ---- control flow -------------------------------------------------------------------------------

    private static long key(long pcOffset, int retired, int why) {
        return (pcOffset * 4096 + retired) * 8 + (TranslationProfile.ON ? why : 0);
    }

    /** A label that leaves run with pc = base + pcOffset and {@code retired} more instructions retired. */
    private Label exit(long pcOffset, int retired, int why) {
        long k = key(pcOffset, retired, why);
        Label l = exits.get(k);
        if (l == null) {
            l = cb.newLabel();
            exits.put(k, l);
            exitList.add(new long[] {pcOffset, retired, why});
        }
        return l;
    }

    private void profileExit(int why) {
        if (!TranslationProfile.ON) return;
        cb.aload(CPU);
        cb.loadConstant(why);
        cb.invokestatic(desc(TranslationProfile.class), "exit", MethodTypeDesc.of(CD_void, CD_CPU, CD_int));
    }

    private void profileCount(int kind, int op, int w) {
        if (!TranslationProfile.ON) return;
        cb.aload(CPU);
        cb.loadConstant(kind);
        cb.loadConstant(op);
        cb.loadConstant(w);
        cb.invokestatic(desc(TranslationProfile.class), "count", MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_int, CD_int));
    }

    private void setPc(long pcOffset) {
        cb.aload(CPU);
        cb.lload(BASE);
        cb.loadConstant(pcOffset);
        cb.ladd();
        cb.putfield(CD_CPU, "pc", CD_long);
    }

    private void setInstret(int retired) {
        cb.aload(CPU);
        cb.lload(IC);
        if (retired != 0) {
            cb.loadConstant((long) retired);
            cb.ladd();
        }
        cb.putfield(CD_CPU, "instret", CD_long);
    }

    /** Continues at base + pcOffset after {@code retired} instructions of this block: a goto inside the region, else an exit. */
    private void jump(long pcOffset, int retired) {
        int target = pcOffset >= 0 && pcOffset < 4096 && (pcOffset & 3) == 0 ? region.blockAt[(int) (pcOffset >>> 2)] : -1;
        if (target >= 0) {
            cb.lload(IC);
            cb.loadConstant((long) retired);
            cb.ladd();
            cb.lstore(IC);
            if (target <= current) { // a loop: another processor's kick is seen within one pass of it
                cb.aload(CPU);
                cb.getfield(CD_CPU, "breakLoop", CD_boolean);
                cb.ifne(exit(pcOffset, 0, TranslationProfile.EXIT_BREAK));
            }
            cb.goto_(blockLabels[target]);
        } else {
            cb.goto_(exit(pcOffset, retired, TranslationProfile.EXIT_OUTSIDE));
        }
    }

    private void branch(int local, int w) {
        long here = 4L * index;
        int retired = inBlock + 1;
        switch (local) {
            case Branches.B -> jump(here + ((long) imm26(w) << 2), retired);
            case Branches.BL -> {
                storeX(30, () -> pcConstant(here + 4));
                jump(here + ((long) imm26(w) << 2), retired);
            }
            case Branches.B_COND -> {
                condition(w & 15);
                conditional(here + ((long) imm19(w) << 2), retired, false);
            }
            case Branches.CBZ, Branches.CBNZ -> {
                loadX(rt(w));
                if (w < 0) {
                    cb.lconst_0();
                    cb.lcmp();
                } else {
                    cb.l2i();
                }
                conditional(here + ((long) imm19(w) << 2), retired, local == Branches.CBZ);
            }
            case Branches.TBZ, Branches.TBNZ -> {
                int bit = ((w >>> 26) & 0x20) | ((w >>> 19) & 0x1f);
                loadX(rt(w));
                cb.loadConstant(bit);
                cb.lushr();
                cb.l2i();
                cb.iconst_1();
                cb.iand();
                conditional(here + ((long) imm14(w) << 2), retired, local == Branches.TBZ);
            }
            case Branches.BR, Branches.RET, Branches.BLR -> {
                loadX(rn(w));
                cb.lstore(TARGET);
                if (local == Branches.BLR) storeX(30, () -> pcConstant(here + 4));
                cb.lload(IC);
                cb.loadConstant((long) retired);
                cb.ladd();
                cb.lstore(IC);
                if (dispatch == null) dispatch = cb.newLabel();
                cb.goto_(dispatch);
            }
            default -> throw new IllegalStateException("branch op " + local);
        }
    }

    /** With an int on the stack: branches to the target when it is non-zero (zero if {@code whenZero}), else falls through. */
    private void conditional(long target, int retired, boolean whenZero) {
        Label taken = cb.newLabel();
        if (whenZero) cb.ifeq(taken);
        else cb.ifne(taken);
        jump(4L * index + 4, retired);
        cb.labelBinding(taken);
        jump(target, retired);
    }

    /** ConditionHolds(cond) as an int 0/1 on the stack, from PSTATE.NZCV in the processor's fields. */
    private void condition(int cond) {
        switch (cond >>> 1) {
            case 0 -> flag("z");
            case 1 -> flag("c");
            case 2 -> flag("n");
            case 3 -> flag("v");
            case 4 -> {
                flag("c");
                flag("z");
                cb.iconst_1();
                cb.ixor();
                cb.iand();
            }
            case 5 -> {
                flag("n");
                flag("v");
                cb.ixor();
                cb.iconst_1();
                cb.ixor();
            }
            case 6 -> {
                flag("n");
                flag("v");
                cb.ixor();
                flag("z");
                cb.ior();
                cb.iconst_1();
                cb.ixor();
            }
            default -> cb.iconst_1();
        }
        if ((cond & 1) != 0 && cond != 15) {
            cb.iconst_1();
            cb.ixor();
        }
    }

    private void flag(String name) {
        cb.aload(CPU);
        cb.getfield(CD_CPU, name, CD_boolean);
    }

    /** The interpreter's handler for the instruction, with the state it expects; returns from run if it says so. */
    private boolean inSlowPath;

    private void fallback(int op, int w) {
        if (TranslationProfile.ON) {
            profileCount(inSlowPath ? TranslationProfile.SLOW_PATH : TranslationProfile.FALLBACK, op, w);
            profileCount(TranslationProfile.UNCOUNT_INLINE, op, w);
        }
        cb.aload(CPU);
        cb.loadConstant(((long) w << 32) | ((long) (op & 0xffff) << 16) | ((long) index << 6) | inBlock);
        cb.lload(BASE);
        cb.lload(IC);
        cb.invokestatic(CD_RT, "fallback", FALLBACK);
        if (TranslationProfile.ON) {
            Label stay = cb.newLabel();
            cb.ifeq(stay);
            profileExit(TranslationProfile.EXIT_FALLBACK);
            cb.goto_(leave);
            cb.labelBinding(stay);
        } else {
            cb.ifne(leave);
        }
        // A system instruction may have changed the translation regime (PSTATE.PAN, HCR_EL2); the other
        // groups change it only by taking an exception, which returned above.
        if ((op >>> 12) == Executor.G_SYSTEM) loadMmuIndex();
    }

    /** MMU_IDX = the soft TLB's index base for the current translation regime. */
    private void loadMmuIndex() {
        cb.aload(CPU);
        cb.getfield(CD_CPU, "mmuIdx", CD_int);
        cb.loadConstant(SoftTlb.BITS);
        cb.ishl();
        cb.istore(MMU_IDX);
    }

    // ---- registers ----------------------------------------------------------------------------------

    private void pcConstant(long pcOffset) {
        cb.lload(BASE);
        if (pcOffset != 0) {
            cb.loadConstant(pcOffset);
            cb.ladd();
        }
    }

    /** Xr (0 for XZR). */
    private void loadX(int r) {
        if (r == 31) {
            cb.lconst_0();
            return;
        }
        cb.aload(X);
        cb.loadConstant(r);
        cb.laload();
    }

    /** Xr, or SP for 31. */
    private void loadXOrSp(int r) {
        if (r != 31) {
            loadX(r);
            return;
        }
        cb.aload(CPU);
        cb.getfield(CD_CPU, "sp", CD_long);
    }

    /** Xr = value (discarded for XZR; the value is still computed, for its side effects). */
    private void storeX(int r, Runnable value) {
        if (r == 31) {
            value.run();
            cb.pop2();
            return;
        }
        cb.aload(X);
        cb.loadConstant(r);
        value.run();
        cb.lastore();
    }

    private void storeXOrSp(int r, Runnable value) {
        if (r != 31) {
            storeX(r, value);
            return;
        }
        cb.aload(CPU);
        value.run();
        cb.putfield(CD_CPU, "sp", CD_long);
    }

    private void zeroExtend32() {
        cb.loadConstant(0xffffffffL);
        cb.land();
    }

    // ---- data processing ----------------------------------------------------------------------------

    private boolean dpImmediate(int local, int w) {
        boolean sf = w < 0;
        int d = rd(w), n = rn(w);
        switch (local) {
            case DataProcessingImmediate.ADD, DataProcessingImmediate.SUB -> {
                long imm = (long) imm12(w) << (((w >>> 22) & 1) * 12);
                storeXOrSp(d, () -> {
                    loadXOrSp(n);
                    cb.loadConstant(imm);
                    if (local == DataProcessingImmediate.ADD) cb.ladd();
                    else cb.lsub();
                    if (!sf) zeroExtend32();
                });
            }
            case DataProcessingImmediate.ADDS, DataProcessingImmediate.SUBS -> {
                long imm = (long) imm12(w) << (((w >>> 22) & 1) * 12);
                boolean sub = local == DataProcessingImmediate.SUBS;
                storeX(d, () -> addWithCarry(sf, () -> loadXOrSp(n), () -> {
                    if (sf) cb.loadConstant(sub ? ~imm : imm);
                    else cb.loadConstant(sub ? ~(int) imm : (int) imm);
                }, sub ? 1 : 0));
            }
            case DataProcessingImmediate.AND, DataProcessingImmediate.ORR, DataProcessingImmediate.EOR,
                    DataProcessingImmediate.ANDS -> {
                long imm = DataProcessingImmediate.LOGICAL_IMM[(w >>> 10) & 0x1fff];
                if ((!sf && (w & (1 << 22)) != 0) || imm == 0) return false;
                loadX(n);
                cb.loadConstant(sf ? imm : imm & 0xffffffffL);
                switch (local) {
                    case DataProcessingImmediate.ORR -> cb.lor();
                    case DataProcessingImmediate.EOR -> cb.lxor();
                    default -> cb.land();
                }
                if (!sf) zeroExtend32();
                cb.lstore(TMP);
                if (local == DataProcessingImmediate.ANDS) {
                    logicFlags(sf);
                    storeX(d, () -> cb.lload(TMP));
                } else {
                    storeXOrSp(d, () -> cb.lload(TMP));
                }
            }
            case DataProcessingImmediate.MOVN, DataProcessingImmediate.MOVZ, DataProcessingImmediate.MOVK -> {
                int hw = (w >>> 21) & 3;
                if (!sf && hw > 1) return false;
                int shift = hw * 16;
                long imm = (long) imm16(w) << shift;
                if (local == DataProcessingImmediate.MOVK) {
                    storeX(d, () -> {
                        loadX(d);
                        cb.loadConstant(~(0xffffL << shift));
                        cb.land();
                        cb.loadConstant(imm);
                        cb.lor();
                        if (!sf) zeroExtend32();
                    });
                } else {
                    long r = local == DataProcessingImmediate.MOVN ? ~imm : imm;
                    storeX(d, () -> cb.loadConstant(sf ? r : r & 0xffffffffL));
                }
            }
            case DataProcessingImmediate.ADR -> {
                long imm = DataProcessingImmediate.adrImm(w);
                storeX(d, () -> pcConstant(4L * index + imm));
            }
            case DataProcessingImmediate.ADRP -> {
                long imm = DataProcessingImmediate.adrImm(w);
                storeX(d, () -> pcConstant(imm << 12)); // base is the page of this instruction
            }
            case DataProcessingImmediate.SBFM, DataProcessingImmediate.BFM, DataProcessingImmediate.UBFM -> {
                if (sf ? (w & (1 << 22)) == 0 : (w & ((1 << 22) | (1 << 21) | (1 << 15))) != 0) return false;
                bitfield(local, w, d, n, sf);
            }
            case DataProcessingImmediate.EXTR -> {
                int lsb = (w >>> 10) & 0x3f;
                if (sf != ((w & (1 << 22)) != 0) || (!sf && lsb >= 32)) return false;
                int m = rm(w);
                storeX(d, () -> {
                    if (sf) { // (m >>> lsb) | ((n << 1) << (63 - lsb)), as the interpreter computes it
                        loadX(m);
                        cb.loadConstant(lsb);
                        cb.lushr();
                        loadX(n);
                        cb.iconst_1();
                        cb.lshl();
                        cb.loadConstant(63 - lsb);
                        cb.lshl();
                        cb.lor();
                    } else {
                        loadX(n);
                        cb.loadConstant(32);
                        cb.lshl();
                        loadX(m);
                        zeroExtend32();
                        cb.lor();
                        cb.loadConstant(lsb);
                        cb.lushr();
                        zeroExtend32();
                    }
                });
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** SBFM, BFM, UBFM with their constant fields folded: {@link DataProcessingImmediate#bitfield}'s arithmetic. */
    private void bitfield(int local, int w, int d, int n, boolean sf) {
        int r = (w >>> 16) & 0x3f, s = (w >>> 10) & 0x3f, datasize = sf ? 64 : 32;
        boolean signed = local == DataProcessingImmediate.SBFM, insert = local == DataProcessingImmediate.BFM;
        storeX(d, () -> {
            if (s >= r) {
                int width = s - r + 1;
                long mask = -1L >>> (64 - width);
                loadX(n);
                if (r != 0) {
                    cb.loadConstant(r);
                    cb.lushr();
                }
                if (signed) {
                    if (width != 64) {
                        cb.loadConstant(64 - width);
                        cb.lshl();
                        cb.loadConstant(64 - width);
                        cb.lshr();
                    }
                } else {
                    cb.loadConstant(mask);
                    cb.land();
                }
                if (insert) {
                    loadX(d);
                    cb.loadConstant(~mask);
                    cb.land();
                    cb.lor();
                }
            } else {
                int pos = datasize - r;
                long ones = -1L >>> (63 - s);
                loadX(n);
                if (signed) {
                    cb.loadConstant(63 - s);
                    cb.lshl();
                    cb.loadConstant(63 - s);
                    cb.lshr();
                } else {
                    cb.loadConstant(ones);
                    cb.land();
                }
                cb.loadConstant(pos);
                cb.lshl();
                if (insert) {
                    loadX(d);
                    cb.loadConstant(~(ones << pos));
                    cb.land();
                    cb.lor();
                }
            }
            if (!sf) zeroExtend32();
        });
    }

    /**
     * AddWithCarry with PSTATE.NZCV set, as {@link Alu#addWithCarry64}/{@link Alu#addWithCarry32} compute
     * them, emitted inline (a call is not inlined into a big translated method): {@code x} pushes a long,
     * {@code y} a long at 64 bits and an int at 32. Leaves the (zero-extended) result.
     */
    private void addWithCarry(boolean sf, Runnable x, Runnable y, int carry) {
        x.run();
        if (sf) {
            cb.lstore(OP_X);
            y.run();
            cb.lstore(OP_Y);
            cb.lload(OP_X);
            cb.lload(OP_Y);
            cb.ladd();
            if (carry != 0) {
                cb.lconst_1();
                cb.ladd();
            }
            cb.lstore(OP_R);
        } else {
            cb.l2i();
            cb.istore(OP_XI);
            y.run();
            cb.istore(OP_YI);
            cb.iload(OP_XI);
            cb.iload(OP_YI);
            cb.iadd();
            if (carry != 0) {
                cb.iconst_1();
                cb.iadd();
            }
            cb.istore(OP_RI);
        }
        flagsNZ(sf);
        // C = ((x & y) | ((x | y) & ~r)) < 0, V = ((x ^ r) & (y ^ r)) < 0
        cb.aload(CPU);
        loadOp(sf, 'x');
        loadOp(sf, 'y');
        and(sf);
        loadOp(sf, 'x');
        loadOp(sf, 'y');
        or(sf);
        loadOp(sf, 'r');
        not(sf);
        and(sf);
        or(sf);
        signBit(sf);
        cb.putfield(CD_CPU, "c", CD_boolean);
        cb.aload(CPU);
        loadOp(sf, 'x');
        loadOp(sf, 'r');
        xor(sf);
        loadOp(sf, 'y');
        loadOp(sf, 'r');
        xor(sf);
        and(sf);
        signBit(sf);
        cb.putfield(CD_CPU, "v", CD_boolean);
        loadOp(sf, 'r');
        if (!sf) intToRegister();
    }

    private void loadOp(boolean sf, char which) {
        if (sf) cb.lload(which == 'x' ? OP_X : which == 'y' ? OP_Y : OP_R);
        else cb.iload(which == 'x' ? OP_XI : which == 'y' ? OP_YI : OP_RI);
    }

    private void and(boolean sf) {
        if (sf) cb.land();
        else cb.iand();
    }

    private void or(boolean sf) {
        if (sf) cb.lor();
        else cb.ior();
    }

    private void xor(boolean sf) {
        if (sf) cb.lxor();
        else cb.ixor();
    }

    private void not(boolean sf) {
        if (sf) {
            cb.loadConstant(-1L);
            cb.lxor();
        } else {
            cb.iconst_m1();
            cb.ixor();
        }
    }

    /** The sign bit of the long (sf) or int on the stack, as an int 0/1. */
    private void signBit(boolean sf) {
        if (sf) {
            cb.bipush(63);
            cb.lushr();
            cb.l2i();
        } else {
            cb.bipush(31);
            cb.iushr();
        }
    }

    /** PSTATE.N and Z from the result in OP_R (sf) or OP_RI. */
    private void flagsNZ(boolean sf) {
        cb.aload(CPU);
        loadOp(sf, 'r');
        signBit(sf);
        cb.putfield(CD_CPU, "n", CD_boolean);
        cb.aload(CPU);
        loadOp(sf, 'r'); // r == 0 iff r | -r has no sign bit
        loadOp(sf, 'r');
        if (sf) cb.lneg();
        else cb.ineg();
        or(sf);
        signBit(sf);
        cb.iconst_1();
        cb.ixor();
        cb.putfield(CD_CPU, "z", CD_boolean);
    }

    /** NZCV of a logical S form from the result in TMP (zero-extended at 32 bits): N and Z from it, C and V cleared. */
    private void logicFlags(boolean sf) {
        cb.lload(TMP);
        if (sf) {
            cb.lstore(OP_R);
        } else {
            cb.l2i();
            cb.istore(OP_RI);
        }
        flagsNZ(sf);
        cb.aload(CPU);
        cb.iconst_0();
        cb.putfield(CD_CPU, "c", CD_boolean);
        cb.aload(CPU);
        cb.iconst_0();
        cb.putfield(CD_CPU, "v", CD_boolean);
    }

    /** Pushes Xm shifted by a constant (type 0-3: LSL, LSR, ASR, ROR): a long if sf, else an int. */
    private void shiftedRegister(int m, int type, int amount, boolean sf) {
        loadX(m);
        if (!sf) cb.l2i();
        if (amount == 0) return;
        if (type == 3) { // ROR: (v >>> a) | (v << (size - a))
            if (sf) {
                cb.dup2();
                cb.loadConstant(amount);
                cb.lushr();
                cb.dup2_x2();
                cb.pop2();
                cb.loadConstant(64 - amount);
                cb.lshl();
                cb.lor();
            } else {
                cb.dup();
                cb.loadConstant(amount);
                cb.iushr();
                cb.swap();
                cb.loadConstant(32 - amount);
                cb.ishl();
                cb.ior();
            }
            return;
        }
        cb.loadConstant(amount);
        switch (type) {
            case 0 -> {
                if (sf) cb.lshl();
                else cb.ishl();
            }
            case 1 -> {
                if (sf) cb.lushr();
                else cb.iushr();
            }
            default -> {
                if (sf) cb.lshr();
                else cb.ishr();
            }
        }
    }

    /** ExtendReg(Xm, option, shift) as a long ({@link Alu#extendReg}). */
    private void extendedRegister(int m, int option, int shift) {
        loadX(m);
        switch (option) {
            case 0 -> {
                cb.loadConstant(0xffL);
                cb.land();
            }
            case 1 -> {
                cb.loadConstant(0xffffL);
                cb.land();
            }
            case 2 -> zeroExtend32();
            case 4 -> {
                cb.l2i();
                cb.i2b();
                cb.i2l();
            }
            case 5 -> {
                cb.l2i();
                cb.i2s();
                cb.i2l();
            }
            case 6 -> {
                cb.l2i();
                cb.i2l();
            }
            default -> { }
        }
        if (shift != 0) {
            cb.loadConstant(shift);
            cb.lshl();
        }
    }

    /** The int on the stack zero-extended to a long. */
    private void intToRegister() {
        cb.i2l();
        zeroExtend32();
    }

    private boolean dpRegister(int local, int w) {
        boolean sf = w < 0;
        int d = rd(w), n = rn(w), m = rm(w), a = ra(w);
        int type = (w >>> 22) & 3, amount = imm6(w);
        switch (local) {
            case DataProcessingRegister.AND, DataProcessingRegister.BIC, DataProcessingRegister.ORR, DataProcessingRegister.ORN,
                    DataProcessingRegister.EOR, DataProcessingRegister.EON, DataProcessingRegister.ANDS,
                    DataProcessingRegister.BICS -> {
                if (!sf && amount >= 32) return false;
                if (local == DataProcessingRegister.ORR && type == 0 && amount == 0 && n == 31) { // MOV
                    storeX(d, () -> {
                        loadX(m);
                        if (!sf) zeroExtend32();
                    });
                    return true;
                }
                boolean invert = local == DataProcessingRegister.BIC || local == DataProcessingRegister.ORN
                        || local == DataProcessingRegister.EON || local == DataProcessingRegister.BICS;
                loadX(n);
                if (!sf) cb.l2i();
                shiftedRegister(m, type, amount, sf);
                if (invert) not(sf);
                switch (local) {
                    case DataProcessingRegister.ORR, DataProcessingRegister.ORN -> or(sf);
                    case DataProcessingRegister.EOR, DataProcessingRegister.EON -> xor(sf);
                    default -> and(sf);
                }
                if (!sf) intToRegister();
                cb.lstore(TMP);
                if (local == DataProcessingRegister.ANDS || local == DataProcessingRegister.BICS) logicFlags(sf);
                storeX(d, () -> cb.lload(TMP));
            }
            case DataProcessingRegister.ADD, DataProcessingRegister.ADDS, DataProcessingRegister.SUB,
                    DataProcessingRegister.SUBS -> {
                if (type == 3 || (!sf && amount >= 32)) return false;
                boolean sub = local == DataProcessingRegister.SUB || local == DataProcessingRegister.SUBS;
                if (local == DataProcessingRegister.ADDS || local == DataProcessingRegister.SUBS) {
                    storeX(d, () -> addWithCarry(sf, () -> loadX(n), () -> {
                        shiftedRegister(m, type, amount, sf);
                        if (sub) not(sf);
                    }, sub ? 1 : 0));
                } else {
                    storeX(d, () -> {
                        loadX(n);
                        if (!sf) cb.l2i();
                        shiftedRegister(m, type, amount, sf);
                        if (sf) {
                            if (sub) cb.lsub();
                            else cb.ladd();
                        } else {
                            if (sub) cb.isub();
                            else cb.iadd();
                            intToRegister();
                        }
                    });
                }
            }
            case DataProcessingRegister.ADD_EXT, DataProcessingRegister.ADDS_EXT, DataProcessingRegister.SUB_EXT,
                    DataProcessingRegister.SUBS_EXT -> {
                int shift = imm3(w), option = (w >>> 13) & 7;
                if (shift > 4) return false;
                boolean sub = local == DataProcessingRegister.SUB_EXT || local == DataProcessingRegister.SUBS_EXT;
                if (local == DataProcessingRegister.ADDS_EXT || local == DataProcessingRegister.SUBS_EXT) {
                    storeX(d, () -> addWithCarry(sf, () -> loadXOrSp(n), () -> {
                        extendedRegister(m, option, shift);
                        if (!sf) cb.l2i();
                        if (sub) not(sf);
                    }, sub ? 1 : 0));
                } else {
                    storeXOrSp(d, () -> {
                        loadXOrSp(n);
                        extendedRegister(m, option, shift);
                        if (sub) cb.lsub();
                        else cb.ladd();
                        if (!sf) zeroExtend32();
                    });
                }
            }
            case DataProcessingRegister.CSEL, DataProcessingRegister.CSINC, DataProcessingRegister.CSINV,
                    DataProcessingRegister.CSNEG -> storeX(d, () -> {
                Label otherwise = cb.newLabel(), selected = cb.newLabel();
                condition((w >>> 12) & 15);
                cb.ifeq(otherwise);
                loadX(n);
                cb.goto_(selected);
                cb.labelBinding(otherwise);
                loadX(m);
                switch (local) {
                    case DataProcessingRegister.CSINC -> {
                        cb.lconst_1();
                        cb.ladd();
                    }
                    case DataProcessingRegister.CSINV -> not(true);
                    case DataProcessingRegister.CSNEG -> cb.lneg();
                    default -> { }
                }
                cb.labelBinding(selected);
                if (!sf) zeroExtend32();
            });
            case DataProcessingRegister.CCMN, DataProcessingRegister.CCMP, DataProcessingRegister.CCMN_IMM,
                    DataProcessingRegister.CCMP_IMM -> {
                // the comparison's flags if the condition holds, else the immediate nzcv
                Label otherwise = cb.newLabel(), compared = cb.newLabel();
                boolean sub = local == DataProcessingRegister.CCMP || local == DataProcessingRegister.CCMP_IMM;
                boolean imm = local == DataProcessingRegister.CCMN_IMM || local == DataProcessingRegister.CCMP_IMM;
                condition((w >>> 12) & 15);
                cb.ifeq(otherwise);
                addWithCarry(sf, () -> loadX(n), () -> {
                    if (imm) {
                        long y = sub ? ~(long) m : m;
                        if (sf) cb.loadConstant(y);
                        else cb.loadConstant((int) y);
                    } else {
                        loadX(m);
                        if (!sf) cb.l2i();
                        if (sub) not(sf);
                    }
                }, sub ? 1 : 0);
                cb.pop2();
                cb.goto_(compared);
                cb.labelBinding(otherwise);
                String[] flags = {"v", "c", "z", "n"};
                for (int f = 0; f < 4; f++) {
                    cb.aload(CPU);
                    cb.loadConstant((w >>> f) & 1);
                    cb.putfield(CD_CPU, flags[f], CD_boolean);
                }
                cb.labelBinding(compared);
            }
            case DataProcessingRegister.MADD, DataProcessingRegister.MSUB -> storeX(d, () -> {
                loadX(a);
                loadX(n);
                loadX(m);
                cb.lmul();
                if (local == DataProcessingRegister.MADD) cb.ladd();
                else cb.lsub();
                if (!sf) zeroExtend32();
            });
            case DataProcessingRegister.SMADDL, DataProcessingRegister.SMSUBL, DataProcessingRegister.UMADDL,
                    DataProcessingRegister.UMSUBL -> storeX(d, () -> {
                boolean signed = local == DataProcessingRegister.SMADDL || local == DataProcessingRegister.SMSUBL;
                loadX(a);
                for (int r : new int[] {n, m}) {
                    loadX(r);
                    if (signed) {
                        cb.l2i();
                        cb.i2l();
                    } else {
                        zeroExtend32();
                    }
                }
                cb.lmul();
                if (local == DataProcessingRegister.SMADDL || local == DataProcessingRegister.UMADDL) cb.ladd();
                else cb.lsub();
            });
            case DataProcessingRegister.SMULH, DataProcessingRegister.UMULH -> storeX(d, () -> {
                loadX(n);
                loadX(m);
                cb.invokestatic(desc(Math.class), local == DataProcessingRegister.SMULH ? "multiplyHigh" : "unsignedMultiplyHigh",
                        MethodTypeDesc.of(CD_long, CD_long, CD_long));
            });
            case DataProcessingRegister.LSLV, DataProcessingRegister.LSRV, DataProcessingRegister.ASRV -> storeX(d, () -> {
                // Java masks shift counts to the operand width, as the architecture takes them modulo it.
                loadX(n);
                if (!sf) cb.l2i();
                loadX(m);
                cb.l2i();
                if (sf) {
                    switch (local) {
                        case DataProcessingRegister.LSLV -> cb.lshl();
                        case DataProcessingRegister.LSRV -> cb.lushr();
                        default -> cb.lshr();
                    }
                } else {
                    switch (local) {
                        case DataProcessingRegister.LSLV -> cb.ishl();
                        case DataProcessingRegister.LSRV -> cb.iushr();
                        default -> cb.ishr();
                    }
                    cb.i2l();
                    zeroExtend32();
                }
            });
            default -> {
                return false;
            }
        }
        return true;
    }

    // ---- loads and stores ---------------------------------------------------------------------------

    private record Access(ClassDesc layoutType, String layoutField) {}

    private static final Access[] ACCESS = {
            new Access(desc(ValueLayout.OfByte.class), "B"), new Access(desc(ValueLayout.OfShort.class), "H"),
            new Access(desc(ValueLayout.OfInt.class), "W"), new Access(desc(ValueLayout.OfLong.class), "D")};

    private boolean loadStore(int local, int w, int op) {
        switch (local) {
            case LoadStore.LDST_UIMM, LoadStore.LDST_UNSCALED, LoadStore.LDST_PRE, LoadStore.LDST_POST,
                    LoadStore.LDST_REG -> {
                return single(local, w, op);
            }
            case LoadStore.LDR_LIT, LoadStore.LDRSW_LIT -> {
                literal(local, w, op);
                return true;
            }
            case LoadStore.PRFM -> {
                return true; // a hint: no access, no fault
            }
            case LoadStore.PAIR_OFFSET, LoadStore.PAIR_PRE, LoadStore.PAIR_POST, LoadStore.PAIR_NO_ALLOC -> {
                return pair(local, w, op);
            }
            default -> {
                return false;
            }
        }
    }

    /**
     * Leaves the base register's value in OLD_BASE; for SP (31), first branches to {@code slow} when SP is not
     * 16-byte aligned, where the handler applies SCTLR_ELx.SA.
     */
    private void baseRegister(int n, Label slow) {
        if (n == 31) {
            cb.aload(CPU);
            cb.getfield(CD_CPU, "sp", CD_long);
            cb.dup2();
            cb.lstore(OLD_BASE);
            cb.loadConstant(15L);
            cb.land();
            cb.lconst_0();
            cb.lcmp();
            cb.ifne(slow);
        } else {
            loadX(n);
            cb.lstore(OLD_BASE);
        }
    }

    private boolean single(int local, int w, int op) {
        int size = w >>> 30, opc = (w >>> 22) & 3, t = rt(w), n = rn(w);
        if (opc >= 2 && (size == 3 || (size == 2 && opc == 3))) return false;
        if (local == LoadStore.LDST_REG && ((w >>> 13) & 2) == 0) return false;
        Label slow = cb.newLabel(), done = cb.newLabel();
        baseRegister(n, slow);
        // the offset, in TMP2 (for the writeback forms) and the address in VA
        switch (local) {
            case LoadStore.LDST_UIMM -> cb.loadConstant((long) imm12(w) << size);
            case LoadStore.LDST_REG -> {
                // LoadStore.extendReg: option 2 UXTW, 6 SXTW, 3 and 7 the register itself
                extendedRegister(rm(w), (w >>> 13) & 7, (w & (1 << 12)) != 0 ? size : 0);
            }
            default -> cb.loadConstant((long) imm9(w));
        }
        cb.lstore(TMP2);
        cb.lload(OLD_BASE);
        if (local != LoadStore.LDST_POST) {
            cb.lload(TMP2);
            cb.ladd();
        }
        cb.lstore(VA);
        long mask = ~0xfffL | ((1L << size) - 1);
        if (opc == 0) {
            hostAddress(true, mask, slow);
            put(size, 0, t);
        } else {
            hostAddress(false, mask, slow);
            storeX(t, () -> {
                get(size, 0);
                extendLoaded(size, opc);
            });
        }
        if (local == LoadStore.LDST_PRE || local == LoadStore.LDST_POST) {
            writeBackBase(n);
        }
        slowPath(slow, done, op, w);
        return true;
    }

    private void literal(int local, int w, int op) {
        int t = rt(w);
        int size = local == LoadStore.LDRSW_LIT || (w & (1 << 30)) == 0 ? 2 : 3;
        Label slow = cb.newLabel(), done = cb.newLabel();
        pcConstant(4L * index + ((long) imm19(w) << 2));
        cb.lstore(VA);
        hostAddress(false, ~0xfffL | ((1L << size) - 1), slow);
        storeX(t, () -> {
            get(size, 0);
            extendLoaded(size, local == LoadStore.LDRSW_LIT ? 2 : 0);
        });
        slowPath(slow, done, op, w);
    }

    private boolean pair(int local, int w, int op) {
        int opc = w >>> 30, t = rt(w), n = rn(w), t2 = rt2(w);
        boolean load = (w & (1 << 22)) != 0;
        if (opc == 3 || (opc == 1 && (!load || local == LoadStore.PAIR_NO_ALLOC))) return false;
        int size = opc == 2 ? 3 : 2, bytes = 1 << size;
        long offset = (long) imm7(w) * bytes;
        Label slow = cb.newLabel(), done = cb.newLabel();
        baseRegister(n, slow);
        cb.lload(OLD_BASE);
        if (local != LoadStore.PAIR_POST) {
            cb.loadConstant(offset);
            cb.ladd();
        }
        cb.lstore(VA);
        // both words in the page, then one lookup
        cb.lload(VA);
        cb.loadConstant(0xfffL);
        cb.land();
        cb.loadConstant((long) (0x1000 - 2 * bytes));
        cb.lcmp();
        cb.ifgt(slow);
        hostAddress(!load, ~0xfffL | (bytes - 1), slow);
        if (load) {
            int ext = opc == 1 ? 2 : 0;
            get(size, 0);
            extendLoaded(size, ext);
            cb.lstore(TMP);
            storeX(t2, () -> {
                get(size, bytes);
                extendLoaded(size, ext);
            });
            storeX(t, () -> cb.lload(TMP));
        } else {
            put(size, 0, t);
            put(size, bytes, t2);
        }
        if (local == LoadStore.PAIR_PRE || local == LoadStore.PAIR_POST) {
            storeXOrSp(n, () -> {
                cb.lload(OLD_BASE);
                cb.loadConstant(offset);
                cb.ladd();
            });
        }
        slowPath(slow, done, op, w);
        return true;
    }

    /**
     * LDR/STR of B, H, S, D and Q registers and LDP/STP of D and Q ({@link SimdLoadStore}) on the soft TLB's
     * fast path, read and written as the interpreter does (D and Q as doublewords); the fast path wants
     * each access aligned to its size (a doubleword's for Q), all of it in one page, and FP enabled (else
     * the handler runs the instruction and traps).
     */
    private boolean simdLoadStore(int local, int w, int op) {
        boolean pair = local == SimdLoadStore.PAIR_OFFSET || local == SimdLoadStore.PAIR_PRE || local == SimdLoadStore.PAIR_POST;
        int scale, t = rt(w), n = rn(w), t2 = rt2(w);
        boolean load;
        long offset;
        if (pair) {
            if ((w >>> 30) == 3) return false;
            scale = (w >>> 30) + 2;
            load = (w & (1 << 22)) != 0;
            offset = (long) imm7(w) << scale;
        } else {
            int opc = (w >>> 22) & 3;
            scale = ((opc & 2) << 1) | (w >>> 30);
            load = (opc & 1) != 0;
            switch (local) {
                case SimdLoadStore.UIMM -> offset = (long) imm12(w) << scale;
                case SimdLoadStore.PRE, SimdLoadStore.POST, SimdLoadStore.UNSCALED -> offset = imm9(w);
                case SimdLoadStore.REG -> {
                    if (((w >>> 13) & 2) == 0) return false;
                    offset = 0;
                }
                default -> {
                    return false;
                }
            }
        }
        if (scale > 4 || (pair && scale < 3)) return false;
        int bytes = 1 << scale, total = pair ? 2 * bytes : bytes;
        boolean post = local == SimdLoadStore.POST || local == SimdLoadStore.PAIR_POST;
        boolean writeback = post || local == SimdLoadStore.PRE || local == SimdLoadStore.PAIR_PRE;
        Label slow = cb.newLabel(), done = cb.newLabel();
        cb.aload(CPU);
        cb.invokestatic(CD_RT, "fpTrapped", MethodTypeDesc.of(CD_boolean, CD_CPU));
        cb.ifne(slow);
        baseRegister(n, slow);
        if (local == SimdLoadStore.REG) {
            extendedRegister(rm(w), (w >>> 13) & 7, (w & (1 << 12)) != 0 ? scale : 0);
        } else {
            cb.loadConstant(offset);
        }
        cb.lstore(TMP2);
        cb.lload(OLD_BASE);
        if (!post) {
            cb.lload(TMP2);
            cb.ladd();
        }
        cb.lstore(VA);
        cb.lload(VA); // all of it in the page
        cb.loadConstant(0xfffL);
        cb.land();
        cb.loadConstant((long) (0x1000 - total));
        cb.lcmp();
        cb.ifgt(slow);
        hostAddress(!load, ~0xfffL | (scale < 3 ? bytes - 1 : 7), slow);
        int words = total / 8;
        if (scale < 3) { // B, H, S: one access of that size, the register's other bits zeroed by a load
            if (load) {
                cb.aload(CPU);
                cb.getfield(CD_CPU, "vreg", CD_LONGS);
                cb.dup();
                cb.loadConstant(2 * t);
                get(scale, 0);
                cb.lastore();
                cb.loadConstant(2 * t + 1);
                cb.lconst_0();
                cb.lastore();
            } else {
                address(scale, 0);
                cb.aload(CPU);
                cb.getfield(CD_CPU, "vreg", CD_LONGS);
                cb.loadConstant(2 * t);
                cb.laload();
                narrow(scale);
                cb.invokeinterface(CD_SEG, "set", MethodTypeDesc.of(CD_void, ACCESS[scale].layoutType, CD_long, valueType(scale)));
            }
        } else if (load) {
            // registers written once every doubleword is read (a load writes nothing if it faults)
            for (int k = 0; k < words; k++) {
                get(3, 8 * k);
                cb.lstore(k == 0 ? TMP : k == 1 ? OP_X : k == 2 ? OP_Y : OP_R);
            }
            int[] regs = pair ? new int[] {t, t2} : new int[] {t};
            int k = 0;
            for (int r : regs) {
                for (int half = 0; half < 2; half++) {
                    cb.aload(CPU);
                    cb.getfield(CD_CPU, "vreg", CD_LONGS);
                    cb.loadConstant(2 * r + half);
                    if (half == 1 && scale == 3) cb.lconst_0();
                    else cb.lload(k == 0 ? TMP : k == 1 ? OP_X : k == 2 ? OP_Y : OP_R);
                    cb.lastore();
                    if (half == 0 || scale == 4) k++;
                }
            }
        } else {
            int[] regs = pair ? new int[] {t, t2} : new int[] {t};
            int k = 0;
            for (int r : regs) {
                for (int half = 0; half < (scale == 4 ? 2 : 1); half++) {
                    cb.getstatic(CD_TLB, "HOST", CD_SEG);
                    cb.getstatic(CD_BUS, "D", ACCESS[3].layoutType);
                    cb.lload(HA);
                    if (k != 0) {
                        cb.loadConstant(8L * k);
                        cb.ladd();
                    }
                    cb.aload(CPU);
                    cb.getfield(CD_CPU, "vreg", CD_LONGS);
                    cb.loadConstant(2 * r + half);
                    cb.laload();
                    cb.invokeinterface(CD_SEG, "set", MethodTypeDesc.of(CD_void, ACCESS[3].layoutType, CD_long, CD_long));
                    k++;
                }
            }
        }
        if (writeback) {
            writeBackBase(n);
        }
        slowPath(slow, done, op, w);
        return true;
    }

    /** Pre/post-index writeback: Xn|SP = the base before the access (OLD_BASE) + the offset (TMP2). */
    private void writeBackBase(int n) {
        storeXOrSp(n, () -> {
            cb.lload(OLD_BASE);
            cb.lload(TMP2);
            cb.ladd();
        });
    }

    /**
     * HA = the host address of VA if the soft TLB holds the page with the permission (as {@link Cpu#read}'s
     * fast path: {@code mask} keeps the low bits a misaligned address has set, so it never hits), else
     * branch to {@code slow}.
     */
    private void hostAddress(boolean write, long mask, Label slow) {
        cb.iload(MMU_IDX);
        cb.lload(VA);
        cb.loadConstant(12);
        cb.lushr();
        cb.l2i();
        cb.loadConstant(SoftTlb.SIZE - 1);
        cb.iand();
        cb.ior();
        cb.istore(TLB_INDEX);
        cb.aload(write ? WRITE_TAG : READ_TAG);
        cb.iload(TLB_INDEX);
        cb.laload();
        cb.lload(VA);
        cb.loadConstant(mask);
        cb.land();
        cb.lcmp();
        cb.ifne(slow);
        cb.lload(VA);
        cb.aload(ADDEND);
        cb.iload(TLB_INDEX);
        cb.laload();
        cb.ladd();
        cb.lstore(HA);
    }

    /** Ends a fast path: the handler runs the whole instruction when the fast path branched to {@code slow}. */
    private void slowPath(Label slow, Label done, int op, int w) {
        cb.goto_(done);
        cb.labelBinding(slow);
        inSlowPath = true;
        fallback(op, w);
        inSlowPath = false;
        cb.labelBinding(done);
    }

    /** Writes Xr's low {@code size} bytes at HA + plus. */
    private void put(int size, int plus, int r) {
        address(size, plus);
        loadX(r);
        narrow(size);
        cb.invokeinterface(CD_SEG, "set", MethodTypeDesc.of(CD_void, ACCESS[size].layoutType, CD_long, valueType(size)));
    }

    /** Pushes guest RAM's segment, the layout of a {@code size} access and the host address HA + plus. */
    private void address(int size, int plus) {
        cb.getstatic(CD_TLB, "HOST", CD_SEG);
        cb.getstatic(CD_BUS, ACCESS[size].layoutField, ACCESS[size].layoutType);
        cb.lload(HA);
        if (plus != 0) {
            cb.loadConstant((long) plus);
            cb.ladd();
        }
    }

    /** Pushes the value at HA + plus, zero-extended to a long. */
    private void get(int size, int plus) {
        address(size, plus);
        cb.invokeinterface(CD_SEG, "get", MethodTypeDesc.of(valueType(size), ACCESS[size].layoutType, CD_long));
        switch (size) {
            case 0 -> {
                cb.i2l();
                cb.loadConstant(0xffL);
                cb.land();
            }
            case 1 -> {
                cb.i2l();
                cb.loadConstant(0xffffL);
                cb.land();
            }
            case 2 -> {
                cb.i2l();
                zeroExtend32();
            }
            default -> { }
        }
    }

    /** The loaded value as the register holds it (opc 2: sign-extended to 64 bits, 3: to 32), as the interpreter does. */
    private void extendLoaded(int size, int opc) {
        if (opc < 2 || size == 3) return;
        cb.l2i(); // the value is zero-extended from size bytes
        if (size == 0) cb.i2b();
        else if (size == 1) cb.i2s();
        cb.i2l();
        if (opc == 3) zeroExtend32();
    }

    /** Converts the long on the stack to the type MemorySegment.set takes for {@code size}. */
    private void narrow(int size) {
        if (size == 3) return;
        cb.l2i();
        if (size == 0) cb.i2b();
        else if (size == 1) cb.i2s();
    }

    private static ClassDesc valueType(int size) {
        return switch (size) {
            case 0 -> java.lang.constant.ConstantDescs.CD_byte;
            case 1 -> java.lang.constant.ConstantDescs.CD_short;
            case 2 -> CD_int;
            default -> CD_long;
        };
    }
}
