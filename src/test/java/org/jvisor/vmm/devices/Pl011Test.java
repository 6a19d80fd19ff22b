package org.jvisor.vmm.devices;

import static org.jvisor.vmm.devices.Pl011.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jvisor.cpu.BusError;
import org.junit.jupiter.api.Test;

/**
 * The PL011 against its TRM (DDI 0183, r1p5), QEMU's model and what Linux's amba-pl011 driver does with it.
 */
class Pl011Test {
    /** An interrupt line that remembers its level and counts rising edges. */
    static final class Line implements org.jvisor.cpu.InterruptLine {
        volatile boolean level;
        int rises;

        @Override
        public synchronized void set(boolean l) {
            if (l && !level) rises++;
            level = l;
        }
    }

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final Line irq = new Line();
    final Pl011 uart = new Pl011(out, irq);

    long r(int off) { return uart.read(off, 4); }

    void w(int off, long v) { uart.write(off, 4, v); }

    /** What Linux's pl011_startup and set_termios leave: FIFO on, 8 bits, UART and both directions enabled, RXIM|RTIM. */
    void linuxStartup() {
        w(ICR, 0x7ff);
        w(IFLS, 0x12);
        w(LCR_H, 0x70); // WLEN 8, FEN
        w(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_DTR | CR_RTS);
        w(ICR, INT_RT | INT_RX);
        w(IMSC, INT_RT | INT_RX);
    }

    void type(String s) throws InterruptedException {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        uart.receive(b, 0, b.length);
    }

    /** Linux's pl011_fifo_to_tty: reads UARTDR until FR.RXFE. */
    String drain() {
        StringBuilder s = new StringBuilder();
        while ((r(FR) & FR_RXFE) == 0) s.append((char) (r(DR) & 0xff));
        return s.toString();
    }

    @Test
    void resetValuesAreTheTrmsAndIdentifyAPl011R1p5() {
        assertEquals(0x90, r(FR), "TXFE | RXFE, modem inputs low");
        assertEquals(0x300, r(CR), "TXE | RXE, UART disabled");
        assertEquals(0x12, r(IFLS), "both trigger levels at 1/2");
        for (int off : new int[] {RSR, ILPR, IBRD, FBRD, LCR_H, IMSC, RIS, MIS, DMACR}) assertEquals(0, r(off), "offset 0x" + Integer.toHexString(off));
        int[] id = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
        for (int i = 0; i < 8; i++) assertEquals(id[i], r(0xfe0 + 4 * i), "ID register 0x" + Integer.toHexString(0xfe0 + 4 * i));
        // the AMBA bus reads the peripheral ID as 0x00141011 (part 0x011, designer 0x41 'A', revision 1)
        long periph = 0;
        for (int i = 3; i >= 0; i--) periph = periph << 8 | r(0xfe0 + 4 * i);
        assertEquals(0x00141011, periph);
        assertFalse(irq.level);
    }

    @Test
    void registersKeepOnlyTheirBits() {
        w(ILPR, 0xffff_ffffL);
        w(IBRD, 0xffff_ffffL);
        w(FBRD, 0xffff_ffffL);
        w(LCR_H, 0xffff_ffffL);
        w(IFLS, 0xffff_ffffL);
        w(IMSC, 0xffff_ffffL);
        w(DMACR, 0xffff_ffffL);
        assertEquals(0xff, r(ILPR));
        assertEquals(0xffff, r(IBRD));
        assertEquals(0x3f, r(FBRD));
        assertEquals(0xff, r(LCR_H));
        assertEquals(0x3f, r(IFLS));
        assertEquals(0x7ff, r(IMSC));
        assertEquals(0x7, r(DMACR));
        w(CR, 0x301);
        assertEquals(0x301, r(CR));
        // read-only registers ignore writes
        w(FR, 0);
        w(RIS, 0x7ff);
        w(MIS, 0x7ff);
        assertEquals(0x90, r(FR));
        assertEquals(0, r(RIS));
        assertEquals(0, r(ICR), "ICR is write-only");
        for (int id = 0xfe0; id < 0x1000; id += 4) w(id, 0);
        assertEquals(0x11, r(0xfe0));
    }

