package org.jvisor.difftest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.Translation;

/**
 * Runs the whole generated program in jvisor, harness and all, exactly as QEMU runs it: from the ELF entry
 * point at EL0, with the Linux system calls it makes (sigaltstack, rt_sigaction, write, exit,
 * rt_sigreturn) and the delivery of its signals done here, the way the kernel does them. What the
 * program writes to stdout is read back like QEMU's output. {@link Layout#END_MARK} after each sequence
 * traps and is stepped over (its read of the counter into XZR changes nothing); the exit tells which
 * sequence runs, so that with translation forced every instruction retired is checked to have run translated.
 */
final class ProgramRunner {
    static final int NR_WRITE = 64, NR_EXIT = 93, NR_EXIT_GROUP = 94, NR_SIGALTSTACK = 132, NR_RT_SIGACTION = 134,
            NR_RT_SIGRETURN = 139;
    static final long ENOSYS = 38;

    // struct rt_sigframe of arm64 Linux: siginfo (128 bytes), then the ucontext, whose mcontext is at 176.
    static final int SI_SIGNO = 0, SI_ADDR = 16, UC = 128, UC_STACK = UC + 16, MC = UC + 176;
    static final int MC_FAULT_ADDRESS = MC, MC_REGS = MC + 8, MC_SP = MC + 256, MC_PC = MC + 264, MC_PSTATE = MC + 272;
    /** The fpsimd_context record, first in the mcontext's reserved area (as Linux and QEMU put it). */
    static final int FPSIMD = MC + 288, FPSIMD_MAGIC = 0x46508001, FPSIMD_SIZE = 528;
    /** Frame size: the mcontext's reserved area (4096 bytes) holds the fpsimd_context and the end record. */
    static final int FRAME_SIZE = (MC + 288 + 4096 + 15) & ~15;
    private static final long MAX_INSTRUCTIONS = 200_000_000L;

    private ProgramRunner() {}

    /** Whether jvisor has the instructions the FP/SIMD harness uses (LDR Q, STR Q) to set and save V0-V31. */
    static boolean canRunFpHarness() {
        return !org.jvisor.cpu.Decoder.nameOf(A64.ldrQ(0, 0, 0)).equals("UNALLOCATED")
                && !org.jvisor.cpu.Decoder.nameOf(A64.strQ(0, 0, 0)).equals("UNALLOCATED");
    }

    static List<Outcome> run(Layout layout, Profile profile, Translation translation) throws IOException {
        try (JvisorMachine m = new JvisorMachine(layout, profile, translation)) {
            return new ProgramRunner.Process(m).run();
        }
    }

    /** One run of the program: the process state the kernel would keep. */
    private static final class Process {
        final JvisorMachine m;
        final Cpu cpu;
        final long[] handler = new long[65], restorer = new long[65];
        long altStack, altStackSize;
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        /** The sequence whose harness or code runs now, or whose fault the signal handler handles. */
        int current;
        /** Whether the signal handler (or its restorer) runs. */
        boolean inHandler;
        /**
         * Per sequence, the instructions interpreted rather than translated while it or its harness ran. Not
         * the signal handler's: a long straight run of loads and stores that the translator may leave to the
         * interpreter on a page with several entries, and whose errors would show in the records anyway.
         */
        final long[] interpreted;
        /** Instructions interpreted so far, at the last exit. */
        long interpretedAtExit;

        Process(JvisorMachine m) {
            this.m = m;
            this.cpu = m.cpu;
            interpreted = new long[m.layout.seqs.size()];
        }

        List<Outcome> run() throws IOException {
            m.enterEl0();
            cpu.pc = m.layout.entry;
            long start = cpu.instret;
            interpretedAtExit = cpu.instret - cpu.translatedInstructions();
            while (true) {
                ExitReason r = cpu.run(MAX_INSTRUCTIONS);
                if (r != ExitReason.EL2_TRAP || cpu.instret - start > MAX_INSTRUCTIONS)
                    throw new IOException("jvisor: the program stopped (" + r + ") at pc 0x" + Long.toHexString(cpu.pc));
                long now = cpu.instret - cpu.translatedInstructions();
                if (!inHandler) interpreted[Math.min(current, interpreted.length - 1)] += now - interpretedAtExit;
                interpretedAtExit = now;
                long esr = cpu.sr.esr[2];
                int end = java.util.Arrays.binarySearch(m.layout.seqEnd, cpu.sr.elr[2]);
                if (Esr.ec(esr) == Esr.EC_SVC64) {
                    if (syscall()) return outcomes();
                } else if (Esr.ec(esr) == Esr.EC_SYS64 && end >= 0) {
                    // Layout.END_MARK: the sequence is over; the harness that follows belongs to the next one.
                    current = end + 1;
                    cpu.sr.elr[2] += 4;
                    cpu.exceptionReturn();
                } else {
                    deliverSignal(esr);
                }
            }
        }

