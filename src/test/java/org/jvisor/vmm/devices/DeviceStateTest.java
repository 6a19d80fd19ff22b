package org.jvisor.vmm.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvisor.vmm.devices.Pl011.*;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * The PL011 and PL031 saved at interesting points (receive FIFO half full, interrupt pending, a match
 * armed) and restored into fresh devices: the restored device reads, interrupts and goes on exactly as the
 * one never saved (the reference for each step is the TRM behaviour {@link Pl011Test} and {@link Pl031Test}
 * check), and states no register write produces are refused.
 */
class DeviceStateTest {
    static final class Uart {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final Pl011Test.Line irq = new Pl011Test.Line();
        final Pl011 dev = new Pl011(out, irq);

        long r(int off) { return dev.read(off, 4); }

        void w(int off, long v) { dev.write(off, 4, v); }

        byte[] save() {
            StateWriter w = new StateWriter();
            dev.saveState(w);
            return w.toByteArray();
        }

        Uart restore(byte[] state) {
            StateReader r = new StateReader(state);
            dev.restoreState(r);
            r.end();
            return this;
        }

        /** The guest's side from here on: reads until RXFE, transmits, acknowledges, reads again. */
        String goOn() throws InterruptedException {
            StringBuilder s = new StringBuilder();
            s.append("irq=").append(irq.level).append(" mis=").append(r(MIS)).append(" fr=").append(r(FR)).append(' ');
            while ((r(FR) & FR_RXFE) == 0) s.append((char) (r(DR) & 0xff));
            s.append(" irq=").append(irq.level);
            w(DR, 'k');
            w(ICR, 0x7ff);
            byte[] more = "later".getBytes(StandardCharsets.US_ASCII);
            dev.receive(more, 0, more.length);
            s.append(" irq=").append(irq.level).append(' ');
            while ((r(FR) & FR_RXFE) == 0) s.append((char) (r(DR) & 0xff));
            return s.append(" out=").append(out.toString(StandardCharsets.US_ASCII)).toString();
        }
    }

