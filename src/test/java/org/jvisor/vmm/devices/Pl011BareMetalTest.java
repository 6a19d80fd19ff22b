package org.jvisor.vmm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.BareMetalMachine;
import org.junit.jupiter.api.Test;

/**
 * A bare-metal program (src/test/resources/baremetal/pl011echo.S) that reads the PL011's identification
 * and reset registers and echoes the characters it receives, run on QEMU's virt board with the input on
 * the serial port's stdin, and on jvisor's processor with this Pl011 at 0x09000000: same output.
 */
class Pl011BareMetalTest {
    static final List<String> LD_ARGS = List.of("-Ttext=0x40200000", "-Tdata=0x40400000",
            "--section-start=.el0data=0x40600000", "-e", "_start");
    static final byte[] INPUT = {'H', 'i', ' ', 0x01, (byte) 0xff, 0x00, '\r', '\n', 'z', '.'};

    @Test
    void echoMatchesQemu() throws Exception {
        var url = getClass().getResource("/baremetal/pl011echo.S");
        Path elf = Asm.linkElf(Path.of(url.toURI()), LD_ARGS);
        String expected = runQemu(elf, INPUT);
        assertTrue(expected.contains("echoed 000000000000000a"), "QEMU's run:\n" + expected);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Pl011 uart = new Pl011(out, level -> {});
        uart.receive(INPUT, 0, INPUT.length); // waits on the line until the program enables the UART
        BareMetalMachine m = new BareMetalMachine(uart).loadElf(elf);
        BareMetalMachine.Outcome o = m.run(50_000_000);
        String actual = out.toString(StandardCharsets.ISO_8859_1);
        assertTrue(o.poweredOff(), () -> o.why() + "\n" + actual + "\n" + m.dump());
        assertEquals(expected, actual);
    }

    static String runQemu(Path elf, byte[] input) throws IOException, InterruptedException {
        Path in = Files.createTempFile("pl011echo", ".in");
        try {
            Files.write(in, input);
            return org.jvisor.cpu.QemuVirt.run(elf, "virt", 1, in);
        } finally {
            Files.deleteIfExists(in);
        }
    }
}
