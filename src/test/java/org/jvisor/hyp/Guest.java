package org.jvisor.hyp;

import org.jvisor.cpu.Asm;
import org.jvisor.cpu.Ram;

/** A VM with one RAM slot at {@link #RAM} holding an assembled guest, and its vCPU 0 at the first instruction. */
final class Guest {
    static final long RAM = 0x4000_0000L, RAM_SIZE = 4L << 20, MMIO = 0x0900_0000L;
    /** Powers the VM off (PSCI SYSTEM_OFF over HVC). */
    static final String OFF = """
            movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
            """;

    final Vm vm;
    final Vcpu vcpu;

    Guest(String source) {
        this(new Hypervisor().createVm(), source);
    }

    Guest(Vm vm, String source) {
        this.vm = vm;
        vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
        vm.writeGuest(RAM, Asm.assemble(source, RAM));
        vcpu = vm.createVcpu(0);
        vcpu.setPc(RAM);
    }

    /** Runs until an exit other than MMIO, answering MMIO reads with {@code readValue}. */
    VcpuExit runServingReads(long readValue) {
        while (true) {
            VcpuExit e = vcpu.run();
            if (e instanceof VcpuExit.Mmio m) {
                if (!m.write()) vcpu.completeMmioRead(readValue);
            } else {
                return e;
            }
        }
    }

    static boolean isShutdown(VcpuExit e) {
        return e instanceof VcpuExit.SystemEvent s && s.type() == VcpuExit.SystemEvent.Type.SHUTDOWN;
    }
}
