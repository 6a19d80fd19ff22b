package org.jvisor.difftest;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Decoder;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.Features;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.Ram;
import org.jvisor.cpu.Translation;

/**
 * Runs a static, non-PIE AArch64 Linux executable in jvisor as Linux user mode would, to compare its
 * output with QEMU user mode's: the PT_LOAD segments at their addresses, the initial stack (argc, argv,
 * envp, auxv with AT_PHDR, AT_PAGESZ, AT_RANDOM, AT_HWCAP...), EL0 under HCR_EL2.TGE and DC as in the
 * differential tester (every SVC ends {@link Cpu#run} as an EL2 trap), and the system calls glibc's static
 * start-up and simple programs make, done here: brk, anonymous mmap, write/writev, exit, and a few that
 * only need a plausible answer. Others return -ENOSYS and are recorded.
 *
 * <p>Memory: guest virtual = intermediate physical = physical addresses, one lazily committed RAM region
 * of 1 GiB mapped by stage 2 in 2 MiB blocks, except the first block (null pointers fault) and the last
 * (the stage 2 tables). The heap (brk) follows the highest segment, mmap hands out fresh memory upwards
 * from {@link #MMAP_BASE}, the stack ends at {@link #STACK_TOP}.
 */
public final class LinuxUserRunner {
    static final long RAM_SIZE = 1L << 30, BLOCK = 1L << 21, S2_TABLES = RAM_SIZE - BLOCK;
    static final long MMAP_BASE = 0x2000_0000L, MMAP_END = 0x3800_0000L, STACK_TOP = 0x3fd0_0000L;
    static final long STACK_SIZE = 8L << 20;
    static final int HWCAP_FP = 1, HWCAP_ASIMD = 1 << 1, HWCAP_AES = 1 << 3, HWCAP_PMULL = 1 << 4,
            HWCAP_SHA1 = 1 << 5, HWCAP_SHA2 = 1 << 6, HWCAP_CRC32 = 1 << 7, HWCAP_ATOMICS = 1 << 8;
    static final long ENOENT = 2, EBADF = 9, ENOMEM = 12, EINVAL = 22, ENOTTY = 25, ENOSYS = 38;
    private static final ValueLayout.OfLong D = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * How the program ended: its exit status if it exited ({@code failure} null), or why jvisor stopped it;
     * what it wrote; the system calls it made that are not emulated (number and name if known).
     */
    public record Result(byte[] stdout, byte[] stderr, int exitStatus, String failure, Set<String> unknownSyscalls, long instructions) {
        public String stdoutText() { return new String(stdout, StandardCharsets.UTF_8); }
    }

    private final PhysicalBus bus = new PhysicalBus();
    private final Ram ram = Ram.allocate(RAM_SIZE);
    private final Cpu cpu;
    private final Features features;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream(), stderr = new ByteArrayOutputStream();
    private final Set<String> unknown = new LinkedHashSet<>();
    private long brkStart, brk, mmapNext = MMAP_BASE;

    private LinuxUserRunner(Features features, Translation translation) {
        this.features = features;
        bus.addRam(0, ram);
        cpu = new Cpu(bus, features);
        cpu.setTranslation(translation);
        MemorySegment t = ram.segment();
        long l1 = S2_TABLES, l2 = S2_TABLES + 0x1000;
        t.set(D, l1, l2 | 3);
        long normal = 1L << 10 | 3L << 8 | 0xfL << 2 | 1 | 3L << 6; // block, AF, inner shareable, Normal WB, read-write
        for (long a = BLOCK; a < S2_TABLES; a += BLOCK) t.set(D, l2 + 8 * (a >>> 21), a | normal);
        cpu.sr.vttbrEl2 = l1;
        cpu.sr.vtcrEl2 = 32 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12; // as JvisorMachine: 4 GiB IPA, start at level 1
    }

    /**
     * Runs {@code elf} (the file's bytes) with {@code argv}, for at most {@code maxInstructions}, the
     * processor in mode {@code translation}.
     */
    public static Result run(byte[] elf, List<String> argv, Features features, Translation translation, long maxInstructions) {
        LinuxUserRunner r = new LinuxUserRunner(features, translation);
        try {
            return r.execute(elf, argv, maxInstructions);
        } finally {
            r.ram.release();
        }
    }

