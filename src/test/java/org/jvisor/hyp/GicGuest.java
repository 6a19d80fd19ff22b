package org.jvisor.hyp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.Ram;

/**
 * A VM with a GIC (version 2 or 3) and {@code cpus} vCPUs, all powered on at the start of an assembled
 * guest, which programs the GIC as Linux's irq-gic.c / irq-gic-v3.c do ({@link #PRELUDE}: vectors,
 * per-CPU stack and log, GIC_INIT_DIST / GIC_INIT_CPU, CONFIG_SPI / CONFIG_PPI, ACK / EOI / DIR / RPR /
 * HPPIR / PMR macros). Each vCPU runs on its own thread; HVC #imm with imm != 0 calls the test's host
 * handler for that immediate on the calling vCPU's thread; HVC #0xEE reports an unexpected exception.
 * Each vCPU's log (8-byte entries the guest appends at x28) is read back with {@link #log}.
 */
final class GicGuest {
    static final long RAM = 0x4000_0000L, RAM_SIZE = 4L << 20, LOG = RAM + 0x20_0000L, LOG_STRIDE = 0x1000;

    /** Host code for one hypercall immediate: runs on the vCPU's thread, may set X0 for the guest. */
    interface HostCall {
        void call(Vcpu vcpu, long x0) throws Exception;
    }

