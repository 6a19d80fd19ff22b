/*
 * kvm-hello-world for arm64: the smallest program that runs a virtual machine on Linux's KVM.
 *
 * The x86 original (github.com/dpw/kvm-hello-world) runs a few instructions in real mode that add two
 * registers and write the sum to an I/O port. Arm has no I/O ports: a device is a range of physical
 * addresses, so the guest here writes its result with an ordinary store to an address that no memory slot
 * covers. KVM cannot complete that store itself (stage 2 has nothing mapped there); it returns from KVM_RUN
 * with exit_reason KVM_EXIT_MMIO and the address, length and bytes of the store, which this program prints.
 *
 * The guest computes the Fibonacci number F(GUEST_N) (F(0) = 0, F(1) = 1) with the MMU off at EL1, stores
 * it (8 bytes) to MMIO_RESULT, then stores a word to MMIO_DONE, which ends the program.
 *
 * Steps, each one ioctl (Documentation/virt/kvm/api.rst):
 *   open /dev/kvm, KVM_GET_API_VERSION        the stable API is 12
 *   KVM_CREATE_VM                              a VM: an empty guest-physical address space (stage 2)
 *   KVM_SET_USER_MEMORY_REGION                 one slot: our page of memory appears at GUEST_RAM
 *   KVM_CREATE_VCPU, mmap                      a vCPU and its shared struct kvm_run
 *   KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT  the vCPU's model and its reset state (EL1h, MMU off)
 *   KVM_SET_ONE_REG                            PC and the guest's input, X1
 *   KVM_RUN                                    run until an exit the kernel hands to us
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_RAM   0x10000UL     /* guest-physical address of the one memory slot */
#define RAM_SIZE    0x10000UL     /* 64 KiB: a whole page whatever the host's page size */
#define MMIO_RESULT 0x1000UL      /* outside the slot: a store here exits to us */
#define MMIO_DONE   0x1008UL
#define GUEST_N     50            /* the guest computes F(50) = 12586269025, more than 32 bits */

/*
 * The guest's code, assembled with this program; it only uses PC-relative branches, so it runs wherever it
 * is copied. X1 holds n on entry (set with KVM_SET_ONE_REG below).
 */
__attribute__((visibility("hidden"))) extern const uint32_t guest_code[], guest_code_end[];
__asm__(
    "    .pushsection .rodata\n"
    "    .balign 4\n"
    "    .globl guest_code, guest_code_end\n"    /* global: local labels reached through the GOT both became one */
    "    .hidden guest_code, guest_code_end\n"
    "guest_code:\n"
    "    mov  x2, #0\n"              /* a = F(0) */
    "    mov  x3, #1\n"              /* b = F(1) */
    "1:  cbz  x1, 2f\n"              /* n times: (a, b) = (b, a + b) */
    "    add  x4, x2, x3\n"
    "    mov  x2, x3\n"
    "    mov  x3, x4\n"
    "    sub  x1, x1, #1\n"
    "    b    1b\n"
    "2:  mov  x5, #0x1000\n"         /* MMIO_RESULT */
    "    str  x2, [x5]\n"            /* exit 1: 8 bytes, F(n) */
    "    mov  w6, #0x600d\n"
    "    str  w6, [x5, #8]\n"        /* exit 2: MMIO_DONE, 4 bytes */
    "3:  wfi\n"                      /* not reached: we stop at the second exit */
    "    b    3b\n"
    "guest_code_end:\n"
    "    .popsection\n");

static void die(const char *what)
{
    fprintf(stderr, "kvm-hello-world: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* KVM's id of a core register: struct kvm_regs, counted in 32-bit words (arch/arm64/include/uapi/asm/kvm.h). */
#define CORE_REG(field) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
                         (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

static void set_reg(int vcpu, uint64_t id, uint64_t value, const char *name)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
    if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0) die(name);
}

int main(void)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        fprintf(stderr, "kvm-hello-world: /dev/kvm: %s (this kernel must run at EL2 with KVM: "
                "under jvisor or QEMU, -M virt,virtualization=on)\n", strerror(errno));
        return 1;
    }
    int version = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (version < 0) die("KVM_GET_API_VERSION");
    if (version != KVM_API_VERSION) {
        fprintf(stderr, "kvm-hello-world: KVM_GET_API_VERSION is %d, expected %d\n", version, KVM_API_VERSION);
        return 1;
    }

    int vm = ioctl(kvm, KVM_CREATE_VM, 0);   /* type 0: the default 40-bit guest-physical space */
    if (vm < 0) die("KVM_CREATE_VM");

    uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED) die("mmap guest memory");
    memcpy(ram, guest_code, (size_t)((const char *)guest_code_end - (const char *)guest_code));
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = GUEST_RAM, .memory_size = RAM_SIZE, .userspace_addr = (uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0) die("KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < 0) die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    /* The vCPU is a copy of the host's CPU model; INIT resets it: EL1h, interrupts masked, MMU off. */
    struct kvm_vcpu_init init;
    if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0) die("KVM_ARM_PREFERRED_TARGET");
    if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0) die("KVM_ARM_VCPU_INIT");
    set_reg(vcpu, CORE_REG(regs.pc), GUEST_RAM, "KVM_SET_ONE_REG pc");
    set_reg(vcpu, CORE_REG(regs.regs[1]), GUEST_N, "KVM_SET_ONE_REG x1");
    printf("guest: F(%d) at 0x%lx, result to MMIO 0x%lx\n", GUEST_N, GUEST_RAM, MMIO_RESULT);

    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) die("KVM_RUN");
        switch (run->exit_reason) {
        case KVM_EXIT_MMIO: {
            uint64_t data = 0;
            memcpy(&data, run->mmio.data, run->mmio.len);   /* the bytes as stored: little-endian */
            printf("KVM_EXIT_MMIO: %s addr=0x%llx len=%u data=0x%llx\n", run->mmio.is_write ? "write" : "read",
                   (unsigned long long)run->mmio.phys_addr, run->mmio.len, (unsigned long long)data);
            if (run->mmio.is_write && run->mmio.phys_addr == MMIO_RESULT) {
                printf("result: %llu\n", (unsigned long long)data);
            } else if (run->mmio.is_write && run->mmio.phys_addr == MMIO_DONE) {
                return 0;
            }
            /* a read would take run->mmio.data back into the register; ours has none */
            break;
        }
        case KVM_EXIT_FAIL_ENTRY:
            fprintf(stderr, "kvm-hello-world: KVM_EXIT_FAIL_ENTRY: reason 0x%llx\n",
                    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            return 1;
        case KVM_EXIT_INTERNAL_ERROR:
            fprintf(stderr, "kvm-hello-world: KVM_EXIT_INTERNAL_ERROR: suberror %u\n", run->internal.suberror);
            return 1;
        default:
            fprintf(stderr, "kvm-hello-world: unexpected exit_reason %u\n", run->exit_reason);
            return 1;
        }
    }
}
