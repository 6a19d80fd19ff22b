package org.jvisor.cpu;

import static org.jvisor.cpu.Fields.imm14;
import static org.jvisor.cpu.Fields.imm19;
import static org.jvisor.cpu.Fields.imm26;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The part of a code page the translator compiles into one method: the instructions reachable from the
 * hot entries without leaving the page, cut into basic blocks. A block ends at a branch, before another
 * block's first instruction, or after {@link #MAX_BLOCK} instructions (which bounds how long translated code
 * runs between two checks for a kick from another processor).
 */
final class Region {
    static final int MAX_BLOCK = 64;

    final int[] words = new int[1024], ops = new int[1024];
    final boolean[] included = new boolean[1024];
    /** Block starts in address order, their lengths, and per instruction index the block starting there or -1. */
    final int[] starts, lengths;
    final short[] blockAt = new short[1024];
    final int instructions;

    /**
     * With {@code executedOnly}, the region holds only instructions the interpreter has decoded (executed
     * at least once since the page was decoded): cold paths stay out, as exits, which keeps methods small
     * and the JIT's work in proportion to the hot code.
     */
    private Region(CodePage page, int[] entries, int cap, boolean executedOnly) {
        ArrayDeque<Integer> work = new ArrayDeque<>();
        boolean[] leader = new boolean[1025];
        for (int e : entries) {
            work.add(e);
            leader[e] = true;
        }
        int count = 0;
        while (!work.isEmpty() && count < cap) {
            int i = work.poll();
            if (i < 0 || i >= 1024 || included[i]) continue;
            if (executedOnly && page.slots[i] == 0 && !isEntry(entries, i)) continue;
            included[i] = true;
            count++;
            // The word the interpreter would run: its decoded copy if it has one (until an IC invalidation
            // drops the page, a stale copy is what runs), else memory, decoded into the page now so that
            // the interpreter and later translations run this same word.
            long slot = page.slots[i];
            int w, op;
            if (slot != 0) {
                w = CodePage.insn(slot);
                op = CodePage.op(slot);
            } else {
                w = page.word(i);
                op = Decoder.decode(w);
                page.slots[i] = ((long) w << 32) | (op & 0xffffL);
            }
            words[i] = w;
            ops[i] = op;
            if ((op >>> 12) == Executor.G_BRANCH) {
                int local = op & 0xfff;
                long target = branchTarget(local, w, i);
                if (target >= 0) {
                    leader[(int) target] = true;
                    work.add((int) target);
                }
                if (local != Branches.B && local != Branches.BR && local != Branches.RET) {
                    if (i + 1 < 1024) leader[i + 1] = true;
                    work.add(i + 1);
                }
            } else {
                work.add(i + 1);
            }
        }
        instructions = count;
        Arrays.fill(blockAt, (short) -1);
        int[] s = new int[count], l = new int[count];
        int n = 0;
        for (int i = 0; i < 1024; ) {
            if (!included[i]) {
                i++;
                continue;
            }
            int start = i, len = 0;
            do {
                len++;
                i++;
            } while (i < 1024 && included[i] && !leader[i] && len < MAX_BLOCK && !isBranch(i - 1));
            blockAt[start] = (short) n;
            s[n] = start;
            l[n++] = len;
        }
        starts = Arrays.copyOf(s, n);
        lengths = Arrays.copyOf(l, n);
    }

    static Region form(CodePage page, int[] entries, int cap, boolean executedOnly) {
        return new Region(page, entries, cap, executedOnly);
    }

    private static boolean isEntry(int[] entries, int i) {
        for (int e : entries) if (e == i) return true;
        return false;
    }

    int blocks() { return starts.length; }

    private boolean isBranch(int i) { return (ops[i] >>> 12) == Executor.G_BRANCH; }

    /** The index in this page a direct branch at {@code i} goes to, or -1 (register branch, or outside the page). */
    static long branchTarget(int local, int w, int i) {
        long off = switch (local) {
            case Branches.B, Branches.BL -> (long) imm26(w) << 2;
            case Branches.B_COND, Branches.CBZ, Branches.CBNZ -> (long) imm19(w) << 2;
            case Branches.TBZ, Branches.TBNZ -> (long) imm14(w) << 2;
            default -> Long.MIN_VALUE;
        };
        if (off == Long.MIN_VALUE) return -1;
        long t = 4L * i + off;
        return t >= 0 && t < 4096 ? t >>> 2 : -1;
    }
}