    /** Linux's startup (FIFO on, trigger 1/2 = 16, RXIM|RTIM), then 20 characters typed and 4 read. */
    static Uart uartHalfFull() throws InterruptedException {
        Uart u = new Uart();
        u.w(IFLS, 0x12);
        u.w(LCR_H, 0x70);
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_DTR | CR_RTS);
        u.w(IMSC, INT_RT | INT_RX);
        byte[] typed = "abcdefghijklmnopqrst".getBytes(StandardCharsets.US_ASCII);
        u.dev.receive(typed, 0, typed.length);
        for (int i = 0; i < 4; i++) u.r(DR);
        u.dev.receiveBreak();
        u.w(DR, 'x');
        return u;
    }

    @Test
    void pl011WithItsFifoHalfFullAndItsInterruptPendingGoesOnAsTheOriginal() throws InterruptedException {
        Uart original = uartHalfFull();
        byte[] saved = original.save();
        assertTrue(original.irq.level, "RX and RT pending, both unmasked");
        Uart restored = new Uart().restore(saved);
        assertTrue(restored.irq.level, "the restored UART raises its line");
        for (int off = 0; off < 0x48; off += 4)
            if (off != DR) assertEquals(original.r(off), restored.r(off), "offset 0x" + Integer.toHexString(off));
        original.out.reset();
        String expected = original.goOn();
        assertEquals(expected, restored.goOn());
        // the TRM's behaviour: 16 characters then the break (a NUL with BE), one transmit, the next burst
        assertTrue(expected.startsWith("irq=true mis=80 fr=128 efghijklmnopqrst\0 irq=false irq=true later"), expected);
        assertArrayEquals(original.save(), restored.save());
    }

    @Test
    void pl011WithoutFifoKeepsItsHoldingRegister() throws InterruptedException {
        Uart u = new Uart();
        u.w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        u.w(IMSC, INT_RX);
        u.dev.receive('z');
        Uart restored = new Uart().restore(u.save());
        assertTrue(restored.irq.level);
        assertEquals('z', restored.r(DR) & 0xff);
        assertFalse(restored.irq.level);
    }

    @Test
    void hostInputNotYetInTheFifoStaysWithTheHost() throws InterruptedException {
        Uart u = new Uart();
        u.dev.receive('q'); // the UART is not enabled: 'q' waits on the line
        assertEquals(1, u.dev.bufferedInput());
        Uart restored = new Uart().restore(u.save());
        assertEquals(0, restored.dev.bufferedInput(), "the line is the host's, not part of the saved UART");
    }

    /** A PL011 state written by hand, as a crafted file would have it. */
    private static byte[] pl011(Consumer<StateWriter> fifo, int... registers) {
        StateWriter w = new StateWriter().tag("pl011");
        for (int v : registers) w.putInt(v);
        fifo.accept(w);
        return w.toByteArray();
    }

    @Test
    void pl011StatesNoWriteProducesAreRefused() {
        int[] ok = {0, 0, 0, 0, 0x70, CR_RESET, IFLS_RESET, 0, 0, 0};
        new Uart().restore(pl011(w -> w.putInts(new int[32]), ok)); // the shape is right
        for (int i = 0; i < ok.length; i++) {
            int[] bad = ok.clone();
            bad[i] |= 1 << 20;
            byte[] b = pl011(w -> w.putInts(new int[0]), bad);
            assertThrows(StateException.class, () -> new Uart().restore(b), "register " + i);
        }
        byte[] overfull = pl011(w -> w.putInts(new int[33]), ok);
        assertThrows(StateException.class, () -> new Uart().restore(overfull), "33 characters in a 32-entry FIFO");
        int[] noFifo = ok.clone();
        noFifo[4] = 0;
        byte[] twoInHolding = pl011(w -> w.putInts(new int[2]), noFifo);
        assertThrows(StateException.class, () -> new Uart().restore(twoInHolding), "2 characters in the holding register");
        byte[] errorBits = pl011(w -> w.putInts(new int[] {0x1ff}), ok);
        assertThrows(StateException.class, () -> new Uart().restore(errorBits), "a framing error the model never sets");
        byte[] saved = new Uart().save();
        byte[] badTag = saved.clone();
        badTag[5] ^= 1;
        assertThrows(StateException.class, () -> new Uart().restore(badTag));
        for (int cut = 0; cut < saved.length; cut += 7) {
            byte[] t = Arrays.copyOf(saved, cut);
            assertThrows(StateException.class, () -> new Uart().restore(t), "cut at " + cut);
        }
    }

    // ---- PL031 ----

    static final class Rtc implements AutoCloseable {
        final Pl031Test.TestClock clock = new Pl031Test.TestClock();
        final Pl011Test.Line irq = new Pl011Test.Line();
        final Pl031 dev = new Pl031(irq, clock);

        long r(int off) { return dev.read(off, 4); }

        void w(int off, long v) { dev.write(off, 4, v); }

        byte[] save() {
            StateWriter w = new StateWriter();
            dev.saveState(w);
            return w.toByteArray();
        }

        Rtc restore(byte[] state) {
            StateReader r = new StateReader(state);
            dev.restoreState(r);
            r.end();
            return this;
        }

        @Override
        public void close() { dev.close(); }
    }

    @Test
    void pl031KeepsTheGuestsOffsetAndItsMatchOnTheClockItIsBuiltOn() {
        try (Rtc original = new Rtc(); Rtc restored = new Rtc()) {
            original.w(Pl031.LR, 1_000_000);          // the guest sets its clock
            original.w(Pl031.IMSC, Pl031.AI);
            original.w(Pl031.MR, 1_000_010);          // an alarm in 10 s
            original.clock.advance(3);
            byte[] saved = original.save();
            assertFalse(original.irq.level);
            restored.clock.now = original.clock.now;  // restored at once
            restored.restore(saved);
            for (int off : new int[] {Pl031.DR, Pl031.MR, Pl031.LR, Pl031.CR, Pl031.IMSC, Pl031.RIS, Pl031.MIS})
                assertEquals(original.r(off), restored.r(off), "offset 0x" + Integer.toHexString(off));
            assertEquals(1_000_003, restored.r(Pl031.DR));
            for (Rtc rtc : new Rtc[] {original, restored}) {
                rtc.clock.advance(6);
                rtc.dev.tick();
                assertFalse(rtc.irq.level, "one second early");
                rtc.clock.advance(1);
                rtc.dev.tick();
                assertTrue(rtc.irq.level, "the count reached RTCMR");
            }
        }
    }

    @Test
    void pl031RestoredLaterHasMovedOnWithTheHostAndRaisesAPendingAlarm() {
        try (Rtc original = new Rtc(); Rtc restored = new Rtc(); Rtc matched = new Rtc()) {
            original.w(Pl031.IMSC, Pl031.AI);
            original.w(Pl031.MR, original.r(Pl031.DR) + 60);
            restored.clock.advance(3600); // an hour on disk
            restored.restore(original.save());
            assertEquals(original.r(Pl031.DR) + 3600, restored.r(Pl031.DR), "the guest's date follows the host's clock");
            restored.dev.tick(); // the alarm thread wakes at once for a match in the past
            assertTrue(restored.irq.level);

            original.w(Pl031.MR, original.r(Pl031.DR)); // fires at once: RTCRIS set, the line up
            assertTrue(original.irq.level);
            matched.restore(original.save());
            assertTrue(matched.irq.level, "a pending alarm is raised again at restore");
            matched.w(Pl031.ICR, Pl031.AI);
            assertFalse(matched.irq.level);
        }
    }

    @Test
    void pl031StatesNoWriteProducesAreRefused() {
        try (Rtc rtc = new Rtc()) {
            long now = rtc.clock.instant().getEpochSecond();
            StateWriter ok = new StateWriter().tag("pl031").putInt((int) now + 5).putInt(0).putInt(1).putInt(0).putLong(0).putLong(now + 5);
            rtc.restore(ok.toByteArray());
        }
        long now = new Pl031Test.TestClock().instant().getEpochSecond();
        byte[][] bad = {
            new StateWriter().tag("pl031").putInt(0).putInt(0).putInt(2).putInt(0).putLong(0).putLong(Long.MIN_VALUE).toByteArray(),
            new StateWriter().tag("pl031").putInt(0).putInt(0).putInt(0).putInt(3).putLong(0).putLong(Long.MIN_VALUE).toByteArray(),
            new StateWriter().tag("pl031").putInt(0).putInt(0).putInt(0).putInt(0).putLong(1L << 32).putLong(Long.MIN_VALUE).toByteArray(),
            new StateWriter().tag("pl031").putInt((int) now).putInt(0).putInt(0).putInt(0).putLong(0).putLong(now + 1).toByteArray(),
            new StateWriter().tag("pl031").putInt(0).putInt(0).putInt(0).putInt(0).putLong(0).putLong(Long.MAX_VALUE).toByteArray(),
            new StateWriter().tag("pl031").putInt(0).putInt(0).putInt(0).putInt(0).putLong(0).toByteArray(),
            new StateWriter().tag("pl011").toByteArray(),
        };
        for (byte[] b : bad)
            try (Rtc rtc = new Rtc()) {
                assertThrows(StateException.class, () -> rtc.restore(b));
            }
    }
}
