package org.jvisor.hyp;

import org.jvisor.cpu.BusError;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.LoadStoreAccess;

/**
 * Emulates a load or store that hit an IPA outside the VM's RAM (KVM's io_mem_abort). The access comes
 * from the data abort syndrome when it is valid (ISV: size, sign extension, register, width, direction);
 * otherwise (pairs, writeback forms) from the faulting instruction's {@link LoadStoreAccess}, the same
 * description the processor built that syndrome from. Each access (two for a pair) is served by an
 * in-hypervisor device or exits to the caller as {@link VcpuExit.Mmio}; an access it cannot emulate is a
 * synchronous external abort in the guest. Once all accesses are done, loaded values are written to their
 * registers and the base register updated; the outcome then asks {@link ExitHandlers} to move the PC past
 * the access (as KVM's kvm_handle_mmio_return calls kvm_incr_pc). One operation at a time per vCPU; the
 * guest is resumed (PC at the access) while it is in flight.
 */
final class MmioEmulation {
    private final Vcpu vcpu;
    /** The exit this vCPU reports every MMIO access to the caller with (see {@link VcpuExit.Mmio}). */
    private final VcpuExit.Mmio exit = new VcpuExit.Mmio(0, 1, false, 0);

    private boolean active, exited, readDone;
    private int count, next, size;
    private boolean write;
    private final long[] address = new long[2], data = new long[2], value = new long[2];
    private final LoadStoreAccess access = new LoadStoreAccess();
    private long far;
    // completion
    private int rt, rt2, rn;
    /** Destination width in bits (32 or 64) and whether loads sign-extend from the access size. */
    private int regBits;
    private boolean signed, writeback;
    private long writebackValue;

    MmioEmulation(Vcpu vcpu) { this.vcpu = vcpu; }

    /**
     * Starts the emulation of the access that trapped (the guest's context back, PC at the access): the
     * outcome for {@link ExitHandlers}, SKIP once done, RESUME at an injected abort, or an exit.
     */
    int start(long ipa, long far, int iss) {
        Cpu cpu = vcpu.cpu;
        int insn = cpu.currentInstruction();
        this.far = far;
        write = Esr.wnr(iss);
        writeback = false;
        if (Esr.isv(iss)) {
            size = 1 << Esr.sas(iss);
            signed = Esr.sse(iss);
            rt = Esr.srt(iss);
            regBits = Esr.sf(iss) ? 64 : 32;
            count = 1;
            address[0] = ipa;
            data[0] = mask(cpu.x[rt]);
        } else if (!decode(cpu, insn, ipa)) {
            // No syndrome and not a form decoded here (exclusives, FP/SIMD registers): what QEMU asks of KVM
            // for such an access (KVM_EXIT_ARM_NISV, answered with ext_dabt_pending), whether a device claims
            // the address or not. The VM goes on; the guest's handler sees a synchronous external abort.
            ExitHandlers.injectExternalAbort(vcpu, true, write, far);
            return ExitHandlers.RESUME;
        }
        active = true;
        exited = false;
        next = 0;
        return process();
    }

    /**
     * Takes the access from the instruction when the syndrome is not valid: the pairs (LDP/STP/LDPSW/LDNP/STNP)
     * and the writeback forms of LDR/STR of general-purpose registers, as {@link LoadStoreAccess} describes them.
     */
    private boolean decode(Cpu cpu, int insn, long ipa) {
        LoadStoreAccess a = access;
        if (!a.decode(insn) || a.rn() < 0 || (!a.pair() && a.writeback() == LoadStoreAccess.Writeback.NONE))
            return false;
        rt = a.rt();
        rt2 = a.rt2();
        rn = a.rn();
        size = a.size();
        write = !a.load();
        signed = a.signed();
        regBits = a.wide() ? 64 : 32;
        writeback = a.writeback() != LoadStoreAccess.Writeback.NONE;
        count = a.pair() ? 2 : 1;
        long base = cpu.xOrSp(rn);
        long va = a.writeback() == LoadStoreAccess.Writeback.POST ? base : base + a.offset();
        if (writeback) writebackValue = base + a.offset();
        for (int i = 0; i < count; i++) {
            address[i] = ipa + (va + (long) i * size - far);
            data[i] = mask(cpu.x[i == 0 ? rt : rt2]);
        }
        return true;
    }

    private long mask(long v) { return size == 8 ? v : v & ((1L << (size * 8)) - 1); }

    /** Serves the remaining accesses: the outcome, with the exit for one the caller must serve. */
    private int process() {
        Vm vm = vcpu.vm();
        while (next < count) {
            long a = address[next];
            Vm.Device d = vm.deviceAt(a);
            if (d == null) {
                exited = true;
                readDone = false;
                return ExitHandlers.exit(vcpu, exit.set(a, size, write, write ? data[next] : 0), ExitHandlers.RESUME);
            }
            try {
                if (write) d.handler().write(vcpu, a - d.base(), size, data[next]);
                else value[next] = mask(d.handler().read(vcpu, a - d.base(), size));
            } catch (BusError e) {
                unclaimed();
                return ExitHandlers.RESUME;
            }
            next++;
        }
        finish();
        return ExitHandlers.SKIP;
    }

    /** A caller error (not the guest's): running again before answering an MMIO read. */
    void checkCompleted() {
        if (active && exited && !write && !readDone)
            throw new IllegalStateException("vCPU " + vcpu.id() + ": complete the MMIO read at 0x"
                    + Long.toHexString(address[next]) + " (completeMmioRead) before running again");
    }

    /** Continues an operation the caller was serving, at the start of the next run: the outcome, as {@link #start}'s. */
    int resume() {
        if (!active) return ExitHandlers.RESUME;
        if (exited) {
            exited = false;
            next++;
        }
        return process();
    }

    /** An access is in flight: a pair's second half, or a loaded value not yet written to its register. */
    boolean pending() { return active; }

    void cancel() {
        active = false;
        exited = false;
    }

    void completeRead(long v) {
        if (!active || !exited || write) throw new IllegalStateException("no MMIO read in flight");
        value[next] = mask(v);
        readDone = true;
    }

    void completeUnclaimed() {
        if (!active || !exited) throw new IllegalStateException("no MMIO access in flight");
        unclaimed();
    }

    private void unclaimed() {
        active = false;
        ExitHandlers.injectExternalAbort(vcpu, true, write, far);
    }

    private void finish() {
        active = false;
        Cpu cpu = vcpu.cpu;
        if (!write) {
            cpu.setX(rt, extend(value[0]));
            if (count == 2) cpu.setX(rt2, extend(value[1]));
        }
        if (writeback) cpu.setXOrSp(rn, writebackValue);
    }

    private long extend(long v) {
        if (signed && size < 8) {
            int shift = 64 - size * 8;
            v = (v << shift) >> shift;
        }
        return regBits == 32 ? v & 0xffffffffL : v;
    }
}
