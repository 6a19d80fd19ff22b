/*
 * kvm-vmm: a minimal virtual machine monitor for arm64 KVM, enough to boot Linux to a shell.
 *
 * kvm-hello-world (next to this file) runs a few instructions; a kernel wants a machine. This program
 * builds the smallest one Linux boots on, with the parts QEMU's virt board has at the same addresses:
 *
 *   RAM            at 0x40000000, -m MiB                  a memory slot backed by our anonymous memory
 *   GICv3          distributor 0x08000000,                KVM's own vGIC (KVM_CREATE_DEVICE): the
 *                  redistributors 0x080a0000              kernel emulates it, no exits reach us
 *   or GICv2       distributor 0x08000000,                when KVM has no vgic-v3 (a host GICv2 with
 *                  CPU interface 0x08010000               the virtualization extensions), or with -g 2
 *   timer          PPIs 13, 14, 11, 10                    KVM's: the vCPU's own generic timer
 *   PL011 UART     0x09000000, SPI 1                      ours, on KVM_EXIT_MMIO (pl011.c)
 *   PSCI           method "hvc"                           KVM's (KVM_ARM_VCPU_PSCI_0_2): CPU_ON, SYSTEM_OFF
 *
 * and describes it in a device tree it writes itself (fdt.c). It loads the kernel Image and the initrd as
 * Documentation/arch/arm64/booting.rst asks, starts the boot vCPU at the Image with X0 = the device tree,
 * and runs one thread per vCPU until the guest powers off (KVM_EXIT_SYSTEM_EVENT).
 *
 * usage: kvm-vmm -k Image [-i initrd] [-a bootargs] [-m MiB] [-c cpus] [-g 2|3] [-d dtb-file]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdt.h"
#include "pl011.h"

#define RAM_BASE       0x40000000UL
#define GIC_DIST       0x08000000UL
#define GIC_DIST_SIZE  0x10000UL
#define GIC_REDIST     0x080a0000UL
#define GIC_REDIST_SIZE 0x20000UL     /* per vCPU: RD_base and SGI_base frames */
#define GIC_CPU        0x08010000UL   /* GICv2 */
#define GIC_CPU_SIZE   0x10000UL
#define MAX_CPUS       8              /* a GICv2 serves 8; the redistributors' region would have room for 123 */
#define SZ_2M          0x200000UL

/* The phandles the device tree's nodes point at each other with. */
enum { PHANDLE_GIC = 1, PHANDLE_CLOCK = 2 };

static int kvm, vm, run_size;
static int gic_version;   /* 2 or 3 */
static uint8_t *ram;
static uint64_t ram_size;