        /** The outcomes the program wrote; with translation forced, a sequence that was interpreted in part is noted. */
        private List<Outcome> outcomes() throws IOException {
            List<Outcome> out = new ArrayList<>(QemuRunner.parse(m.layout, checkedOutput()));
            if (cpu.translation() != Translation.FORCE) return out;
            for (int i = 0; i < out.size(); i++) {
                if (interpreted[i] == 0) continue;
                Outcome o = out.get(i);
                String note = "translation is forced, but " + interpreted[i] + " instruction(s) of it and its harness were interpreted";
                out.set(i, new Outcome(o.x(), o.sp(), o.nzcv(), o.signal(), o.faultPc(), o.faultAddr(), o.memory(),
                        o.note() == null ? note : o.note() + "; " + note, o.fp()));
            }
            return out;
        }

        private byte[] checkedOutput() throws IOException {
            byte[] out = stdout.toByteArray();
            if (out.length != m.layout.data.length)
                throw new IOException("jvisor: the program wrote " + out.length + " of " + m.layout.data.length + " bytes");
            return out;
        }

        /** Does the system call the program made; true when it exits. */
        private boolean syscall() {
            long[] x = cpu.x;
            long ret = 0;
            switch ((int) x[8]) {
                case NR_WRITE -> {
                    byte[] b = m.bus.readBytes(x[1], (int) x[2]);
                    if (x[0] == 1) stdout.writeBytes(b);
                    ret = b.length;
                }
                case NR_EXIT, NR_EXIT_GROUP -> {
                    return true;
                }
                case NR_SIGALTSTACK -> {
                    altStack = m.read64(x[0]);
                    altStackSize = m.read64(x[0] + 16);
                }
                case NR_RT_SIGACTION -> {
                    int sig = (int) x[0];
                    if (x[1] != 0 && sig > 0 && sig < handler.length) {
                        handler[sig] = m.read64(x[1]);
                        restorer[sig] = m.read64(x[1] + 16);
                    }
                }
                case NR_RT_SIGRETURN -> { // back to the harness of the sequence after the one that faulted
                    sigreturn();
                    inHandler = false;
                    current++;
                    return false;
                }
                default -> ret = -ENOSYS;
            }
            x[0] = ret;
            cpu.exceptionReturn();
            return false;
        }

        /** Builds the signal frame on the alternate stack and enters the handler, as the kernel does. */
        private void deliverSignal(long esr) throws IOException {
            int sig = JvisorMachine.linuxSignal(esr);
            long pc = cpu.sr.elr[2];
            if (sig < 0 || handler[sig] == 0)
                throw new IOException("jvisor: exception with no signal handler: ESR_EL2=0x" + Long.toHexString(esr)
                        + " at pc 0x" + Long.toHexString(pc));
            long addr = sig == Outcome.SIGILL || sig == Outcome.SIGTRAP ? pc : cpu.sr.far[2];
            long frame = (altStack + altStackSize - FRAME_SIZE) & ~15L;
            m.bus.writeBytes(frame, new byte[FRAME_SIZE]);
            m.bus.write(frame + SI_SIGNO, 4, sig);
            m.write64(frame + SI_ADDR, addr);
            m.write64(frame + UC_STACK, altStack);
            m.write64(frame + UC_STACK + 16, altStackSize);
            m.write64(frame + MC_FAULT_ADDRESS, cpu.sr.far[2]);
            for (int k = 0; k < 31; k++) m.write64(frame + MC_REGS + 8L * k, cpu.x[k]);
            m.write64(frame + MC_SP, cpu.getSpEl(0));
            m.write64(frame + MC_PC, pc);
            m.write64(frame + MC_PSTATE, cpu.sr.spsr[2]);
            m.bus.write(frame + FPSIMD, 4, FPSIMD_MAGIC);
            m.bus.write(frame + FPSIMD + 4, 4, FPSIMD_SIZE);
            m.bus.write(frame + FPSIMD + 8, 4, cpu.fpsr & 0xffffffffL);
            m.bus.write(frame + FPSIMD + 12, 4, cpu.fpcr & 0xffffffffL);
            for (int k = 0; k < 64; k++) m.write64(frame + FPSIMD + 16 + 8L * k, cpu.vreg[k]);
            cpu.x[0] = sig;
            cpu.x[1] = frame;
            cpu.x[2] = frame + UC;
            cpu.x[30] = restorer[sig];
            cpu.setSpEl(0, frame);
            cpu.sr.elr[2] = handler[sig];
            cpu.sr.spsr[2] &= 0xf0000000L; // EL0t, flags kept
            cpu.exceptionReturn();
            inHandler = true;
        }

        /** rt_sigreturn: the registers, SP, PC and flags come back from the frame at SP. */
        private void sigreturn() {
            long frame = cpu.getSpEl(0);
            for (int k = 0; k < 31; k++) cpu.x[k] = m.read64(frame + MC_REGS + 8L * k);
            cpu.setSpEl(0, m.read64(frame + MC_SP));
            cpu.sr.elr[2] = m.read64(frame + MC_PC);
            cpu.sr.spsr[2] = m.read64(frame + MC_PSTATE) & 0xf0000000L;
            if (m.bus.read(frame + FPSIMD, 4) == FPSIMD_MAGIC) {
                cpu.fpsr = (int) m.bus.read(frame + FPSIMD + 8, 4);
                cpu.fpcr = (int) m.bus.read(frame + FPSIMD + 12, 4);
                for (int k = 0; k < 64; k++) cpu.vreg[k] = m.read64(frame + FPSIMD + 16 + 8L * k);
            }
            cpu.exceptionReturn();
        }
    }
}
