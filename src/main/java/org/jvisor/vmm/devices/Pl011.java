package org.jvisor.vmm.devices;

import org.jvisor.vmm.debug.HostConsole;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import org.jvisor.cpu.InterruptLine;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * Arm's PL011 UART (PrimeCell r1p5, as QEMU's virt board has it at 0x09000000): Linux's
 * {@code ttyAMA0} and its earlycon. Register names are the PL011 TRM's (DDI 0183).
 *
 * <p><b>Transmit.</b> A byte written to UARTDR goes to the host's output stream at once and is flushed,
 * so the transmit FIFO is always empty: UARTFR reads TXFE set, TXFF and BUSY clear. That is what lets
 * Linux's {@code pl011_start_tx} write the whole buffer without ever unmasking TXIM, and its console and
 * earlycon (which poll TXFF, then BUSY) never wait. As in QEMU, transmission does not check UARTEN or
 * TXE (earlycon writes before anyone enables the UART) and every write to UARTDR raises TXRIS, since the
 * FIFO has just passed down through any trigger level; only UARTICR clears it. A guest that unmasks TXIM
 * therefore gets one interrupt per burst it writes, never a storm: Linux's handler refills the FIFO (which
 * keeps TXRIS up only while it has more to send) and masks TXIM when its buffer is empty.
 *
 * <p><b>Receive.</b> Host input (from {@link HostConsole} on another thread) first enters a bounded
 * <i>line</i> buffer, the characters still on the wire; the receiver moves them into the 32-entry FIFO
 * (or the 1-character holding register when LCR_H.FEN is clear) whenever it has room and CR has UARTEN
 * and RXE set. When the line is full, {@link #receive} blocks the host thread until the guest reads:
 * backpressure, never unbounded memory. RXRIS rises when the FIFO fills up to the trigger level chosen by
 * IFLS (1/8 to 7/8 of 32; 1 without the FIFO) and falls when a read takes it below.
 *
 * <p><b>Receive timeout.</b> The real PL011 raises RTRIS when the FIFO is not empty and no character has
 * arrived for 32 bit periods. Here characters arrive in host bursts with no bit clock, so the line counts
 * as idle the moment a burst has been moved wholly into the FIFO: RTRIS rises then if the FIFO is not
 * empty, whatever its level, which is immediately after a keystroke. It falls when the FIFO becomes
 * empty or through UARTICR, and rises again only with the next arrival. Linux unmasks RXIM and RTIM and
 * reads until RXFE, so a single typed character reaches it at once and a paste in FIFO-sized gulps.
 *
 * <p>Not modelled, as in QEMU: baud rate and frame timing (IBRD, FBRD, LCR_H are stored only), DMA,
 * IrDA, hardware flow control, parity/framing errors, and the modem and error interrupts (RAZ). A break
 * from the host ({@link #receiveBreak}) arrives as a NUL character with UARTDR.BE set. Loopback (CR.LBE)
 * feeds transmitted bytes to the receiver (they still reach the host, as in QEMU), holds host input on
 * the line meanwhile, and shows CR's modem outputs in FR's modem inputs.
 */
public final class Pl011 extends PrimeCell implements ConsoleInput {
    public static final int DR = 0x00, RSR = 0x04, FR = 0x18, ILPR = 0x20, IBRD = 0x24, FBRD = 0x28, LCR_H = 0x2c,
            CR = 0x30, IFLS = 0x34, IMSC = 0x38, RIS = 0x3c, MIS = 0x40, ICR = 0x44, DMACR = 0x48;

    public static final int FR_CTS = 1, FR_DSR = 1 << 1, FR_DCD = 1 << 2, FR_BUSY = 1 << 3, FR_RXFE = 1 << 4,
            FR_TXFF = 1 << 5, FR_RXFF = 1 << 6, FR_TXFE = 1 << 7, FR_RI = 1 << 8;
    /** Interrupt bits of IMSC, RIS, MIS and ICR. */
    static final int INT_RX = 1 << 4, INT_TX = 1 << 5, INT_RT = 1 << 6, INT_OE = 1 << 10, INT_ALL = 0x7ff;
    /** Error bits of a received character in UARTDR; UARTRSR has them shifted down by 8. */
    static final int DR_FE = 1 << 8, DR_PE = 1 << 9, DR_BE = 1 << 10, DR_OE = 1 << 11;
    static final int LCR_H_FEN = 1 << 4;
    public static final int CR_UARTEN = 1, CR_LBE = 1 << 7, CR_TXE = 1 << 8, CR_RXE = 1 << 9, CR_DTR = 1 << 10,
            CR_RTS = 1 << 11, CR_OUT1 = 1 << 12, CR_OUT2 = 1 << 13;
    /** CR without its reserved bits 6:3. */
    private static final int CR_MASK = 0xff87;

    public static final int CR_RESET = CR_RXE | CR_TXE, IFLS_RESET = 0x12;
    public static final int FIFO_DEPTH = 32;
    /** How many characters of host input may wait on the line before {@link #receive} blocks. */
    public static final int DEFAULT_LINE_CAPACITY = 4096;
    /** Receive trigger levels of IFLS.RXIFLSEL for a 32-entry FIFO; the reserved codes act as 7/8. */
    private static final int[] RX_TRIGGER = {4, 8, 16, 24, 28, 28, 28, 28};

    private final OutputStream out;
    private final InterruptLine irq;
    private final Condition lineSpace = lock.newCondition();

    private final int[] fifo = new int[FIFO_DEPTH];
    private int fifoHead, fifoCount;
    private final int[] line;
    private int lineHead, lineCount;

    private int rsr, ilpr, ibrd, fbrd, lcrH, cr, ifls, imsc, ris, dmacr;
    private boolean level;

    /** A PL011 transmitting to {@code out} and raising UARTINTR (RIS &amp; IMSC, combined) on {@code irq}. */
    public Pl011(OutputStream out, InterruptLine irq) {
        this(out, irq, DEFAULT_LINE_CAPACITY);
    }

    public Pl011(OutputStream out, InterruptLine irq, int lineCapacity) {
        super(0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1);
        if (lineCapacity < 1) throw new IllegalArgumentException("line capacity " + lineCapacity);
        this.out = Objects.requireNonNull(out);
        this.irq = Objects.requireNonNull(irq);
        this.line = new int[lineCapacity];
        resetRegisters();
    }

    /** Power-on reset of the registers and FIFO. Host input still on the line stays there. */
    public void reset() {
        lock.lock();
        try {
            resetRegisters();
            update();
        } finally {
            lock.unlock();
        }
    }

    private void resetRegisters() {
        rsr = ilpr = ibrd = fbrd = lcrH = imsc = ris = dmacr = 0;
        cr = CR_RESET;
        ifls = IFLS_RESET;
        fifoHead = fifoCount = 0;
    }

    // ---- snapshots ----

    /**
     * Writes the registers and the receive FIFO's characters, oldest first (the transmit FIFO is always
     * empty: see the class comment), as QEMU's pl011 VMState. Host input still on the line is not the
     * guest's yet and is not saved, as QEMU's character backend keeps what it has not delivered: a restored
     * UART takes its input from the host it runs on.
     */
    public void saveState(StateWriter w) {
        lock.lock();
        try {
            w.tag("pl011");
            w.putInt(rsr).putInt(ilpr).putInt(ibrd).putInt(fbrd).putInt(lcrH).putInt(cr).putInt(ifls).putInt(imsc)
                    .putInt(ris).putInt(dmacr);
            int[] rx = new int[fifoCount];
            for (int i = 0; i < fifoCount; i++) rx[i] = fifo[(fifoHead + i) % FIFO_DEPTH];
            w.putInts(rx);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Restores what {@link #saveState} wrote into a freshly built UART, refusing values the registers'
     * write masks never let through, then drives UARTINTR to the level the state gives.
     */
    public void restoreState(StateReader r) {
        lock.lock();
        try {
            r.tag("pl011");
            rsr = field(r, 0xf, "UARTRSR");
            ilpr = field(r, 0xff, "UARTILPR");
            ibrd = field(r, 0xffff, "UARTIBRD");
            fbrd = field(r, 0x3f, "UARTFBRD");
            lcrH = field(r, 0xff, "UARTLCR_H");
            cr = field(r, CR_MASK, "UARTCR");
            ifls = field(r, 0x3f, "UARTIFLS");
            imsc = field(r, INT_ALL, "UARTIMSC");
            ris = field(r, INT_RX | INT_TX | INT_RT, "UARTRIS");
            dmacr = field(r, 7, "UARTDMACR");
            int[] rx = r.getInts(depth());
            for (int c : rx) if ((c & ~(0xff | DR_BE)) != 0) throw new StateException("PL011: a received character with error bits 0x" + Integer.toHexString(c >> 8));
            System.arraycopy(rx, 0, fifo, 0, rx.length);
            fifoHead = 0;
            fifoCount = rx.length;
            fill(); // what this host typed before the restore, if the receiver has room for it
            irq.set(level = (ris & imsc) != 0);
        } finally {
            lock.unlock();
        }
    }

    /** A register value, which must have no bit outside {@code mask}. */
    private static int field(StateReader r, int mask, String name) {
        int v = r.getInt();
        if ((v & ~mask) != 0) throw new StateException("PL011: " + name + " has bits no write sets: 0x" + Integer.toHexString(v));
        return v;
    }

    // ---- host side ----

    /** Delivers one byte typed on the host; blocks while the line is full. */
    public void receive(int b) throws InterruptedException {
        receive(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void receive(byte[] bytes, int offset, int length) throws InterruptedException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        lock.lockInterruptibly();
        try {
            int i = 0;
            while (true) {
                while (i < length && lineCount < line.length) enqueue(bytes[offset + i++] & 0xff);
                if (i == length) break;
                moveToFifo(); // mid-burst: the line is not idle, so no receive timeout yet
                update();
                if (lineCount == line.length) lineSpace.await();
            }
            fill();
            update();
        } finally {
            lock.unlock();
        }
    }

    /** Host input without waiting: puts on the line what fits and returns how many bytes that was. */
    public int offer(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        lock.lock();
        try {
            int n = 0;
            while (n < length && lineCount < line.length) enqueue(bytes[offset + n++] & 0xff);
            fill();
            update();
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void receiveBreak() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (lineCount == line.length) lineSpace.await();
            enqueue(DR_BE);
            fill();
            update();
        } finally {
            lock.unlock();
        }
    }

    /** Host input held by the UART: on the line plus in the FIFO (for tests of the bound). */
    int bufferedInput() {
        lock.lock();
        try {
            return lineCount + fifoCount;
        } finally {
            lock.unlock();
        }
    }

    private void enqueue(int c) {
        line[(lineHead + lineCount) % line.length] = c;
        lineCount++;
    }

    // ---- receiver ----

    private boolean receiving() {
        return (cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE) && (cr & CR_LBE) == 0;
    }

    private int depth() { return (lcrH & LCR_H_FEN) != 0 ? FIFO_DEPTH : 1; }

    private int rxTrigger() { return (lcrH & LCR_H_FEN) != 0 ? RX_TRIGGER[(ifls >> 3) & 7] : 1; }

    /** Moves characters from the line into the FIFO while there is room; true if any moved. */
    private boolean moveToFifo() {
        if (!receiving() || lineCount == 0 || fifoCount == depth()) return false;
        while (lineCount > 0 && fifoCount < depth()) {
            push(line[lineHead]);
            lineHead = (lineHead + 1) % line.length;
            lineCount--;
        }
        lineSpace.signalAll();
        return true;
    }

    /** Moves what fits into the FIFO; if that empties the line, it is idle: the receive timeout expires. */
    private void fill() {
        if (moveToFifo() && lineCount == 0) ris |= INT_RT;
    }

    private void push(int c) {
        fifo[(fifoHead + fifoCount) % FIFO_DEPTH] = c;
        fifoCount++;
        if (fifoCount == rxTrigger()) ris |= INT_RX;
    }

    private int readData() {
        if (fifoCount == 0) return 0;
        int c = fifo[fifoHead];
        fifoHead = (fifoHead + 1) % FIFO_DEPTH;
        fifoCount--;
        rsr = c >> 8;
        if (fifoCount < rxTrigger()) ris &= ~INT_RX;
        if (fifoCount == 0) ris &= ~INT_RT;
        fill();
        update();
        return c;
    }

    // ---- transmitter ----

    private void writeData(int b) {
        try {
            out.write(b);
            out.flush();
        } catch (IOException e) {
            // the host's side of the line is gone: the byte is lost, as on a disconnected cable
        }
        ris |= INT_TX;
        if ((cr & CR_LBE) != 0) {
            if (fifoCount < depth()) {
                push(b);
                ris |= INT_RT;
            } else {
                rsr |= DR_OE >> 8;
            }
        }
        update();
    }

    private int flags() {
        int fr = FR_TXFE;
        if (fifoCount == 0) fr |= FR_RXFE;
        if (fifoCount == depth()) fr |= FR_RXFF;
        if ((cr & CR_LBE) != 0) {
            if ((cr & CR_RTS) != 0) fr |= FR_CTS;
            if ((cr & CR_DTR) != 0) fr |= FR_DSR;
            if ((cr & CR_OUT1) != 0) fr |= FR_DCD;
            if ((cr & CR_OUT2) != 0) fr |= FR_RI;
        }
        return fr;
    }

    private void update() {
        boolean l = (ris & imsc) != 0;
        if (l != level) {
            level = l;
            irq.set(l);
        }
    }

    // ---- registers ----

    @Override
    int readRegister(int offset) {
        return switch (offset) {
            case DR -> readData();
            case RSR -> rsr;
            case FR -> flags();
            case ILPR -> ilpr;
            case IBRD -> ibrd;
            case FBRD -> fbrd;
            case LCR_H -> lcrH;
            case CR -> cr;
            case IFLS -> ifls;
            case IMSC -> imsc;
            case RIS -> ris;
            case MIS -> ris & imsc;
            case DMACR -> dmacr;
            default -> 0; // ICR is write-only; reserved and test registers read as zero
        };
    }

    @Override
    void writeRegister(int offset, int value) {
        switch (offset) {
            case DR -> writeData(value & 0xff);
            case RSR -> rsr = 0; // UARTECR: any write clears the error status
            case ILPR -> ilpr = value & 0xff;
            case IBRD -> ibrd = value & 0xffff;
            case FBRD -> fbrd = value & 0x3f;
            case LCR_H -> writeLineControl(value & 0xff);
            case CR -> {
                cr = value & CR_MASK;
                fill(); // receiving may just have been enabled
                update();
            }
            case IFLS -> ifls = value & 0x3f;
            case IMSC -> {
                imsc = value & INT_ALL;
                update();
            }
            case ICR -> {
                ris &= ~value;
                update();
            }
            case DMACR -> dmacr = value & 7;
            default -> { } // FR, RIS, MIS are read-only; reserved registers ignore writes
        }
    }

    private void writeLineControl(int value) {
        if (((lcrH ^ value) & LCR_H_FEN) != 0) {
            // switching between FIFO and holding register empties it (as QEMU does)
            fifoHead = fifoCount = 0;
            ris &= ~(INT_RX | INT_RT);
        }
        lcrH = value;
        fill();
        update();
    }
}