static void die(const char *what)
{
    fprintf(stderr, "kvm-vmm: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *message)
{
    fprintf(stderr, "kvm-vmm: %s\n", message);
    exit(1);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Reads a whole file into guest RAM at guest-physical address gpa; returns its size. */
static uint64_t load_file(const char *path, uint64_t gpa, uint64_t *size_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(path);
    struct stat st;
    if (fstat(fd, &st) < 0) die(path);
    if (gpa < RAM_BASE || gpa - RAM_BASE + (uint64_t)st.st_size > ram_size) {
        fprintf(stderr, "kvm-vmm: %s (%lld bytes) does not fit in the guest's RAM (-m)\n", path, (long long)st.st_size);
        exit(1);
    }
    uint8_t *to = ram + (gpa - RAM_BASE);
    for (off_t done = 0; done < st.st_size; ) {
        ssize_t n = read(fd, to + done, (size_t)(st.st_size - done));
        if (n < 0) die(path);
        if (n == 0) fail("a file shrank while being read");
        done += n;
    }
    close(fd);
    *size_out = (uint64_t)st.st_size;
    return gpa;
}

/* booting.rst: the Image's 64-byte header says how far from a 2 MiB-aligned base to load it, and how much
 * memory it takes from there (its .bss included). Returns the load address; *end is where it stops. */
static uint64_t load_kernel(const char *path, uint64_t *end)
{
    uint64_t size;
    uint64_t at = load_file(path, RAM_BASE, &size);
    uint8_t *h = ram;
    if (size < 64 || memcmp(h + 0x38, "ARM\x64", 4) != 0) {
        fprintf(stderr, "kvm-vmm: %s: not an arm64 Image (no \"ARM\\x64\" at 0x38; a vmlinuz may need gunzip)\n", path);
        exit(1);
    }
    uint64_t text_offset, image_size;
    memcpy(&text_offset, h + 8, 8);
    memcpy(&image_size, h + 16, 8);
    if (image_size == 0) text_offset = 0x80000;   /* kernels before 3.17 */
    if (text_offset + size > ram_size) fail("the kernel does not fit in the guest's RAM (-m)");
    if (text_offset != 0) {
        memmove(ram + text_offset, ram, size);
        memset(ram, 0, text_offset);
        at += text_offset;
    }
    *end = at + (image_size ? image_size : size);
    if (*end - RAM_BASE > ram_size) fail("the kernel does not fit in the guest's RAM (-m)");
    return at;
}

/* The machine as the kernel will see it. */
static void *device_tree(int cpus, const char *bootargs, uint64_t initrd, uint64_t initrd_size, size_t *size)
{
    struct fdt f = {0};
    fdt_begin_node(&f, "");
    fdt_prop_string(&f, "model", "jvisor kvm-vmm");
    fdt_prop(&f, "compatible", "linux,dummy-virt", sizeof "linux,dummy-virt");
    fdt_prop_u32(&f, "#address-cells", 2);
    fdt_prop_u32(&f, "#size-cells", 2);
    fdt_prop_u32(&f, "interrupt-parent", PHANDLE_GIC);

    fdt_begin_node(&f, "chosen");
    fdt_prop_string(&f, "bootargs", bootargs);
    fdt_prop_string(&f, "stdout-path", "/pl011@9000000");
    if (initrd_size) {
        uint64_t end = initrd + initrd_size;
        fdt_prop_cells(&f, "linux,initrd-start", 2, (uint32_t[]){ (uint32_t)(initrd >> 32), (uint32_t)initrd });
        fdt_prop_cells(&f, "linux,initrd-end", 2, (uint32_t[]){ (uint32_t)(end >> 32), (uint32_t)end });
    }
    fdt_end_node(&f);

    fdt_begin_node(&f, "memory@40000000");
    fdt_prop_string(&f, "device_type", "memory");
    fdt_prop_cells(&f, "reg", 4, (uint32_t[]){ 0, (uint32_t)RAM_BASE, (uint32_t)(ram_size >> 32), (uint32_t)ram_size });
    fdt_end_node(&f);

    fdt_begin_node(&f, "cpus");
    fdt_prop_u32(&f, "#address-cells", 1);
    fdt_prop_u32(&f, "#size-cells", 0);
    for (int i = 0; i < cpus; i++) {
        char name[16];
        snprintf(name, sizeof name, "cpu@%d", i);
        fdt_begin_node(&f, name);
        fdt_prop_string(&f, "device_type", "cpu");
        fdt_prop(&f, "compatible", "arm,arm-v8", sizeof "arm,arm-v8");
        fdt_prop_u32(&f, "reg", (uint32_t)i);   /* KVM gives vCPU i MPIDR affinity 0 = i (for i < 16) */
        fdt_prop_string(&f, "enable-method", "psci");
        fdt_end_node(&f);
    }
    fdt_end_node(&f);

    /* The guest runs at EL1, so its PSCI calls are HVCs, and KVM answers them. */
    fdt_begin_node(&f, "psci");
    fdt_prop(&f, "compatible", "arm,psci-1.0\0arm,psci-0.2", sizeof "arm,psci-1.0\0arm,psci-0.2");
    fdt_prop_string(&f, "method", "hvc");
    fdt_end_node(&f);

    /* Secure, non-secure, virtual, hypervisor timer PPIs, level-high (4); KVM's defaults are 27 and 30. A
     * GICv2's PPI flags also name the CPUs the PPI reaches, in bits [15:8] (bindings arm,gic.yaml). */
    uint32_t ppi = 4 | (gic_version == 2 ? ((1u << cpus) - 1) << 8 : 0);
    fdt_begin_node(&f, "timer");
    fdt_prop(&f, "compatible", "arm,armv8-timer\0arm,armv7-timer", sizeof "arm,armv8-timer\0arm,armv7-timer");
    fdt_prop_cells(&f, "interrupts", 12, (uint32_t[]){ 1, 13, ppi, 1, 14, ppi, 1, 11, ppi, 1, 10, ppi });
    fdt_prop(&f, "always-on", NULL, 0);
    fdt_end_node(&f);

    fdt_begin_node(&f, "intc@8000000");
    if (gic_version == 3) {
        fdt_prop(&f, "compatible", "arm,gic-v3", sizeof "arm,gic-v3");
        uint64_t redist = GIC_REDIST_SIZE * (uint64_t)cpus;
        fdt_prop_cells(&f, "reg", 8, (uint32_t[]){ 0, (uint32_t)GIC_DIST, 0, (uint32_t)GIC_DIST_SIZE,
                                                   0, (uint32_t)GIC_REDIST, 0, (uint32_t)redist });
    } else {
        fdt_prop(&f, "compatible", "arm,cortex-a15-gic", sizeof "arm,cortex-a15-gic");
        fdt_prop_cells(&f, "reg", 8, (uint32_t[]){ 0, (uint32_t)GIC_DIST, 0, (uint32_t)GIC_DIST_SIZE,
                                                   0, (uint32_t)GIC_CPU, 0, (uint32_t)GIC_CPU_SIZE });
    }
    fdt_prop_u32(&f, "#interrupt-cells", 3);   /* type (0 SPI, 1 PPI), number, flags */
    fdt_prop(&f, "interrupt-controller", NULL, 0);
    fdt_prop_u32(&f, "#address-cells", 0);     /* no child nodes (QEMU's has an ITS or a GICv2m) */
    fdt_prop_u32(&f, "phandle", PHANDLE_GIC);
    fdt_end_node(&f);

    /* The AMBA bus wants the UART's bus clock; a fixed 24 MHz, like QEMU's. */
    fdt_begin_node(&f, "apb-pclk");
    fdt_prop(&f, "compatible", "fixed-clock", sizeof "fixed-clock");
    fdt_prop_u32(&f, "#clock-cells", 0);
    fdt_prop_u32(&f, "clock-frequency", 24000000);
    fdt_prop_string(&f, "clock-output-names", "clk24mhz");
    fdt_prop_u32(&f, "phandle", PHANDLE_CLOCK);
    fdt_end_node(&f);

    fdt_begin_node(&f, "pl011@9000000");
    fdt_prop(&f, "compatible", "arm,pl011\0arm,primecell", sizeof "arm,pl011\0arm,primecell");
    fdt_prop_cells(&f, "reg", 4, (uint32_t[]){ 0, (uint32_t)PL011_BASE, 0, (uint32_t)PL011_SIZE });
    fdt_prop_cells(&f, "interrupts", 3, (uint32_t[]){ 0, PL011_SPI, 4 });
    fdt_prop_cells(&f, "clocks", 2, (uint32_t[]){ PHANDLE_CLOCK, PHANDLE_CLOCK });
    fdt_prop(&f, "clock-names", "uartclk\0apb_pclk", sizeof "uartclk\0apb_pclk");
    fdt_end_node(&f);

    fdt_end_node(&f);
    return fdt_finish(&f, size);
}

static void set_reg(int vcpu, uint64_t id, uint64_t value)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };
    if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0) die("KVM_SET_ONE_REG");
}

