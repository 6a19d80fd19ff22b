package org.jvisor.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvisor.cpu.MmioHandler;
import org.jvisor.cpu.Ram;
import org.jvisor.hyp.Hypervisor;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.VcpuExit;
import org.jvisor.hyp.Vm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The cost of an exit round trip, in nanoseconds: a guest loop of N traps of one kind, timed from the
 * host: HVC served by a Java hypercall inside the hypervisor, MMIO served by an in-hypervisor device,
 * and MMIO that exits to the caller of {@code run()} (KVM_EXIT_MMIO's analog). Each includes the
 * loop's two instructions.
 */
@Command(name = "exitbench", description = "Measure the exit round trip (HVC, MMIO in the hypervisor, MMIO to the caller) in ns.")
final class ExitBenchCommand implements Runnable {
    static final long RAM = 0x4000_0000L, DEVICE = 0x0a00_0000L;
    static final int NOP_HYPERCALL = 0xC6000001;
    static final int[] CODE = {
        0xd2800020, // 00 hvcloop:  mov  x0, #0x0001
        0xf2b8c000, // 04           movk x0, #0xc600, lsl #16
        0xd4000002, // 08           hvc  #0
        0xf10004a5, // 0c           subs x5, x5, #1
        0x54ffff81, // 10           b.ne hvcloop
        0xd4000022, // 14           hvc  #1
        0xd2a14003, // 18 devloop:  mov  x3, #0xa000000   (in-hypervisor device)
        0xf9000065, // 1c 1:        str  x5, [x3]
        0xf10004a5, // 20           subs x5, x5, #1
        0x54ffffc1, // 24           b.ne 1b
        0xd4000022, // 28           hvc  #1
        0xd2a12003, // 2c userloop: mov  x3, #0x9000000   (no device: exits to the caller)
        0xf9000065, // 30 2:        str  x5, [x3]
        0xf10004a5, // 34           subs x5, x5, #1
        0x54ffffc1, // 38           b.ne 2b
        0xd4000022, // 3c           hvc  #1
    };
    static final long[] ENTRIES = {0x00, 0x18, 0x2c};
    static final String[] NAMES = {"HVC handled in the hypervisor", "MMIO handled in the hypervisor", "MMIO exiting to the caller"};

    @Option(names = "--count", description = "Round trips per measurement (default ${DEFAULT-VALUE}).", defaultValue = "200000")
    long count;

    @Option(names = "--rounds", description = "Measurements per kind; the best is reported (default ${DEFAULT-VALUE}).", defaultValue = "5")
    int rounds;

    @Mixin
    TranslateOption translate;

    @Override
    public void run() {
        if (count < 1 || rounds < 1) throw new UserError("--count and --rounds must be positive");
        translate.apply();
        for (int kind = 0; kind < 3; kind++) {
            double best = Double.MAX_VALUE;
            for (int r = 0; r < rounds; r++) best = Math.min(best, measure(kind, count));
            System.out.printf("%-32s %8.0f ns%n", NAMES[kind], best);
        }
    }

    /** Nanoseconds per round trip of {@code kind} (0 HVC, 1 device MMIO, 2 caller MMIO). */
    static double measure(int kind, long n) {
        Vm vm = new Hypervisor().createVm();
        vm.setUserMemoryRegion(0, RAM, 4096, Ram.allocate(4096));
        ByteBuffer code = ByteBuffer.allocate(CODE.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : CODE) code.putInt(w);
        vm.writeGuest(RAM, code.array());
        vm.registerHypercall(NOP_HYPERCALL, v -> { });
        vm.addDevice(DEVICE, 0x1000, new MmioHandler() {
            @Override
            public long read(long offset, int size) { return 0; }

            @Override
            public void write(long offset, int size, long value) { }
        });
        Vcpu vcpu = vm.createVcpu(0);
        vcpu.setPc(RAM + ENTRIES[kind]);
        vcpu.setX(5, n);
        long start = System.nanoTime();
        while (true) {
            VcpuExit e = vcpu.run();
            if (e instanceof VcpuExit.Mmio) continue; // a write: nothing to complete
            if (e instanceof VcpuExit.Hypercall) break;
            throw new IllegalStateException("unexpected exit " + e);
        }
        long elapsed = System.nanoTime() - start;
        if (vcpu.x(5) != 0) throw new IllegalStateException("guest loop did not finish");
        return (double) elapsed / n;
    }
}
