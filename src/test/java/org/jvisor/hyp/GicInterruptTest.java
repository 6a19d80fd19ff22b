package org.jvisor.hyp;

import org.jvisor.cpu.Esr;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvisor.testing.NeedsCross;

/**
 * Interrupt delivery through the GIC to guests that program it as Linux does, on GICv2 and GICv3.
 * Expected values from the GIC architecture specification (IHI 0048B, IHI 0069): the INTID an acknowledge
 * returns, the running priority (the group priority of the highest active interrupt, 0xff when idle),
 * active and pending state, level and edge triggering, PMR masking and preemption.
 */
@NeedsCross
class GicInterruptTest {
    static final long SPURIOUS = 1023;

    /** Waits (IRQs unmasked) until the handler ran {@code n} times, counted in x26 by the host's HVC #9. */
    static String waitForIrqs(int n) {
        return """
                1:  msr daifset, #2
                    cmp x26, #%d
                    b.hs 2f
                    wfi
                    msr daifclr, #2
                    isb
                    b 1b
                2:
                """.formatted(n);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void aLevelSpiRaisedFromAHostThreadWakesWfiAndRetriggersWhileHigh(int version) throws Exception {
        GicGuest g = new GicGuest(version, 1, """
                CONFIG_SPI 33, 0xa0, 0
                mov x26, #0
                """ + waitForIrqs(2) + """
                HPPIR 0
                LOG 0
                POWER_OFF
                """);
        Vcpu v = g.vcpus[0];
        Thread host = Thread.ofPlatform().start(() -> {
            while (!v.isIdle()) Thread.onSpinWait();
            g.gic.spiLine(1).set(true);
        });
        int[] calls = {0};
        g.on(9, (vcpu, iar) -> {
            vcpu.setX(26, ++calls[0]);
            if (calls[0] == 2) g.gic.spiLine(1).set(false); // the device is served: its line drops before the EOI
        });
        g.run();
        host.join();
        // each IRQ: INTID, running priority in the handler, GICD_ISACTIVER1 before the EOI; then HPPIR idle
        assertEquals(List.of(33L, 0xa0L, 2L, 33L, 0xa0L, 2L, SPURIOUS), g.log(0),
                "the level still high after the first EOI makes the SPI pending again");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void priorityPreemptionActiveStateEdgeTriggeringAndPmr(int version) throws Exception {
        GicGuest g = new GicGuest(version, 1, """
                CONFIG_SPI 34, 0x80, 1
                CONFIG_SPI 35, 0x40, 0
                mov x26, #0
                hvc #1
                """ + waitForIrqs(2) + """
                HPPIR 0
                LOG 0
                PMR 0x80
                hvc #2
                msr daifclr, #2
                isb
                msr daifset, #2
                HPPIR 0
                LOG 0
                GICD_R 0, 0x204
                LOG 0
                ACK 0
                LOG 0
                PMR 0xf0
                """ + waitForIrqs(3) + """
                POWER_OFF
                """);
        int[] calls = {0};
        g.on(1, (v, x0) -> g.gic.spiLine(2).set(true));
        g.on(2, (v, x0) -> {
            g.gic.spiLine(2).set(false);
            g.gic.spiLine(2).set(true);
        });
        g.on(9, (v, iar) -> {
            v.setX(26, ++calls[0]);
            if (iar == 34 && calls[0] == 1) g.gic.spiLine(3).set(true);
            if (iar == 35) g.gic.spiLine(3).set(false);
        });
        g.run();
        assertEquals(List.of(
                        34L, 0x80L, // SPI 34 (edge) taken, running priority its own
                        35L, 0x40L, 0xcL, // SPI 35 (higher priority) preempts inside the handler: both active
                        0x4L, // back in 34's handler after 35's EOI
                        SPURIOUS, // 34's line is still high, but an edge-triggered SPI latches edges only
                        34L, // a new edge with PMR 0x80 masking priority 0x80: pending, HPPIR sees it
                        0x4L, // GICD_ISPENDR1
                        SPURIOUS, // IAR refuses what PMR masks
                        34L, 0x80L, 0x4L), // PMR lowered: taken
                g.log(0));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void eoiModeOneDropsPriorityAndDirDeactivates(int version) throws Exception {
        GicGuest g = new GicGuest(version, 1, """
                CONFIG_SPI 36, 0x60, 1
                EOIMODE 1
                mov x27, #1
                mov x26, #0
                hvc #1
                """ + waitForIrqs(1) + """
                RPR 0
                LOG 0
                GICD_R 0, 0x304
                LOG 0
                POWER_OFF
                """);
        g.on(1, (v, x0) -> g.gic.spiLine(4).set(true));
        g.on(9, (v, iar) -> v.setX(26, 1));
        g.run();
        assertEquals(List.of(36L, 0x60L, 0x10L, 0x10L, 0xffL, 0L), g.log(0),
                "after the EOI the interrupt stays active (EOImode 1) until DIR; the running priority drops at the EOI");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void sgisBetweenTwoVcpusOnTwoThreads(int version) throws Exception {
        GicGuest g = new GicGuest(version, 2, """
                    ldr x10, =0x40300000
                    mov x26, #0
                    cbnz x0, secondary
                    CONFIG_PRIVATE 5, 0x80
                1:  ldr x1, [x10]
                    cbz x1, 1b
                .if V3
                    ldr x0, =(3 << 24) | 2         // SGI 3 to Aff0 1 (TargetList bit 1)
                    msr icc_sgi1r_el1, x0
                .else
                    GICD_W 0xf00, (2 << 16) | 3     // SGI 3 to CPU interface 1 (CPUTargetList)
                .endif
                """ + waitForIrqs(1) + """
                    POWER_OFF
                secondary:
                    CONFIG_PRIVATE 3, 0x80
                    mov x1, #1
                    str x1, [x10]
                """ + waitForIrqs(1) + """
                .if V3
                    ldr x0, =(5 << 24) | 1         // SGI 5 to Aff0 0
                    msr icc_sgi1r_el1, x0
                .else
                    GICD_W 0xf00, (1 << 24) | 5     // SGI 5 to all but self
                .endif
                3:  wfi
                    b 3b
                """);
        g.on(9, (v, iar) -> v.setX(26, v.x(26) + 1));
        g.run();
        // GICv2: the acknowledge gives the source CPU in bits [12:10]
        long fromCpu1 = version == 2 ? 0x405 : 5;
        assertEquals(List.of(3L, 0x80L, 0L), g.log(1));
        assertEquals(List.of(fromCpu1, 0x80L, 0L), g.log(0));
        if (version == 3) {
            // ICC_SGI1R_EL1 traps to EL2 under HCR_EL2.IMO: emulated by the hypervisor, one CPU trap each
            assertEquals(1, g.vcpus[0].stats().exits(Esr.EC_SYS64));
            assertEquals(1, g.vcpus[1].stats().exits(Esr.EC_SYS64));
        }
    }

    @ParameterizedTest
    @CsvSource({"2, mask", "3, mask", "2, reprogram", "3, reprogram"})
    void virtualTimerPpiWakesAVcpuInWfiAndDeassertsWhenMaskedOrReprogrammed(int version, String how) throws Exception {
        String quiet = how.equals("mask") ? """
                    mov x0, #3                      // as Linux's arch_timer handler: mask the timer
                    msr cntv_ctl_el0, x0
                """ : """
                    ldr x0, =62500000               // or program the next event, 1 s away
                    msr cntv_tval_el0, x0
                """;
        GicGuest g = new GicGuest(version, 1, """
                    CONFIG_PRIVATE 27, 0x20
                    adr x25, timer_hook
                    mov x26, #0
                    ldr x0, =62500                  // 1 ms at 62.5 MHz
                    msr cntv_tval_el0, x0
                    mov x0, #1
                    msr cntv_ctl_el0, x0            // enabled, not masked
                    isb
                """ + waitForIrqs(1) + """
                    HPPIR 0
                    LOG 0
                    POWER_OFF
                timer_hook:
                    cmp x4, #27
                    b.ne 1f
                """ + quiet + """
                    isb
                1:  ret
                """);
        g.on(9, (v, iar) -> v.setX(26, v.x(26) + 1));
        g.run();
        assertEquals(List.of(27L, 0x20L, 0L, SPURIOUS), g.log(0), "PPI 27 taken, then deasserted (" + how + ")");
        assertEquals(true, g.vcpus[0].stats().exits(Esr.EC_WFX) >= 1, "the vCPU waited in WFI");
    }
}
