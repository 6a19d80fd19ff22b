package org.jvisor.guest;

/**
 * What kvm-hello-world must print, worked out from its guest code (guest/kvm/kvm-hello-world.c), not from a
 * run: the guest computes F(50) and stores it with STR X2, [X5] (8 bytes) where X5 = 0x1000, outside its one
 * memory slot at 0x10000, then STR W6, [X5, #8] with W6 = 0x600d: two MMIO exits. The tests on QEMU
 * ({@code KvmGuestQemuTest}) and on jvisor ({@code org.jvisor.vmm.El2KvmTest}) expect the same.
 */
public final class KvmHelloWorldOutput {
    private KvmHelloWorldOutput() {}

    /** F(n), F(0) = 0, F(1) = 1. */
    public static long fibonacci(int n) {
        long a = 0, b = 1;
        for (int i = 0; i < n; i++) {
            long next = a + b;
            a = b;
            b = next;
        }
        return a;
    }

    /** The program's lines, then /init's JVISOR-EXIT for its status 0, each ending in a newline. */
    public static String expected() {
        long f50 = fibonacci(50);
        return "\nguest: F(50) at 0x10000, result to MMIO 0x1000\n"
                + "KVM_EXIT_MMIO: write addr=0x1000 len=8 data=0x" + Long.toHexString(f50) + "\n"
                + "result: " + f50 + "\n"
                + "KVM_EXIT_MMIO: write addr=0x1008 len=4 data=0x600d\n"
                + "JVISOR-EXIT 0\n";
    }
}
