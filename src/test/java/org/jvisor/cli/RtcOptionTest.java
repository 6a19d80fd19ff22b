package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/**
 * -rtc base=utc|localtime|DATE: what a guest reads from the PL031 (RTCDR, seconds) under jvisor and under
 * qemu-system-aarch64, both started with TZ set, against the host's clock and the zone's offset as
 * date(1) gives it. Readings are bounded by host times taken before and after each run, so a slow start
 * cannot make them flaky. The zones have no daylight saving time, and offsets that are not whole hours.
 */
@NeedsCross
@NeedsQemu
class RtcOptionTest {
    /** Prints RTCDR in hex, powers off. */
    static final String READ_RTC = """
            movz x1, #0x0901, lsl #16
            ldr w0, [x1]
        """ + QemuOptionsTest.PRINT_W0_AND_POWER_OFF;

    /** The zone's offset from UTC in seconds now, from date(1) (glibc's reading of the system's tzdata). */
    static long zoneOffset(String zone) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("date", "+%z");
        pb.environment().put("TZ", zone);
        Process p = pb.start();
        String z = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        int sign = z.charAt(0) == '-' ? -1 : 1;
        return sign * (Long.parseLong(z.substring(1, 3)) * 3600 + Long.parseLong(z.substring(3, 5)) * 60);
    }

    /** The guest's reading, by jvisor or QEMU, with TZ=zone and -rtc rtc, between host seconds [from, to] (returned as {value, from, to}). */
    static long[] read(boolean qemu, Path kernel, String zone, String rtc) throws Exception {
        String[] options = {"-nodefaults", "-display", "none", "-serial", "stdio", "-rtc", rtc};
        long from = Instant.now().getEpochSecond();
        RunCommandTest.Result r = Processes.run(qemu ? Processes.qemu(kernel, options) : Processes.jvisor(kernel, options), Map.of("TZ", zone), null);
        long to = Instant.now().getEpochSecond() + 1;
        assertEquals(0, r.status(), r.err());
        return new long[] {Long.parseLong(r.out().strip(), 16), from, to};
    }

    static void assertWithin(long[] reading, long shift, String what) {
        assertTrue(reading[1] + shift <= reading[0] && reading[0] <= reading[2] + shift,
                what + ": " + reading[0] + " not in [" + (reading[1] + shift) + ", " + (reading[2] + shift) + "]");
    }

    @Test
    void localtimeAddsTheZonesOffsetAsInQemu(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("rtc.bin"), Asm.assemble(READ_RTC, 0x4008_0000L));
        for (String zone : List.of("Asia/Kolkata", "Pacific/Marquesas")) {
            long offset = zoneOffset(zone);
            assertTrue(offset % 3600 != 0, zone + ": " + offset);
            assertWithin(read(false, kernel, zone, "base=utc"), 0, "jvisor utc in " + zone);
            assertWithin(read(false, kernel, zone, "base=localtime"), offset, "jvisor localtime in " + zone);
            assertWithin(read(true, kernel, zone, "base=localtime"), offset, "QEMU localtime in " + zone);
        }
    }

    @Test
    void aDateIsWhereTheClockStartsAsInQemu(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("rtc.bin"), Asm.assemble(READ_RTC, 0x4008_0000L));
        for (String date : List.of("2006-06-17T16:01:21", "2006-06-17")) {
            long start = LocalDateTime.parse(date.contains("T") ? date : date + "T00:00:00").toEpochSecond(ZoneOffset.UTC);
            for (boolean qemu : List.of(true, false)) {
                long[] r = read(qemu, kernel, "Asia/Kolkata", "base=" + date);
                assertTrue(start <= r[0] && r[0] <= start + (r[2] - r[1]), (qemu ? "QEMU " : "jvisor ") + date + ": " + r[0] + " from " + start);
            }
        }
    }

    /**
     * QEMU's clock=vm: the RTC starts at the base and runs with the machine's clock, not the host's. A few
     * instructions after reset it still shows the base's second exactly, in QEMU and in jvisor, and in jvisor
     * with the instruction clock too (the run then depends on nothing the host does).
     */
    @Test
    void clockVmStartsAtTheBaseAsInQemu(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("rtc.bin"), Asm.assemble(READ_RTC, 0x4008_0000L));
        long base = Instant.parse("2020-02-02T20:20:20Z").getEpochSecond();
        String spec = "base=2020-02-02T20:20:20,clock=vm";
        assertEquals(base, read(true, kernel, "UTC", spec)[0], "QEMU");
        assertEquals(base, read(false, kernel, "UTC", spec)[0], "jvisor");
        RunCommandTest.Result r = RunCommandTest.run("run", "-kernel", kernel.toString(), "-m", "64M", "-nodefaults",
                "-serial", "stdio", "--clock", "instructions", "-rtc", spec);
        assertEquals(0, r.status(), r.err());
        assertEquals(base, Long.parseLong(r.out().strip(), 16), "jvisor, instruction clock");
    }

    @Test
    void badBasesGetOneClearLine(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        String[][] cases = {
            {"base is utc, localtime or a date", "base=yesterday"},
            {"from 1970 to 2106", "base=1960-01-01"},
            {"clock is host or vm", "clock=rt"},
            {"unknown property 'driftfix'", "base=utc,driftfix=slew"},
        };
        for (String[] c : cases) {
            RunCommandTest.Result r = RunCommandTest.run("run", "-kernel", kernel.toString(), "-m", "64M", "-rtc", c[1]);
            QemuOptionsTest.assertOneLine(r, c[0]);
        }
    }
}
