package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Interrupt delivery through the GIC to guests that program it as Linux does, on GICv2 and GICv3.
 * Expected values from the GIC architecture specification (IHI 0048B, IHI 0069): the INTID an acknowledge
 * returns, the running priority (the group priority of the highest active interrupt, 0xff when idle),
 * active and pending state, level and edge triggering, PMR masking and preemption.
 */
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
}