    @Test
    void transmitsEachByteUnchangedAndAtOnce() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
            w(DR, 0xf00 | i); // bits above the character are not transmitted
            assertEquals(i + 1, out.size(), "transmitted before the write returns");
        }
        uart.write(DR, 1, '\n'); // earlycon's writeb
        uart.write(DR, 2, '\r');
        byte[] expected = new byte[258];
        System.arraycopy(all, 0, expected, 0, 256);
        expected[256] = '\n';
        expected[257] = '\r';
        assertArrayEquals(expected, out.toByteArray());
        assertEquals(FR_TXFE, r(FR) & (FR_TXFE | FR_TXFF | FR_BUSY), "never full, never busy");
    }

    @Test
    void transmitInterruptRisesOnEachWriteAndClearsOnlyByIcr() {
        linuxStartup();
        assertEquals(0, r(RIS) & INT_TX, "no TX interrupt before anything was sent");
        w(DR, 'a');
        assertEquals(INT_TX, r(RIS) & INT_TX);
        assertFalse(irq.level, "TXIM masked");
        w(IMSC, INT_RT | INT_RX | INT_TX);
        assertTrue(irq.level);
        assertEquals(INT_TX, r(MIS));
        w(ICR, INT_TX);
        assertFalse(irq.level);
        assertEquals(0, r(RIS));
        w(DR, 'b');
        assertTrue(irq.level);
        w(IMSC, INT_RT | INT_RX); // pl011_stop_tx
        assertFalse(irq.level);
    }

    /**
     * Linux's pl011_start_tx writes while FR.TXFF is clear and only unmasks TXIM if it had to stop; its
     * interrupt handler writes up to fifosize/2 characters per TX interrupt without looking at FR, and masks
     * TXIM when its buffer is empty. With this UART the whole buffer goes out in start_tx; if the guest does
     * unmask TXIM, each interrupt makes progress and the last one masks it: no storm, no stall.
     */
    @Test
    void linuxTransmitPathNeitherStormsNorStalls() {
        linuxStartup();
        String text = "x".repeat(100);
        int i = 0;
        while (i < text.length() && (r(FR) & FR_TXFF) == 0) w(DR, text.charAt(i++)); // start_tx
        assertEquals(text.length(), i, "everything written without waiting");

        // a driver that unmasks TXIM with 100 characters pending, as if the FIFO had filled
        int pending = 100, interrupts = 0;
        w(IMSC, INT_RT | INT_RX | INT_TX);
        while (irq.level && interrupts < 1000) {
            interrupts++;
            long status = r(MIS);
            w(ICR, status & ~(INT_TX | INT_RT | INT_RX));
            if ((status & INT_TX) != 0) {
                for (int n = 0; n < FIFO_DEPTH / 2 && pending > 0; n++, pending--) w(DR, 'y');
                if (pending == 0) w(IMSC, INT_RT | INT_RX);
            }
        }
        assertEquals(0, pending);
        assertEquals(7, interrupts, "ceil(100 / 16) interrupts");
        assertEquals(200, out.size());
    }

    @Test
    void receiveWithFifoOnRaisesTimeoutBelowTheTriggerAndRxAtIt() throws InterruptedException {
        linuxStartup(); // trigger level 1/2 = 16
        type("ls\r");
        assertEquals(INT_RT, r(RIS), "three characters, line idle: receive timeout only");
        assertTrue(irq.level, "a keystroke interrupts at once");
        assertEquals(0, r(FR) & FR_RXFE);
        assertEquals('l', r(DR));
        assertEquals(INT_RT, r(RIS), "still characters in the FIFO");
        assertEquals("s\r", drain());
        assertEquals(0, r(RIS), "an empty FIFO clears the timeout");
        assertFalse(irq.level);
        assertEquals(FR_RXFE, r(FR) & (FR_RXFE | FR_RXFF));

        type("0123456789abcdefghij"); // 20 characters: across the trigger
        assertEquals(INT_RX | INT_RT, r(RIS));
        for (int i = 0; i < 4; i++) r(DR);
        assertEquals(INT_RX | INT_RT, r(RIS), "16 left: still at the trigger level");
        r(DR);
        assertEquals(INT_RT, r(RIS), "15 left: below the trigger");
        assertEquals("56789abcdefghij", drain());
        assertEquals(0, r(RIS));
    }

    @Test
    void triggerLevelsFollowIfls() throws InterruptedException {
        int[] levels = {4, 8, 16, 24, 28};
        for (int sel = 0; sel < 5; sel++) {
            linuxStartup();
            w(IFLS, sel << 3);
            type("x".repeat(levels[sel] - 1));
            assertEquals(0, r(RIS) & INT_RX, "RXIFLSEL " + sel + ": below the level");
            type("x");
            assertEquals(INT_RX, r(RIS) & INT_RX, "RXIFLSEL " + sel + ": at the level");
            drain();
        }
    }

    @Test
    void aFullFifoSetsRxffAndTheRestWaitsOnTheLine() throws InterruptedException {
        linuxStartup();
        type("a".repeat(40));
        assertEquals(FR_RXFF, r(FR) & (FR_RXFF | FR_RXFE));
        assertEquals(40, uart.bufferedInput());
        assertEquals(40, drain().length(), "reading makes room; nothing is lost");
        assertEquals(0, uart.bufferedInput());
    }

    @Test
    void receiveWithFifoOffUsesAOneCharacterHoldingRegister() throws InterruptedException {
        w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        w(LCR_H, 0x60); // WLEN 8, FEN clear
        w(IMSC, INT_RX | INT_RT);
        type("abc");
        assertEquals(FR_RXFF, r(FR) & (FR_RXFF | FR_RXFE), "one character fills it");
        assertEquals(INT_RX, r(RIS), "the trigger is one character");
        assertTrue(irq.level);
        assertEquals('a', r(DR));
        assertEquals(INT_RX, r(RIS), "the next one moved in");
        assertEquals('b', r(DR));
        assertEquals('c', r(DR));
        assertEquals(FR_RXFE, r(FR) & (FR_RXFF | FR_RXFE));
        assertEquals(0, r(RIS));
        assertFalse(irq.level);
    }

    @Test
    void togglingTheFifoEmptiesIt() throws InterruptedException {
        linuxStartup();
        type("abc");
        w(LCR_H, 0x60);
        assertEquals(FR_RXFE, r(FR) & FR_RXFE);
        assertEquals(0, r(RIS));
        type("d");
        assertEquals('d', r(DR));
    }

    @Test
    void aDisabledReceiverLeavesInputOnTheLine() throws InterruptedException {
        w(LCR_H, 0x70);
        type("hi"); // CR at reset: UARTEN clear
        assertEquals(FR_RXFE, r(FR) & FR_RXFE);
        w(CR, CR_UARTEN | CR_TXE); // RXE clear
        assertEquals(FR_RXFE, r(FR) & FR_RXFE);
        w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        assertEquals(INT_RT, r(RIS), "arrived when enabled, then idle");
        assertEquals("hi", drain());
    }

    @Test
    void icrClearsTheTimeoutUntilTheNextArrival() throws InterruptedException {
        linuxStartup();
        type("ab");
        assertTrue(irq.level);
        w(ICR, INT_RT);
        assertFalse(irq.level);
        assertEquals('a', r(DR));
        assertFalse(irq.level, "no new arrival, no new timeout");
        type("c");
        assertTrue(irq.level);
        assertEquals("bc", drain());
        assertFalse(irq.level);
    }

    /** Linux's pl011_int with RXIM|RTIM: one interrupt per keystroke, every character read, the line low after. */
    @Test
    void linuxReceivePathGetsEachKeystrokeAtOnce() throws InterruptedException {
        linuxStartup();
        StringBuilder got = new StringBuilder();
        String[] keystrokes = {"r", "o", "o", "t", "\r", "\u001b[A", "\u0003"};
        for (String k : keystrokes) {
            int before = irq.rises;
            type(k);
            assertEquals(before + 1, irq.rises, "one interrupt for " + k);
            while (irq.level) {
                long status = r(MIS);
                w(ICR, status & ~(INT_TX | INT_RT | INT_RX));
                if ((status & (INT_RT | INT_RX)) != 0) got.append(drain());
            }
        }
        assertEquals(String.join("", keystrokes), got.toString());
    }

    @Test
    void aProducerBlocksWhileTheGuestDoesNotRead() throws Exception {
        Pl011 small = new Pl011(out, irq, 8);
        small.write(LCR_H, 4, 0x70);
        small.write(CR, 4, CR_UARTEN | CR_TXE | CR_RXE);
        byte[] input = new byte[1000];
        for (int i = 0; i < input.length; i++) input[i] = (byte) (i * 7);
        Thread producer = Thread.ofPlatform().start(() -> {
            try {
                small.receive(input, 0, input.length);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        while (producer.getState() != Thread.State.WAITING) {
            assertTrue(producer.isAlive(), "the producer finished without the guest reading");
            Thread.onSpinWait();
        }
        assertEquals(8 + FIFO_DEPTH, small.bufferedInput(), "the line's 8 and the FIFO's 32, no more");
        assertEquals(FR_RXFF, small.read(FR, 4) & FR_RXFF);

        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < input.length) {
            if ((small.read(FR, 4) & FR_RXFE) == 0) got.write((int) small.read(DR, 4));
            else Thread.onSpinWait();
            assertTrue(small.bufferedInput() <= 8 + FIFO_DEPTH);
        }
        producer.join();
        assertArrayEquals(input, got.toByteArray());
    }

    /** vCPUs transmitting and reading at once while the host types: nothing lost, nothing thrown. */
    @Test
    void concurrentVcpusAndHostInput() throws Exception {
        linuxStartup();
        int n = 20_000;
        byte[] input = new byte[n];
        for (int i = 0; i < n; i++) input[i] = (byte) i;
        Thread host = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < n; i += 100) uart.receive(input, i, 100);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        Thread writer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < n; i++) uart.write(DR, 4, 'w');
        });
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().start(() -> {
            while (got.size() < n) {
                synchronized (uart) { // the guest's port lock: FR then DR as one step, as Linux's driver
                    if ((uart.read(FR, 4) & FR_RXFE) == 0) got.write((int) uart.read(DR, 1));
                }
            }
        });
        host.join();
        writer.join();
        reader.join();
        assertArrayEquals(input, got.toByteArray());
        assertEquals(n, out.size());
    }

    @Test
    void offerTakesWhatFitsWithoutWaiting() {
        Pl011 small = new Pl011(out, irq, 4);
        byte[] b = "abcdef".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(4, small.offer(b, 0, 6), "the receiver is off: the line's 4 only");
        assertEquals(0, small.offer(b, 4, 2));
        small.write(CR, 4, CR_UARTEN | CR_RXE); // holding register takes one, the line has room for one
        assertEquals(1, small.offer(b, 4, 2));
        assertEquals('a', small.read(DR, 4));
    }

    @Test
    void anInterruptedProducerStopsWaiting() throws Exception {
        Pl011 small = new Pl011(out, irq, 1);
        Thread producer = Thread.ofPlatform().start(() -> {
            try {
                small.receive(new byte[10], 0, 10);
            } catch (InterruptedException e) {
                // expected
            }
        });
        while (producer.getState() != Thread.State.WAITING) Thread.onSpinWait();
        producer.interrupt();
        producer.join();
        assertEquals(1, small.bufferedInput());
    }

    @Test
    void aBreakArrivesAsNulWithBeAndShowsInRsrUntilCleared() throws InterruptedException {
        linuxStartup();
        type("a");
        uart.receiveBreak();
        assertEquals('a', r(DR));
        assertEquals(DR_BE, r(DR));
        assertEquals(DR_BE >> 8, r(RSR));
        w(RSR, 0); // UARTECR
        assertEquals(0, r(RSR));
    }

    @Test
    void loopbackFeedsTransmittedBytesToTheReceiver() throws InterruptedException {
        w(LCR_H, 0x70);
        w(CR, CR_UARTEN | CR_TXE | CR_RXE | CR_LBE | CR_RTS | CR_OUT2);
        assertEquals(FR_CTS | FR_RI, r(FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), "CR's modem outputs looped to FR's inputs");
        type("host"); // held on the line during loopback
        w(DR, 'L');
        assertEquals("L", out.toString(StandardCharsets.ISO_8859_1));
        assertEquals('L', r(DR));
        assertEquals(FR_RXFE, r(FR) & FR_RXFE);
        w(CR, CR_UARTEN | CR_TXE | CR_RXE);
        assertEquals("host", drain());
        assertEquals(0, r(FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI));
    }

    @Test
    void narrowAndWideAccessesTakeTheirLanes() throws InterruptedException {
        assertEquals(0x90, uart.read(FR, 1));
        assertEquals(0x00, uart.read(FR + 1, 1));
        assertEquals(0x300, uart.read(CR, 2));
        assertEquals(0x03, uart.read(CR + 1, 1));
        assertEquals(0x00, uart.read(CR + 2, 2));
        assertEquals(0x14, uart.read(0xfe8, 1));
        assertEquals(0xb1_0000_0005L, uart.read(0xff8, 8), "two 32-bit reads, low word first");
        assertEquals(0x12L, uart.read(IFLS - 4, 8) >>> 32);
        uart.write(CR, 8, 0x0000_0001_0000_0301L); // CR = 0x301, IFLS = 1
        assertEquals(0x301, r(CR));
        assertEquals(1, r(IFLS));
        uart.write(ILPR + 1, 1, 0xab);
        assertEquals(0, r(ILPR), "a byte in lane 1 is beyond ILPR's 8 bits");
        uart.write(IBRD + 1, 1, 0xab);
        assertEquals(0xab00, r(IBRD));
        w(LCR_H, 0x70);
        type("z");
        assertEquals('z', uart.read(DR, 1), "a byte read of DR pops the FIFO");
    }

    @Test
    void anyAccessAnywhereIsServedOrRefusedWithBusError() {
        Random rnd = new Random(11);
        List<String> failures = new ArrayList<>();
        for (int off = 0; off < 0x1008; off++) {
            for (int size : new int[] {1, 2, 4, 8, 3, 16}) {
                boolean valid = (size == 1 || size == 2 || size == 4 || size == 8) && off % size == 0 && off + size <= 0x1000;
                for (int write = 0; write < 2; write++) {
                    try {
                        if (write == 1) uart.write(off, size, rnd.nextLong());
                        else uart.read(off, size);
                        if (!valid) failures.add("served " + size + " at 0x" + Integer.toHexString(off));
                    } catch (BusError e) {
                        if (valid) failures.add("refused " + size + " at 0x" + Integer.toHexString(off));
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
        assertThrows(BusError.class, () -> uart.read(-4, 4));
        assertEquals(0x11, r(0xfe0), "the identification survives");
    }

    @Test
    void resetRestoresRegistersAndKeepsTheLine() throws InterruptedException {
        linuxStartup();
        type("ab");
        assertTrue(irq.level);
        w(CR, CR_UARTEN | CR_TXE); // receiver off: the next input stays on the line
        type("cd");
        uart.reset();
        assertFalse(irq.level);
        assertEquals(0x300, r(CR));
        assertEquals(0x90, r(FR));
        assertEquals(0, r(RIS));
        w(LCR_H, 0x70);
        w(CR, CR_UARTEN | CR_RXE);
        assertEquals("cd", drain(), "the FIFO's characters went with the reset, the line's did not");
    }
}
