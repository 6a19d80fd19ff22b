package org.jvisor.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvisor.cpu.Ram;
import org.jvisor.hyp.Hypervisor;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.VcpuExit;
import org.jvisor.hyp.Vm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * kvm-hello-world in Java, the example of the hypervisor API: one page of guest memory holding A64 code
 * that adds 2 + 2, writes the digit and a newline to a serial port at an MMIO address, and powers off
 * with PSCI SYSTEM_OFF. The host prints the guest's output, every exit it handled and the trap counts.
 */
@Command(name = "hello", description = "Run a tiny guest (2 + 2) through the hypervisor API, like kvm-hello-world.")
final class HelloCommand implements Runnable {
    static final long GUEST_RAM = 0x0, SERIAL = 0x0900_0000L;
    static final int ADD_HYPERCALL = 0xC6000001;

    /** The guest, encoded by the GNU assembler (offsets in bytes from the start of the page). */
    static final int[] CODE = {
        0xd2800040, // 00  mov  x0, #2
        0xd2800041, // 04  mov  x1, #2
        0x8b010002, // 08  add  x2, x0, x1
        0x9100c042, // 0c  add  x2, x2, #'0'
        0xd2a12003, // 10  mov  x3, #0x9000000        serial port
        0x39000062, // 14  strb w2, [x3]
        0xd2800142, // 18  mov  x2, #'\n'
        0x39000062, // 1c  strb w2, [x3]
        0xd2800100, // 20  mov  x0, #0x0008
        0xf2b08000, // 24  movk x0, #0x8400, lsl #16  PSCI SYSTEM_OFF
        0xd4000002, // 28  hvc  #0
        // the same with the addition done by a custom hypercall (--hypercall starts here)
        0xd2800020, // 2c  mov  x0, #0x0001
        0xf2b8c000, // 30  movk x0, #0xc600, lsl #16  function id 0xC6000001
        0xd2800041, // 34  mov  x1, #2
        0xd2800042, // 38  mov  x2, #2
        0xd4000002, // 3c  hvc  #0                    x0 = x1 + x2, computed by the host
        0x9100c002, // 40  add  x2, x0, #'0'
        0xd2a12003, // 44  mov  x3, #0x9000000
        0x39000062, // 48  strb w2, [x3]
        0xd2800142, // 4c  mov  x2, #'\n'
        0x39000062, // 50  strb w2, [x3]
        0xd2800100, // 54  mov  x0, #0x0008
        0xf2b08000, // 58  movk x0, #0x8400, lsl #16
        0xd4000002, // 5c  hvc  #0
    };
    static final long HYPERCALL_ENTRY = 0x2c;

    @Option(names = "--hypercall", description = "Let a custom hypercall (0xC6000001, handled in Java) do the addition.")
    boolean hypercall;

    @Option(names = "--mmu", description = "Run with the MMU on: stage-1 tables built by the host (code and serial port identity-mapped).")
    boolean mmu;

    @Option(names = "--el0", description = "Run the code at EL0 (MMU on); its final HVC is undefined there, so the guest's EL1 handler powers off.")
    boolean el0;

    @Mixin
    TranslateOption translate;

    /** Stage-1 layout of the paged modes: vectors, and the level-1 and level-2 tables, after the code page. */
    static final long VECTORS = 0x1000, L1_TABLE = 0x2000, L2_TABLE = 0x3000;
    /** The EL1 handler for exceptions from EL0 (VBAR_EL1 + 0x400): PSCI SYSTEM_OFF. */
    static final int[] EL0_HANDLER = {0xd2800100, 0xf2b08000, 0xd4000002}; // mov x0, #8; movk x0, #0x8400, lsl #16; hvc #0

