package org.jvisor.cpu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Just enough of QEMU's virt board to run a bare-metal ELF: 128 MiB of RAM at 0x40000000, a PL011 whose
 * data register prints a byte and whose flag register reads 0 (never busy), the ELF's PT_LOAD segments
 * copied to their physical addresses and the processor started at EL1 at the entry point. HVC #0 with
 * x0 = PSCI SYSTEM_OFF is the power switch. (The real board comes later; this stays small.)
 */
public final class BareMetalMachine {
    public static final long RAM_BASE = 0x4000_0000L, RAM_SIZE = 128L << 20;
    public static final long UART_BASE = 0x0900_0000L;
    public static final long PSCI_SYSTEM_OFF = 0x8400_0008L;

    public final PhysicalBus bus = new PhysicalBus();
    public final Cpu cpu;
    public final ByteArrayOutputStream uart = new ByteArrayOutputStream();

    public BareMetalMachine() {
        this(null);
    }

    /** With {@code uartDevice} (a full UART model, such as the vmm's PL011) at UART_BASE instead of the print-only one. */
    public BareMetalMachine(MmioHandler uartDevice) {
        bus.addRam(RAM_BASE, Ram.allocate(RAM_SIZE));
        bus.addMmio(UART_BASE, 0x1000, uartDevice != null ? uartDevice : new MmioHandler() {
            @Override
            public long read(long offset, int size) {
                return 0; // UARTFR = 0: transmit FIFO never full; other registers read as 0
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0) uart.write((int) value & 0xff);
            }
        });
        cpu = new Cpu(bus);
    }

    /** Loads the ELF's PT_LOAD segments at their physical addresses and points the PC at its entry. */
    public BareMetalMachine loadElf(Path elf) {
        byte[] f;
        try {
            f = Files.readAllBytes(elf);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x464c457f || f[4] != 2 || b.getShort(18) != 183) throw new IllegalArgumentException("not an AArch64 ELF64: " + elf);
        long phoff = b.getLong(0x20);
        int phentsize = b.getShort(0x36) & 0xffff, phnum = b.getShort(0x38) & 0xffff;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) phoff + i * phentsize;
            if (b.getInt(ph) != 1) continue; // PT_LOAD
            long offset = b.getLong(ph + 0x08), paddr = b.getLong(ph + 0x18), filesz = b.getLong(ph + 0x20);
            byte[] seg = java.util.Arrays.copyOfRange(f, (int) offset, (int) (offset + filesz));
            bus.writeBytes(paddr, seg); // RAM starts zeroed, so .bss needs nothing
        }
        cpu.pc = b.getLong(0x18);
        return this;
    }

    /** How a run ended. */
    public record Outcome(boolean poweredOff, ExitReason exit, String why) {}

    /** Runs until the guest powers off, takes any other exit, or exceeds {@code budget} instructions. */
    public Outcome run(long budget) {
        long end = cpu.instret + budget;
        while (cpu.instret < end) {
            long before = cpu.instret;
            ExitReason r = cpu.run(Math.min(end - cpu.instret, 100_000));
            if (r == ExitReason.BUDGET && cpu.instret == before) return new Outcome(false, r, "stuck taking exceptions at pc=0x" + Long.toHexString(cpu.pc));
            if (r == ExitReason.BUDGET) continue;
            long esr = cpu.sr.esr[2];
            if (r == ExitReason.EL2_TRAP && (esr >>> 26) == Esr.EC_HVC64 && cpu.x[0] == PSCI_SYSTEM_OFF) return new Outcome(true, r, "SYSTEM_OFF");
            return new Outcome(false, r, r + " ESR_EL2=0x" + Long.toHexString(esr));
        }
        return new Outcome(false, ExitReason.BUDGET, "no power-off after " + budget + " instructions");
    }

    public String output() { return uart.toString(java.nio.charset.StandardCharsets.ISO_8859_1); }

    /** Registers and exception state, for failure messages. */
    public String dump() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 31; i++) {
            s.append(String.format("x%-2d=%016x%s", i, cpu.x[i], i % 4 == 3 ? "\n" : "  "));
        }
        s.append(String.format("sp=%016x pc=%016x EL%d nzcv=%x instret=%d%n", cpu.sp, cpu.pc, cpu.currentEl(), cpu.nzcv(), cpu.instret));
        for (int el = 1; el <= 2; el++)
            s.append(String.format("ESR_EL%d=%x ELR_EL%d=%x FAR_EL%d=%x SPSR_EL%d=%x VBAR_EL%d=%x%n", el, cpu.sr.esr[el], el,
                    cpu.sr.elr[el], el, cpu.sr.far[el], el, cpu.sr.spsr[el], el, cpu.sr.vbar[el]));
        s.append(String.format("SCTLR_EL1=%x TCR_EL1=%x TTBR0_EL1=%x MAIR_EL1=%x%n", cpu.sr.sctlr[1], cpu.sr.tcr[1], cpu.sr.ttbr0[1], cpu.sr.mair[1]));
        return s.toString();
    }
}
