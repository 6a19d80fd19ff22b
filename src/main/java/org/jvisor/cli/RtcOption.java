package org.jvisor.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * QEMU's {@code -rtc base=utc|localtime|DATE} as what the PL031 adds to the host's UTC time. As in QEMU,
 * localtime is the host zone's offset when jvisor starts (a daylight-saving change during the run does not
 * move it), and a DATE ({@code 2006-06-17T16:01:21} or {@code 2006-06-17}, read as UTC) is where the clock
 * starts, running from there.
 */
final class RtcOption {
    private RtcOption() {}

    static Duration offset(String spec, Instant now, ZoneId zone) {
        Map<String, String> p = QemuStyle.parseKeyValues("-rtc", spec, null, "base", "clock");
        String clock = p.getOrDefault("clock", "host");
        if (!clock.equals("host") && !clock.equals("vm"))
            throw new UserError("-rtc " + spec + ": clock is host or vm");
        String base = p.getOrDefault("base", "utc");
        return switch (base) {
            case "utc" -> Duration.ZERO;
            case "localtime" -> Duration.ofSeconds(zone.getRules().getOffset(now).getTotalSeconds());
            default -> Duration.between(now.truncatedTo(ChronoUnit.SECONDS), date(spec, base));
        };
    }

    private static Instant date(String spec, String base) {
        Instant start;
        try {
            start = base.contains("T") ? LocalDateTime.parse(base).toInstant(ZoneOffset.UTC)
                    : LocalDate.parse(base).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            throw new UserError("-rtc " + spec + ": base is utc, localtime or a date such as 2006-06-17T16:01:21 or 2006-06-17");
        }
        if (start.getEpochSecond() < 0 || start.getEpochSecond() > 0xffff_ffffL)
            throw new UserError("-rtc " + spec + ": the PL031 counts seconds from 1970 to 2106");
        return start;
    }

    /**
     * For {@code clock=vm}, the time the RTC starts at (a DATE base exactly, else now with the base's
     * offset); null for {@code clock=host}, where the RTC follows the host's clock.
     */
    static Instant vmStart(String spec, Instant now, ZoneId zone) {
        Map<String, String> p = QemuStyle.parseKeyValues("-rtc", spec, null, "base", "clock");
        if (!p.getOrDefault("clock", "host").equals("vm")) return null;
        String base = p.getOrDefault("base", "utc");
        if (base.equals("utc") || base.equals("localtime")) return now.truncatedTo(ChronoUnit.SECONDS).plus(offset(spec, now, zone));
        return date(spec, base);
    }
}