    static byte[] words(int[] w) {
        ByteBuffer b = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int word : w) b.putInt(word);
        return b.array();
    }

    /**
     * What a guest kernel would do before turning its MMU on, done by the host: a 39-bit VA space of
     * 4 KiB pages with 2 MiB blocks, the first one (code) Normal memory, the serial port's Device-nGnRnE
     * and never executable, both identity-mapped; at EL0, code read-only (so EL0 may execute it) and
     * the serial port writable by EL0.
     */
    static void enableMmu(Vm vm, Vcpu vcpu, boolean el0) {
        long af = 1L << 10, inner = 3L << 8, block = 1, table = 3, xn = (1L << 54) | (1L << 53);
        long codeAp = el0 ? 3L << 6 : 0; // AP[2:1]: 11 read-only at EL0 and EL1; 00 EL1 read/write
        long deviceAp = el0 ? 1L << 6 : 0; // 01: read/write at EL0 and EL1
        vm.writeGuest(L1_TABLE, le64(L2_TABLE | table));
        vm.writeGuest(L2_TABLE, le64(GUEST_RAM | block | af | inner | codeAp)); // AttrIndx 0: Normal
        vm.writeGuest(L2_TABLE + 8 * (SERIAL >>> 21), le64(SERIAL | block | af | deviceAp | (1 << 2) | xn)); // AttrIndx 1
        vcpu.setRegister("MAIR_EL1", 0x00FFL); // attr0 Normal write-back, attr1 Device-nGnRnE
        vcpu.setRegister("TCR_EL1", 25 | (1L << 8) | (1L << 10) | (3L << 12) | (1L << 23) | (2L << 32)); // T0SZ 25, WB walks, EPD1, IPS 40 bits
        vcpu.setRegister("TTBR0_EL1", L1_TABLE);
        vcpu.setRegister("SCTLR_EL1", vcpu.register("SCTLR_EL1") | 1 | (1 << 2) | (1 << 12)); // M, C, I
        if (el0) {
            vm.writeGuest(VECTORS + 0x400, words(EL0_HANDLER));
            vcpu.setRegister("VBAR_EL1", VECTORS);
            vcpu.setPstate(0); // EL0t, interrupts unmasked
        }
    }

    private static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    @Override
    public void run() {
        // /dev/kvm -> KVM_CREATE_VM -> KVM_SET_USER_MEMORY_REGION -> KVM_CREATE_VCPU
        if (el0 && hypercall) throw new UserError("--el0 and --hypercall: EL0 cannot call the hypervisor");
        translate.apply();
        boolean paged = mmu || el0;
        Vm vm = new Hypervisor().createVm();
        long memory = paged ? 4 * 4096 : 4096;
        vm.setUserMemoryRegion(0, GUEST_RAM, memory, Ram.allocate(memory));
        vm.writeGuest(GUEST_RAM, words(CODE));
        if (hypercall) vm.registerHypercall(ADD_HYPERCALL, v -> {
            System.out.printf("hypercall 0x%08x(%d, %d)%n", ADD_HYPERCALL, v.x(1), v.x(2));
            v.setX(0, v.x(1) + v.x(2));
        });
        Vcpu vcpu = vm.createVcpu(0);
        vcpu.setPc(GUEST_RAM + (hypercall ? HYPERCALL_ENTRY : 0));
        if (paged) enableMmu(vm, vcpu, el0);
        System.out.printf("guest: %s, MMU %s%s%n", el0 ? "EL0" : "EL1", paged ? "on" : "off", hypercall ? ", custom hypercall" : "");

        StringBuilder serial = new StringBuilder();
        loop:
        while (true) { // KVM_RUN
            VcpuExit exit = vcpu.run();
            switch (exit) {
                case VcpuExit.Mmio m when m.address() == SERIAL && m.write() -> {
                    System.out.printf("exit: MMIO write 0x%x size %d data 0x%x%n", m.address(), m.size(), m.data());
                    serial.append((char) m.data());
                }
                case VcpuExit.Mmio m -> {
                    System.out.printf("exit: MMIO %s 0x%x: no device%n", m.write() ? "write" : "read", m.address());
                    vcpu.completeMmioUnclaimed();
                }
                case VcpuExit.SystemEvent e -> {
                    System.out.println("exit: system event " + e.type());
                    break loop;
                }
                default -> {
                    System.out.println("exit: " + exit);
                    break loop;
                }
            }
        }
        System.out.print("guest output: " + serial);
        System.out.printf("[%03d] kvm_vm_hw2: %s%n", vcpu.id(), vcpu.stats());
    }
}