#define CORE_REG(field) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
                         (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

/* A vCPU; all but the first start powered off and wait for the guest's PSCI CPU_ON, which KVM handles. */
static int create_vcpu(int index)
{
    int fd = ioctl(vm, KVM_CREATE_VCPU, (unsigned long)index);
    if (fd < 0) die("KVM_CREATE_VCPU");
    struct kvm_vcpu_init init;
    if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0) die("KVM_ARM_PREFERRED_TARGET");
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (index > 0) init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
    if (ioctl(fd, KVM_ARM_VCPU_INIT, &init) < 0) die("KVM_ARM_VCPU_INIT");
    return fd;
}

static void set_device_attr(int dev, uint32_t group, uint64_t attr, const void *value, const char *what)
{
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)value };
    if (ioctl(dev, KVM_SET_DEVICE_ATTR, &a) < 0) die(what);
}

/* The vGIC KVM offers: a GICv3 if the host's GIC can give one (ICH_* system registers), else a GICv2 (a host
 * GICv2 with the virtualization extensions, or a GICv3 with its GICv2 compatibility, which KVM also says). */
static int probe_gic(void)
{
    struct kvm_create_device test = { .type = KVM_DEV_TYPE_ARM_VGIC_V3, .flags = KVM_CREATE_DEVICE_TEST };
    if (ioctl(vm, KVM_CREATE_DEVICE, &test) == 0) return 3;
    test.type = KVM_DEV_TYPE_ARM_VGIC_V2;
    if (ioctl(vm, KVM_CREATE_DEVICE, &test) == 0) return 2;
    fail("KVM offers no vGIC, neither vgic-v3 nor vgic-v2 (the host's device tree names no GIC maintenance interrupt?)");
    return 0;
}

