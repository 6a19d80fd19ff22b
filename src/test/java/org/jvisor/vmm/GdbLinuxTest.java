package org.jvisor.vmm;

import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import org.jvisor.vmm.debug.GdbStub;
import org.jvisor.vmm.debug.GdbStubTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;

/**
 * gdb-multiarch on Debian's kernel running the default guest: a breakpoint on the kernel function
 * behind the {@code sync} system call, reached from the shell after boot, then {@code bt}.
 *
 * <p>Debian's linux-image package carries only a stub System.map, and its -dbg package (the vmlinux with
 * DWARF) is several hundred MB: the symbols come from the running guest's /proc/kallsyms instead (root
 * in the initramfs shell sees the addresses), turned into a small ELF of function symbols for GDB. That
 * also gives the addresses KASLR chose, if it did.
 */
class GdbLinuxTest {
    private static final List<String> FUNCTIONS = List.of("ksys_sync", "__arm64_sys_sync", "invoke_syscall",
            "el0_svc_common", "do_el0_svc", "el0_svc", "el0t_64_sync_handler", "el0t_64_sync");

    @Test
    void breakAtAKernelFunctionTheShellReachesThenBacktrace(@TempDir Path dir) throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        BoardConfig config = new BoardConfig(256L << 20, 1, 3, true, List.of(), g.kernel(), g.initrd(), "console=ttyAMA0", false);
        BoardRun.Transcript console = new BoardRun.Transcript();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (VirtBoard board = VirtBoard.build(config, console, new PrintStream(log, true), false);
             GdbStub stub = GdbStub.listen(board, null, 0, new PrintStream(log, true))) {
            int[] status = {-1};
            Thread runner = Thread.ofPlatform().name("board").start(() -> {
                try {
                    status[0] = board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
                assertTrue(console.await("~ # ", deadline), console.text());
                type(board, "grep -E ' [tT] (" + String.join("|", FUNCTIONS) + ")$' /proc/kallsyms; echo SYMS-$((1+1))\n");
                assertTrue(console.await("\nSYMS-2\n", deadline), console.text()); // not the echo of the command line
                Map<Long, String> syms = new TreeMap<>();
                Matcher m = Pattern.compile("\n([0-9a-f]{16}) [tT] (\\w+)").matcher(console.text());
                while (m.find()) syms.putIfAbsent(Long.parseUnsignedLong(m.group(1), 16), m.group(2));
                assertTrue(syms.containsValue("ksys_sync") && syms.containsValue("__arm64_sys_sync"), console.text());
                Map<Long, String> functions = afterFtraceNops(syms, board);
                assertTrue(functions.containsKey(syms.entrySet().stream().filter(e -> e.getValue().equals("ksys_sync")).findFirst().orElseThrow().getKey() + 8),
                        "ksys_sync starts with ftrace's patch site (Debian's Image has it), read through the stage 1 translation: " + functions);
                long ksysSync = functions.entrySet().stream().filter(e -> e.getValue().equals("ksys_sync")).findFirst().orElseThrow().getKey();
                Path elf = symbolFile(dir, functions);
                // The shell keeps calling sync(2) in the background: the breakpoint is reached whenever GDB continues.
                type(board, "(while :; do sync; sleep 1; done) &\n");

                String out = GdbStubTest.gdbRaw(dir, """
                        set pagination off
                        set confirm off
                        set width 0
                        symbol-file %s
                        target remote 127.0.0.1:%d
                        break *0x%x
                        continue
                        print/x $pc
                        bt
                        delete
                        detach
                        """.formatted(elf, stub.port(), ksysSync));
                assertTrue(out.contains("Breakpoint 1, 0x%016x in ksys_sync ()".formatted(ksysSync)), out + console.text());
                assertTrue(out.contains("= 0x" + Long.toHexString(ksysSync)), out);
                // bt: the system call's path from the exception vector (the frame records of the kernel's stack)
                Matcher frame1 = Pattern.compile("\n#1 +0x[0-9a-f]+ in (\\w+) \\(\\)").matcher(out);
                assertTrue(frame1.find(), out);
                assertEquals("__arm64_sys_sync", frame1.group(1), out);
                assertTrue(out.contains(" in invoke_syscall ()") || out.contains(" in el0_svc_common"), out);
                assertTrue(out.contains(" in el0t_64_sync_handler ()") || out.contains(" in el0_svc ()"), out);

                type(board, "echo AFTER-$((2+2)); poweroff -f\n");
                runner.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1, deadline - System.nanoTime())));
                assertTrue(console.text().contains("\nAFTER-4\n"), console.text());
                assertEquals(0, status[0], console.text() + log);
            } finally {
                board.stop(99);
                board.resume();
                runner.join(10_000);
            }
        }
    }

    private static void type(VirtBoard board, String s) throws InterruptedException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        board.consoleInput().receive(b, 0, b.length);
    }

    /**
     * Debian's kernel is built for ftrace with two NOPs before each function's prologue, which GDB's
     * aarch64 prologue analyzer (all it has without DWARF) takes for the end of the prologue: the
     * symbols GDB gets start after them. The code is read from the guest at the kernel's virtual
     * addresses, through vCPU 0's translation (Vcpu.translate), with the vCPUs paused.
     */
    static Map<Long, String> afterFtraceNops(Map<Long, String> syms, VirtBoard board) throws InterruptedException {
        Map<Long, String> out = new TreeMap<>();
        board.pause();
        try {
            var vcpu = board.vcpus().get(0);
            for (var e : syms.entrySet()) {
                var pa = vcpu.translate(e.getKey());
                assertTrue(pa.isPresent(), "kernel text at 0x" + Long.toHexString(e.getKey()) + " translates");
                byte[] w = board.vm().readGuest(pa.getAsLong(), 8);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(w).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                // at boot ftrace turns the first NOP into MOV X9, X30 (arm64's ftrace_init_nop)
                boolean nops = (b.getInt(0) == NOP || b.getInt(0) == MOV_X9_X30) && b.getInt(4) == NOP;
                out.put(e.getKey() + (nops ? 8 : 0), e.getValue());
            }
        } finally {
            board.resume();
        }
        return out;
    }

    private static final int NOP = 0xd503201f, MOV_X9_X30 = 0xaa1e03e9;

    /** An ELF whose .text (no bytes: NOBITS) holds the given function symbols at their kernel addresses. */
    static Path symbolFile(Path dir, Map<Long, String> syms) throws Exception {
        long base = syms.keySet().iterator().next();
        StringBuilder s = new StringBuilder("        .section .text,\"ax\",%nobits\n");
        List<String> seen = new ArrayList<>();
        for (var e : syms.entrySet()) {
            if (seen.contains(e.getValue())) continue;
            seen.add(e.getValue());
            s.append(String.format("        .org 0x%x\n        .globl %2$s\n        .type %2$s, %%function\n%2$s:\n", e.getKey() - base, e.getValue()));
        }
        s.append("        .skip 4\n");
        Path src = dir.resolve("ksyms.S");
        Files.writeString(src, s.toString());
        return Asm.linkElf(src, List.of("-Ttext=0x" + Long.toHexString(base)));
    }
}