    private Result execute(byte[] elf, List<String> argv, long maxInstructions) {
        long entry = load(elf);
        cpu.sr.hcrEl2 = JvisorMachine.HCR;
        cpu.sr.sctlr[1] = JvisorMachine.SCTLR_EL1_LINUX;
        cpu.sr.cntkctlEl1 = JvisorMachine.CNTKCTL_EL1_LINUX;
        cpu.sr.cpacrEl1 |= JvisorMachine.CPACR_FPEN;
        cpu.setElAndSpSel(0, 0);
        cpu.daif = 0;
        cpu.setSpEl(0, initialStack(argv));
        cpu.pc = entry;
        String failure = null;
        int status = -1;
        while (true) {
            long left = maxInstructions - cpu.instret;
            if (left <= 0) {
                failure = "no exit after " + maxInstructions + " instructions (pc 0x" + Long.toHexString(cpu.pc) + ")";
                break;
            }
            ExitReason r = cpu.run(left);
            if (r == ExitReason.BUDGET) continue;
            if (r != ExitReason.EL2_TRAP) {
                failure = "jvisor stopped: " + r + " at pc 0x" + Long.toHexString(cpu.pc);
                break;
            }
            long esr = cpu.sr.esr[2];
            if (Esr.ec(esr) != Esr.EC_SVC64) {
                failure = describeFault(esr);
                break;
            }
            long nr = cpu.x[8];
            if (nr == 93 || nr == 94) { // exit, exit_group
                status = (int) cpu.x[0] & 0xff;
                break;
            }
            cpu.x[0] = syscall((int) nr, cpu.x);
            cpu.exceptionReturn();
        }
        return new Result(stdout.toByteArray(), stderr.toByteArray(), status, failure, unknown, cpu.instret);
    }

    /** The signal the program would have died of, where, and the instruction there. */
    private String describeFault(long esr) {
        int sig = JvisorMachine.linuxSignal(esr);
        long pc = cpu.sr.elr[2];
        String insn = "";
        if (pc >= 0 && pc + 4 <= RAM_SIZE) {
            int w = (int) bus.read(pc, 4);
            String[] dis = Disassembler.disassemble(new int[] {w}, pc);
            insn = String.format(": %08x %s [%s]", w, dis[0], Decoder.nameOf(w));
        }
        return String.format("%s at pc 0x%x (ESR_EL2 0x%x, FAR 0x%x)%s", sig < 0 ? "exception" : Outcome.signalName(sig),
                pc, esr, cpu.sr.far[2], insn);
    }