/* KVM's vGIC, created once the vCPUs exist (their number sizes a GICv3's redistributor region). */
static void create_gic(void)
{
    struct kvm_create_device dev = { .type = gic_version == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2 };
    if (ioctl(vm, KVM_CREATE_DEVICE, &dev) < 0) die(gic_version == 3 ? "KVM_CREATE_DEVICE (vgic-v3)" : "KVM_CREATE_DEVICE (vgic-v2)");
    uint64_t dist = GIC_DIST, redist = GIC_REDIST, cpu = GIC_CPU;
    uint32_t nr_irqs = 64;   /* 32 private + 32 SPIs: plenty for one UART */
    if (gic_version == 3) {
        set_device_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist, "vgic distributor address");
        set_device_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist, "vgic redistributor address");
    } else {
        set_device_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_DIST, &dist, "vgic distributor address");
        set_device_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V2_ADDR_TYPE_CPU, &cpu, "vgic CPU interface address");
    }
    set_device_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs, "vgic number of interrupts");
    set_device_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "vgic init");
}

/* One thread per vCPU: KVM_RUN, handle the exit, again. */
static void *run_vcpu(void *arg)
{
    int fd = (int)(intptr_t)arg;
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");
    for (;;) {
        if (ioctl(fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_MMIO: {
            uint64_t a = run->mmio.phys_addr;
            uint32_t data = 0;
            if (a >= PL011_BASE && a < PL011_BASE + PL011_SIZE && run->mmio.len <= 4) {
                if (run->mmio.is_write) memcpy(&data, run->mmio.data, run->mmio.len);
                pl011_access(a - PL011_BASE, run->mmio.is_write, &data);
                if (!run->mmio.is_write) memcpy(run->mmio.data, &data, run->mmio.len);
            } else {
                /* nothing there: reads as zero, writes are lost; said (a few times) to help whoever adds a device */
                static int warned;
                if (warned < 8 && __atomic_fetch_add(&warned, 1, __ATOMIC_RELAXED) < 8) {
                    fprintf(stderr, "kvm-vmm: %s of %u bytes at 0x%llx: no device there\n", run->mmio.is_write ? "write" : "read",
                            run->mmio.len, (unsigned long long)a);
                }
                if (!run->mmio.is_write) memset(run->mmio.data, 0, sizeof run->mmio.data);
            }
            break;
        }
        case KVM_EXIT_SYSTEM_EVENT:
            /* PSCI SYSTEM_OFF or SYSTEM_RESET: either way this machine is done */
            fprintf(stderr, "kvm-vmm: the guest %s\n",
                    run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? "powered off" : "asked for a reset; stopping");
            exit(0);
        case KVM_EXIT_FAIL_ENTRY:
            fprintf(stderr, "kvm-vmm: KVM_EXIT_FAIL_ENTRY: reason 0x%llx\n",
                    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            exit(1);
        case KVM_EXIT_INTERNAL_ERROR:
            fprintf(stderr, "kvm-vmm: KVM_EXIT_INTERNAL_ERROR: suberror %u\n", run->internal.suberror);
            exit(1);
        default:
            fprintf(stderr, "kvm-vmm: unexpected exit_reason %u\n", run->exit_reason);
            exit(1);
        }
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: kvm-vmm -k Image [-i initrd] [-a bootargs] [-m MiB (256)] [-c cpus (1)] [-g 2|3] [-d dtb-file]\n"
                    "  boots an arm64 Linux Image on KVM with a GIC (-g: its version; by default a GICv3 if KVM\n"
                    "  has one, else a GICv2), a PL011 (stdin/stdout; Ctrl-A x quits) and PSCI; -d also writes\n"
                    "  the generated device tree to dtb-file\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *kernel = NULL, *initrd = NULL, *bootargs = "console=ttyAMA0", *dtb_out = NULL;
    long mib = 256, cpus = 1;
    for (int c; (c = getopt(argc, argv, "k:i:a:m:c:g:d:h")) != -1; ) {
        char *end;
        switch (c) {
        case 'k': kernel = optarg; break;
        case 'i': initrd = optarg; break;
        case 'a': bootargs = optarg; break;
        case 'd': dtb_out = optarg; break;
        case 'm':
            mib = strtol(optarg, &end, 10);
            if (*end || mib < 32 || mib > 3072) fail("-m: the guest's RAM in MiB, 32 to 3072");
            break;
        case 'c':
            cpus = strtol(optarg, &end, 10);
            if (*end || cpus < 1 || cpus > MAX_CPUS) fail("-c: 1 to 8 vCPUs");
            break;
        case 'g':
            if (strcmp(optarg, "2") && strcmp(optarg, "3")) fail("-g: the GIC version, 2 or 3");
            gic_version = optarg[0] - '0';
            break;
        default: usage();
        }
    }
    if (!kernel || optind != argc) usage();
    ram_size = (uint64_t)mib << 20;

    /* Pages are only taken from the host as the guest touches them. */
    ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED) die("mmap guest RAM");

    /* KVM first, to learn which vGIC it has; without it the tree is still written (-d), for a GICv3 unless
     * -g says, and then we stop. */
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    int kvm_errno = errno;
    if (kvm >= 0) {
        if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) fail("KVM_GET_API_VERSION: not the stable API 12");
        vm = ioctl(kvm, KVM_CREATE_VM, 0);
        if (vm < 0) die("KVM_CREATE_VM");
        if (!gic_version) gic_version = probe_gic();
    }
    if (!gic_version) gic_version = 3;

    /* Kernel at the bottom, the initrd after its image_size, the device tree in the last 2 MiB. */
    uint64_t kernel_end, initrd_at = 0, initrd_size = 0;
    uint64_t entry = load_kernel(kernel, &kernel_end);
    if (initrd) initrd_at = load_file(initrd, align_up(kernel_end, SZ_2M), &initrd_size);
    size_t dtb_size;
    void *dtb = device_tree((int)cpus, bootargs, initrd_at, initrd_size, &dtb_size);
    uint64_t dtb_at = RAM_BASE + ram_size - SZ_2M;
    if (dtb_size > SZ_2M || (initrd && initrd_at + initrd_size > dtb_at)) fail("the kernel and initrd do not fit in the guest's RAM (-m)");
    memcpy(ram + (dtb_at - RAM_BASE), dtb, dtb_size);
    if (dtb_out) {
        FILE *out = fopen(dtb_out, "wb");
        if (!out || fwrite(dtb, 1, dtb_size, out) != dtb_size || fclose(out) != 0) die(dtb_out);
    }

    if (kvm < 0) {
        fprintf(stderr, "kvm-vmm: /dev/kvm: %s (this kernel must run at EL2 with KVM: under jvisor or QEMU, "
                "-M virt,virtualization=on)\n", strerror(kvm_errno));
        return 1;
    }
    run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < 0) die("KVM_GET_VCPU_MMAP_SIZE");

    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = ram_size, .userspace_addr = (uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0) die("KVM_SET_USER_MEMORY_REGION");

    int vcpu[MAX_CPUS];
    for (int i = 0; i < cpus; i++) vcpu[i] = create_vcpu(i);
    create_gic();
    /* booting.rst: x0 = the device tree's physical address, x1..x3 = 0, EL1h with DAIF masked, MMU off
     * (KVM_ARM_VCPU_INIT's reset state). */
    set_reg(vcpu[0], CORE_REG(regs.pc), entry);
    set_reg(vcpu[0], CORE_REG(regs.regs[0]), dtb_at);

    pl011_start(vm);
    for (int i = 1; i < cpus; i++) {
        pthread_t t;
        int err = pthread_create(&t, NULL, run_vcpu, (void *)(intptr_t)vcpu[i]);
        if (err) {
            errno = err;
            die("starting a vCPU thread");
        }
    }
    run_vcpu((void *)(intptr_t)vcpu[0]);
    return 0;
}