    static final String PRELUDE = """
            _start: b main
                .balign 2048
            vectors:
                .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
                .balign 0x80
                .if \\n == 5
                b irq_entry
                .else
                mov x1, #\\n
                b unexpected
                .endif
                .endr
            unexpected:
                mrs x2, esr_el1
                mrs x3, elr_el1
                hvc #0xee
                b .

            // 32-bit register at GICD + off (x19), CPU interface/RD_base + off (x20), SGI_base + off (x21)
            .macro GICD_W off, val
                ldr x1, =\\off
                ldr w0, =\\val
                str w0, [x19, x1]
            .endm
            .macro GICD_R reg, off
                ldr x1, =\\off
                ldr w\\reg, [x19, x1]
            .endm
            .macro ACK n
            .if V3
                mrs x\\n, icc_iar1_el1
            .else
                ldr w\\n, [x20, #0x0c]
            .endif
            .endm
            .macro EOI n
            .if V3
                msr icc_eoir1_el1, x\\n
            .else
                str w\\n, [x20, #0x10]
            .endif
            .endm
            .macro DIR n
            .if V3
                msr icc_dir_el1, x\\n
            .else
                ldr x1, =0x1000
                str w\\n, [x20, x1]
            .endif
            .endm
            .macro RPR n
            .if V3
                mrs x\\n, icc_rpr_el1
            .else
                ldr w\\n, [x20, #0x14]
            .endif
            .endm
            .macro HPPIR n
            .if V3
                mrs x\\n, icc_hppir1_el1
            .else
                ldr w\\n, [x20, #0x18]
            .endif
            .endm
            .macro PMR val
                mov x0, #\\val
            .if V3
                msr icc_pmr_el1, x0
            .else
                str w0, [x20, #0x04]
            .endif
                isb
            .endm
            // EOImode: 1 splits priority drop (EOI) from deactivation (DIR)
            .macro EOIMODE m
            .if V3
                mov x0, #(\\m << 1)
                msr icc_ctlr_el1, x0
            .else
                mov w0, #(1 | (\\m << 9))
                str w0, [x20]
            .endif
                isb
            .endm
            .macro LOG n
                str x\\n, [x28], #8
            .endm
            // an SPI: priority, target CPU 0 (ITARGETSR / IROUTER), edge or level (ICFGR), enabled
            .macro CONFIG_SPI intid, prio, edge
                mov w0, #\\prio
                ldr x1, =(0x400 + \\intid)
                strb w0, [x19, x1]
            .if V3 == 0
                mov w0, #1
                ldr x1, =(0x800 + \\intid)
                strb w0, [x19, x1]
            .endif
                ldr x1, =(0xc00 + (\\intid / 16) * 4)
                ldr w0, [x19, x1]
                ldr w2, =(2 << (2 * (\\intid % 16)))
                bic w0, w0, w2
            .if \\edge
                orr w0, w0, w2
            .endif
                str w0, [x19, x1]
                ldr w0, =(1 << (\\intid % 32))
                ldr x1, =(0x100 + (\\intid / 32) * 4)
                str w0, [x19, x1]
            .endm
            // a PPI or SGI of this CPU: priority, enabled (GICv2: banked GICD registers; GICv3: SGI_base)
            .macro CONFIG_PRIVATE intid, prio
                mov w0, #\\prio
            .if V3
                strb w0, [x21, #(0x400 + \\intid)]
                ldr w0, =(1 << \\intid)
                str w0, [x21, #0x100]
            .else
                strb w0, [x19, #(0x400 + \\intid)]
                ldr w0, =(1 << \\intid)
                str w0, [x19, #0x100]
            .endif
            .endm

            main:
                mrs x9, mpidr_el1
                and x9, x9, #0xff
                ldr x0, =0x40180000
                sub x0, x0, x9, lsl #14
                mov sp, x0
                ldr x28, =0x40200000
                add x28, x28, x9, lsl #12
                adr x0, vectors
                msr vbar_el1, x0
                isb
                ldr x19, =0x08000000
            .if V3
                ldr x20, =0x080A0000
                add x20, x20, x9, lsl #17
                add x21, x20, #0x10000
            .else
                ldr x20, =0x08010000
            .endif
                cbnz x9, 1f
                bl gic_init_dist
            1:  bl gic_init_cpu
                mov x0, x9
                b test

            // as gic_dist_init: disabled while configured, every SPI in Group 1 on a GICv3, then enabled
            gic_init_dist:
                GICD_W 0, 0
            .if V3
            2:  GICD_R 0, 0
                tbnz w0, #31, 2b            // RWP
                mov w0, #-1
                mov x1, #0x84
            3:  str w0, [x19, x1]
                add x1, x1, #4
                cmp x1, #0xa0
                b.lo 3b
                GICD_W 0, 0x12              // ARE, EnableGrp1
            .else
                GICD_W 0, 1                 // EnableGrp0
            .endif
                ret

            // as gic_enable_redist + gic_cpu_sys_reg_init (GICv3), gic_cpu_if_up (GICv2)
            gic_init_cpu:
            .if V3
                ldr w0, [x20, #0x14]
                bic w0, w0, #2              // ProcessorSleep
                str w0, [x20, #0x14]
            4:  ldr w0, [x20, #0x14]
                tbnz w0, #2, 4b             // ChildrenAsleep
                mov w0, #-1
                str w0, [x21, #0x80]        // GICR_IGROUPR0: SGIs and PPIs in Group 1
                mrs x0, icc_sre_el1
                mov x0, #0xf0
                msr icc_pmr_el1, x0
                msr icc_bpr1_el1, xzr
                msr icc_ctlr_el1, xzr
                mrs x0, icc_ctlr_el1
                msr icc_ap1r0_el1, xzr
                mov x0, #1
                msr icc_igrpen1_el1, x0
                isb
            .else
                mov w0, #0xf0
                str w0, [x20, #0x04]
                str wzr, [x20, #0x08]
                mov w0, #1
                str w0, [x20]
            .endif
                ret

            // a nesting IRQ handler: logs the INTID and the running priority, calls the host (HVC #9, x0 = IAR
            // value) and the test's routine at x25 if any (x4 = IAR value), lets a higher priority interrupt preempt, logs GICD_ISACTIVER1, EOIs (and DIRs in EOImode 1
            // when x27 != 0)
            irq_entry:
                sub sp, sp, #64
                stp x0, x1, [sp]
                stp x2, x3, [sp, #16]
                stp x4, x30, [sp, #32]
                mrs x1, elr_el1
                mrs x2, spsr_el1
                stp x1, x2, [sp, #48]
                ACK 4
                LOG 4
                RPR 0
                LOG 0
                mov x0, x4
                hvc #9
                cbz x25, 6f
                blr x25                     // the test's own handling of INTID x4
            6:  msr daifclr, #2
                isb
                msr daifset, #2
                GICD_R 0, 0x304
                LOG 0
                EOI 4
                cbz x27, 5f
                GICD_R 0, 0x304
                LOG 0
                DIR 4
            5:  ldp x1, x2, [sp, #48]
                msr elr_el1, x1
                msr spsr_el1, x2
                ldp x4, x30, [sp, #32]
                ldp x2, x3, [sp, #16]
                ldp x0, x1, [sp]
                add sp, sp, #64
                eret

            .macro POWER_OFF
                movz x0, #0x0008
                movk x0, #0x8400, lsl #16
                hvc #0
                b .
            .endm
            """;