    /** Copies the PT_LOAD segments in place; returns the entry point. */
    private long load(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x464c457f || f[4] != 2 || b.getShort(18) != 183)
            throw new IllegalArgumentException("not an AArch64 ELF64 executable");
        if (b.getShort(16) != 2) throw new IllegalArgumentException("not a static non-PIE executable (ET_EXEC)");
        phoff = b.getLong(0x20);
        phnum = b.getShort(0x38) & 0xffff;
        int phentsize = b.getShort(0x36) & 0xffff;
        long end = 0;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) phoff + i * phentsize;
            int type = b.getInt(ph);
            long offset = b.getLong(ph + 0x08), vaddr = b.getLong(ph + 0x10), filesz = b.getLong(ph + 0x20),
                    memsz = b.getLong(ph + 0x28);
            if (type == 3) throw new IllegalArgumentException("dynamically linked (PT_INTERP)");
            if (type == 6) phdrAddr = vaddr; // PT_PHDR
            if (type != 1) continue;
            if (vaddr < BLOCK || vaddr + memsz > MMAP_BASE) throw new IllegalArgumentException("segment outside the user area");
            if (offset <= phoff && phoff < offset + filesz && phdrAddr == 0) phdrAddr = vaddr + (phoff - offset);
            bus.writeBytes(vaddr, java.util.Arrays.copyOfRange(f, (int) offset, (int) (offset + filesz)));
            end = Math.max(end, vaddr + memsz);
        }
        brkStart = brk = (end + 0xfff) & ~0xfffL;
        entry = b.getLong(0x18);
        return entry;
    }

    private long phoff, phdrAddr, entry;
    private int phnum;

    /** HWCAP as Linux derives it from the ID registers: FP and ASIMD, and the optional instructions jvisor advertises. */
    long hwcap() {
        long isar0 = features.idAa64Isar0();
        long h = HWCAP_FP | HWCAP_ASIMD;
        int aes = (int) (isar0 >>> 4) & 15;
        if (aes >= 1) h |= HWCAP_AES;
        if (aes >= 2) h |= HWCAP_PMULL;
        if (((isar0 >>> 8) & 15) != 0) h |= HWCAP_SHA1;
        if (((isar0 >>> 12) & 15) != 0) h |= HWCAP_SHA2;
        if (((isar0 >>> 16) & 15) != 0) h |= HWCAP_CRC32;
        if (((isar0 >>> 20) & 15) >= 2) h |= HWCAP_ATOMICS;
        return h;
    }

    /** The stack Linux builds for a new program; returns SP (pointing at argc). */
    private long initialStack(List<String> argv) {
        List<String> envp = List.of("PATH=/usr/bin:/bin", "LANG=C");
        long p = STACK_TOP;
        p -= 16;
        long random = p;
        byte[] rnd = new byte[16];
        new java.util.Random(0x6a7669736f72L).nextBytes(rnd); // fixed: runs are reproducible
        bus.writeBytes(random, rnd);
        long platform = p = pushString(p, "aarch64");
        long[] argAddr = new long[argv.size()], envAddr = new long[envp.size()];
        for (int i = 0; i < argv.size(); i++) argAddr[i] = p = pushString(p, argv.get(i));
        for (int i = 0; i < envp.size(); i++) envAddr[i] = p = pushString(p, envp.get(i));
        long execfn = argv.isEmpty() ? 0 : argAddr[0];
        long[][] auxv = {
                {3, phdrAddr}, {4, 56}, {5, phnum}, {6, 4096}, {7, 0}, {8, 0}, {9, entry},
                {11, 1000}, {12, 1000}, {13, 1000}, {14, 1000}, {16, hwcap()}, {17, 100}, {15, platform}, {23, 0},
                {25, random}, {26, 0}, {31, execfn}, {0, 0}};
        List<Long> words = new ArrayList<>();
        words.add((long) argv.size());
        for (long a : argAddr) words.add(a);
        words.add(0L);
        for (long a : envAddr) words.add(a);
        words.add(0L);
        for (long[] a : auxv) {
            words.add(a[0]);
            words.add(a[1]);
        }
        p = (p - 8L * words.size()) & ~15L;
        for (int i = 0; i < words.size(); i++) bus.write(p + 8L * i, 8, words.get(i));
        return p;
    }

    private long pushString(long p, String s) {
        byte[] b = (s + "\0").getBytes(StandardCharsets.UTF_8);
        p -= b.length;
        bus.writeBytes(p, b);
        return p;
    }

    private long syscall(int nr, long[] x) {
        switch (nr) {
            case 64: // write
                return write((int) x[0], x[1], x[2]);
            case 66: { // writev
                long total = 0;
                for (int i = 0; i < (int) Math.min(x[2], 1024); i++) {
                    long n = write((int) x[0], bus.read(x[1] + 16L * i, 8), bus.read(x[1] + 16L * i + 8, 8));
                    if (n < 0) return n;
                    total += n;
                }
                return total;
            }
            case 214: { // brk
                long want = x[0];
                if (want >= brkStart && want < MMAP_BASE) {
                    if (want < brk) zero(want, brk - want); // memory given back comes back zeroed
                    brk = want;
                }
                return brk;
            }
            case 222: { // mmap
                long len = (x[1] + 0xfff) & ~0xfffL;
                int flags = (int) x[3];
                if ((flags & 0x20) == 0) return -ENOSYS; // only MAP_ANONYMOUS
                if (len == 0) return -EINVAL;
                if ((flags & 0x10) != 0) { // MAP_FIXED
                    if (x[0] < BLOCK || x[0] + len > STACK_TOP - STACK_SIZE) return -ENOMEM;
                    zero(x[0], len);
                    return x[0];
                }
                if (mmapNext + len > MMAP_END) return -ENOMEM;
                long a = mmapNext;
                mmapNext += len;
                return a;
            }
            case 215, 226, 233: // munmap, mprotect, madvise: nothing to do with one flat RWX map
                return 0;
            case 96: // set_tid_address
                return 1000;
            case 99: // set_robust_list
                return 0;
            case 293: // rseq
                return -ENOSYS;
            case 29: // ioctl: stdout is not a terminal
                return -ENOTTY;
            case 78: // readlinkat
                return -ENOENT;
            case 79, 80: // newfstatat, fstat
                return stat((int) x[0], nr == 80 ? x[1] : x[2]);
            case 160: { // uname
                String[] f = {"Linux", "jvisor", "6.1.0", "#1 SMP", "aarch64", ""};
                for (int i = 0; i < 6; i++) {
                    byte[] b = java.util.Arrays.copyOf(f[i].getBytes(StandardCharsets.US_ASCII), 65);
                    bus.writeBytes(x[0] + 65L * i, b);
                }
                return 0;
            }
            case 261: { // prlimit64
                if (x[3] != 0) {
                    boolean stack = x[1] == 3;
                    bus.write(x[3], 8, stack ? STACK_SIZE : -1);
                    bus.write(x[3] + 8, 8, -1);
                }
                return 0;
            }
            case 278: { // getrandom
                int n = (int) Math.min(x[1], 1 << 20);
                byte[] b = new byte[n];
                new java.util.Random(n).nextBytes(b);
                bus.writeBytes(x[0], b);
                return n;
            }
            case 113: { // clock_gettime
                long ns = System.nanoTime();
                bus.write(x[1], 8, ns / 1_000_000_000L);
                bus.write(x[1] + 8, 8, ns % 1_000_000_000L);
                return 0;
            }
            case 134, 135: // rt_sigaction, rt_sigprocmask: no signal is ever delivered
                if (nr == 135 && x[2] != 0) bus.write(x[2], 8, 0);
                if (nr == 134 && x[2] != 0) bus.writeBytes(x[2], new byte[32]);
                return 0;
            case 179: { // sysinfo (qsort asks how much memory there is): 1 GiB, half of it free
                byte[] si = new byte[112];
                ByteBuffer b = ByteBuffer.wrap(si).order(ByteOrder.LITTLE_ENDIAN);
                b.putLong(32, RAM_SIZE); // totalram
                b.putLong(40, RAM_SIZE / 2); // freeram
                b.putShort(80, (short) 1); // procs
                b.putInt(104, 1); // mem_unit
                bus.writeBytes(x[0], si);
                return 0;
            }
            case 172, 178: // getpid, gettid
                return 1000;
            case 174, 175, 176, 177: // getuid, geteuid, getgid, getegid
                return 1000;
            default:
                unknown.add(nr + (NAMES.containsKey(nr) ? " (" + NAMES.get(nr) + ")" : ""));
                return -ENOSYS;
        }
    }

    private static final java.util.Map<Integer, String> NAMES = java.util.Map.of(56, "openat", 57, "close", 63, "read",
            98, "futex", 129, "kill", 131, "tgkill", 220, "clone", 48, "faccessat", 17, "getcwd");

    private long write(int fd, long buf, long len) {
        if (fd != 1 && fd != 2) return -EBADF;
        if (len < 0 || len > (64 << 20)) return -EINVAL;
        byte[] b = bus.readBytes(buf, (int) len);
        (fd == 1 ? stdout : stderr).writeBytes(b);
        return len;
    }

    /** struct stat of arm64 for stdin/stdout/stderr: a pipe, as when QEMU's output is read by the tester. */
    private long stat(int fd, long buf) {
        if (fd < 0 || fd > 2) return -EBADF;
        byte[] st = new byte[128];
        ByteBuffer b = ByteBuffer.wrap(st).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(8, 1000 + fd); // st_ino
        b.putInt(16, 0x1180); // S_IFIFO | 0600
        b.putInt(20, 1); // st_nlink
        b.putInt(24, 1000);
        b.putInt(28, 1000);
        b.putInt(56, 4096); // st_blksize
        bus.writeBytes(buf, st);
        return 0;
    }

    private void zero(long addr, long len) {
        ram.segment().asSlice(addr, len).fill((byte) 0);
    }
}
