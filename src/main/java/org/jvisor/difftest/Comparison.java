package org.jvisor.difftest;

import java.util.ArrayList;
import java.util.List;

/** What differs between jvisor's outcome and QEMU's, one line per register, flag set or memory word. */
final class Comparison {
    private Comparison() {}

    static List<String> diff(Outcome jv, Outcome qemu, long memAddr, byte[] initial) {
        return diff(jv, qemu, memAddr, initial, false);
    }

    /**
     * {@code vUnknown}: the sequence ended in a data abort on a SIMD&FP load, whose destination registers
     * the architecture leaves UNKNOWN (QEMU writes them element by element up to the fault): V0-V31 are not
     * compared then.
     */
    static List<String> diff(Outcome jv, Outcome qemu, long memAddr, byte[] initial, boolean vUnknown) {
        List<String> d = new ArrayList<>();
        if (jv.note() != null) d.add("jvisor: " + jv.note());
        if (jv.signal() != qemu.signal())
            d.add("signal: jvisor " + describeSignal(jv) + ", QEMU " + describeSignal(qemu));
        else if (jv.signal() != 0) {
            if (jv.faultPc() != qemu.faultPc()) d.add("fault pc: jvisor " + hex(jv.faultPc()) + ", QEMU " + hex(qemu.faultPc()));
            if (jv.faultAddrMeaningful() && jv.faultAddr() != qemu.faultAddr())
                d.add("fault address: jvisor " + hex(jv.faultAddr()) + ", QEMU " + hex(qemu.faultAddr()));
        }
        for (int k = 0; k < 31; k++)
            if (jv.x()[k] != qemu.x()[k]) d.add("x" + k + ": jvisor " + hex(jv.x()[k]) + ", QEMU " + hex(qemu.x()[k]));
        if (jv.sp() != qemu.sp()) d.add("sp: jvisor " + hex(jv.sp()) + ", QEMU " + hex(qemu.sp()));
        if (jv.nzcv() != qemu.nzcv()) d.add("nzcv: jvisor " + flags(jv.nzcv()) + ", QEMU " + flags(qemu.nzcv()));
        if (jv.fp() != null && qemu.fp() != null) {
            FpState f = jv.fp(), g = qemu.fp();
            for (int k = 0; k < 32 && !vUnknown; k++)
                if (f.v()[2 * k] != g.v()[2 * k] || f.v()[2 * k + 1] != g.v()[2 * k + 1])
                    d.add("v" + k + ": jvisor " + hex128(f.v(), k) + ", QEMU " + hex128(g.v(), k));
            if (f.fpcr() != g.fpcr()) d.add(String.format("fpcr: jvisor 0x%08x, QEMU 0x%08x", f.fpcr(), g.fpcr()));
            if (f.fpsr() != g.fpsr())
                d.add(String.format("fpsr: jvisor 0x%08x (%s), QEMU 0x%08x (%s)", f.fpsr(), fpsrFlags(f.fpsr()), g.fpsr(), fpsrFlags(g.fpsr())));
        }
        byte[] a = jv.memory(), b = qemu.memory();
        for (int off = 0; off < a.length; off += 8) {
            long va = word(a, off), vb = word(b, off);
            if (va != vb)
                d.add("mem[" + hex(memAddr + off) + "]: jvisor " + hex(va) + ", QEMU " + hex(vb) + " (initially " + hex(word(initial, off)) + ")");
        }
        return d;
    }

    static String describeSignal(Outcome o) {
        if (o.signal() == 0) return "none";
        String s = Outcome.signalName(o.signal()) + " at pc " + hex(o.faultPc());
        if (o.faultAddrMeaningful()) s += " (address " + hex(o.faultAddr()) + ")";
        return s;
    }

    static String flags(int nzcv) {
        return ((nzcv & 8) != 0 ? "N" : "n") + ((nzcv & 4) != 0 ? "Z" : "z") + ((nzcv & 2) != 0 ? "C" : "c")
                + ((nzcv & 1) != 0 ? "V" : "v");
    }

    /** Vn as 128 bits: high half, underscore, low half. */
    static String hex128(long[] v, int n) { return String.format("0x%016x_%016x", v[2 * n + 1], v[2 * n]); }

    /** FPSR cumulative flags (IOC DZC OFC UFC IXC IDC) and QC that are set, or "none". */
    static String fpsrFlags(int fpsr) {
        String[] names = {"IOC", "DZC", "OFC", "UFC", "IXC", "", "", "IDC"};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) if ((fpsr & (1 << i)) != 0) b.append(b.isEmpty() ? "" : " ").append(names[i]);
        if ((fpsr & (1 << 27)) != 0) b.append(b.isEmpty() ? "" : " ").append("QC");
        return b.isEmpty() ? "none" : b.toString();
    }

    static String hex(long v) { return String.format("0x%016x", v); }

    private static long word(byte[] b, int off) {
        long v = 0;
        for (int k = 7; k >= 0; k--) v = v << 8 | (b[off + k] & 0xff);
        return v;
    }
}