    final Vm vm = new Hypervisor().createVm();
    final Vcpu[] vcpus;
    final Vgic gic;
    private final Map<Integer, HostCall> calls = new ConcurrentHashMap<>();

    GicGuest(int version, int cpus, String test) {
        vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
        String src = ".equ V3, " + (version == 3 ? 1 : 0) + "\n" + PRELUDE + "\ntest:\n" + test + "\n.ltorg\n";
        vm.writeGuest(RAM, Asm.assemble(src, RAM));
        vcpus = new Vcpu[cpus];
        for (int i = 0; i < cpus; i++) {
            vcpus[i] = vm.createVcpu(i, true);
            vcpus[i].setPc(RAM);
        }
        gic = Vgic.create(vm, version);
        on(9, (v, x0) -> {});
    }

    GicGuest on(int immediate, HostCall c) {
        calls.put(immediate, c);
        return this;
    }

    /**
     * Runs every vCPU on its own thread until one powers the VM off (the others are then kicked); fails
     * on an unexpected exception, an internal error, or if nothing ends within 20 s (a hang, not a timing
     * assertion).
     */
    void run() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (Vcpu v : vcpus) {
            threads.add(Thread.ofPlatform().name("vcpu" + v.id()).start(() -> {
                try {
                    runVcpu(v);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    for (Vcpu o : vcpus) if (o != v) o.kick();
                }
            }));
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                for (Vcpu v : vcpus) v.kick();
                t.join(2000);
                throw new AssertionError("the guest did not finish: " + t.getName() + " log " + logs());
            }
        }
        if (failure.get() instanceof Exception e) throw e;
        if (failure.get() instanceof Error e) throw e;
    }

    private void runVcpu(Vcpu v) throws Exception {
        while (true) {
            VcpuExit e = v.run();
            switch (e) {
                case VcpuExit.Hypercall h -> {
                    if (h.immediate() == 0xee)
                        throw new AssertionError(String.format("vCPU %d: unexpected exception, vector entry %d, ESR_EL1 %x, ELR_EL1 %x; log %s",
                                v.id(), h.args()[1], h.args()[2], h.args()[3], logs()));
                    HostCall c = calls.get(h.immediate());
                    if (c == null) throw new AssertionError("no host call #" + h.immediate());
                    c.call(v, h.args()[0]);
                }
                case VcpuExit.SystemEvent s -> {
                    return;
                }
                case VcpuExit.Interrupted i -> {
                    return;
                }
                default -> throw new AssertionError("vCPU " + v.id() + ": " + e);
            }
        }
    }

    /** The entries vCPU {@code cpu} logged (its x28 points after the last one; call once the vCPUs stopped). */
    List<Long> log(int cpu) {
        long base = LOG + cpu * LOG_STRIDE;
        long n = Math.min(Math.max(0, (vcpus[cpu].x(28) - base) / 8), 512);
        List<Long> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(vm.readGuest64(base + 8L * i));
        return l;
    }

    private String logs() {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < vcpus.length; c++) b.append(" cpu").append(c).append('=').append(hex(log(c)));
        return b.toString();
    }

    static List<String> hex(List<Long> l) {
        return l.stream().map(Long::toHexString).toList();
    }
}
