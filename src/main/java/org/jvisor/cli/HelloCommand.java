package org.jvisor.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvisor.cpu.Ram;
import org.jvisor.hyp.Hypervisor;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.VcpuExit;
import org.jvisor.hyp.Vm;
import picocli.CommandLine.Command;
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

    @Override
    public void run() {
        // /dev/kvm -> KVM_CREATE_VM -> KVM_SET_USER_MEMORY_REGION -> KVM_CREATE_VCPU
        Vm vm = new Hypervisor().createVm();
        Ram page = Ram.allocate(4096);
        vm.setUserMemoryRegion(0, GUEST_RAM, 4096, page);
        ByteBuffer code = ByteBuffer.allocate(CODE.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int word : CODE) code.putInt(word);
        vm.writeGuest(GUEST_RAM, code.array());
        if (hypercall) vm.registerHypercall(ADD_HYPERCALL, v -> {
            System.out.printf("hypercall 0x%08x(%d, %d)%n", ADD_HYPERCALL, v.x(1), v.x(2));
            v.setX(0, v.x(1) + v.x(2));
        });
        Vcpu vcpu = vm.createVcpu(0);
        vcpu.setPc(GUEST_RAM + (hypercall ? HYPERCALL_ENTRY : 0));

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
