package org.jvisor.vmm;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * The board's configuration as a snapshot keeps it: a snapshot is restored on a board built as the one that
 * was saved (same RAM, vCPUs, GIC and devices in the same order), whatever the command line says now.
 */
final class SavedBoardConfig {
    private SavedBoardConfig() {}

    static void write(BoardConfig c, StateWriter w) {
        w.tag("board");
        w.putLong(c.ramSize()).putInt(c.cpus()).putInt(c.gicVersion()).putBoolean(c.hideSeek());
        w.putInt(c.drives().size());
        for (BoardConfig.Drive d : c.drives()) w.putString(d.file().toString()).putBoolean(d.readOnly());
        w.putString(c.kernel() == null ? null : c.kernel().toString());
        w.putString(c.initrd() == null ? null : c.initrd().toString());
        w.putString(c.bootargs()).putBoolean(c.instructionClock()).putBoolean(c.virtioRng()).putBoolean(c.virtioConsole());
        w.putLong(c.rtcOffset().getSeconds()).putInt(c.rtcOffset().getNano());
        w.putBoolean(c.rtcStart() != null);
        if (c.rtcStart() != null) w.putLong(c.rtcStart().getEpochSecond()).putInt(c.rtcStart().getNano());
        w.putBoolean(c.virtualization()).putBoolean(c.trapAndEmulate());
    }

    static BoardConfig read(StateReader r) {
        r.tag("board");
        long ram = r.getLong();
        if (ram < BoardConfig.MIN_RAM || ram > BoardConfig.MAX_RAM || (ram & 0xfff) != 0) throw new StateException("bad RAM size " + ram);
        int cpus = r.getInt(1, BoardConfig.MAX_CPUS, "vCPU count");
        int gic = r.getInt(2, 3, "GIC version");
        boolean hideSeek = r.getBoolean();
        int n = r.getInt(0, 16, "disk count");
        List<BoardConfig.Drive> drives = new ArrayList<>();
        for (int i = 0; i < n; i++) drives.add(new BoardConfig.Drive(path(r.getString(4096)), r.getBoolean()));
        Path kernel = path(r.getString(4096)), initrd = path(r.getString(4096));
        String bootargs = r.getString(1 << 16);
        boolean instructionClock = r.getBoolean(), rng = r.getBoolean(), console = r.getBoolean();
        Duration rtcOffset = Duration.ofSeconds(r.getLong(), r.getInt(0, 999_999_999, "RTC offset"));
        Instant rtcStart = r.getBoolean() ? Instant.ofEpochSecond(r.getLong(), r.getInt(0, 999_999_999, "RTC start")) : null;
        boolean virtualization = r.getBoolean(), trapAndEmulate = r.getBoolean();
        try {
            return new BoardConfig(ram, cpus, gic, hideSeek, drives, kernel, initrd, bootargs, instructionClock, rng, console,
                    rtcOffset, rtcStart, virtualization, trapAndEmulate);
        } catch (IllegalArgumentException e) {
            throw new StateException("bad board configuration: " + e.getMessage());
        }
    }

    /** How machine {@code saved} differs from {@code current} in what its snapshot's state depends on; null if it does not. */
    static String difference(BoardConfig saved, BoardConfig current) {
        if (saved.ramSize() != current.ramSize()) return "RAM " + (saved.ramSize() >> 20) + " MiB, here " + (current.ramSize() >> 20);
        if (saved.cpus() != current.cpus()) return saved.cpus() + " vCPUs, here " + current.cpus();
        if (saved.gicVersion() != current.gicVersion()) return "GICv" + saved.gicVersion() + ", here GICv" + current.gicVersion();
        if (saved.hideSeek() != current.hideSeek()) return "hide-seek " + onOff(saved.hideSeek()) + ", here " + onOff(current.hideSeek());
        if (!saved.drives().equals(current.drives())) return "disks " + saved.drives() + ", here " + current.drives();
        if (saved.virtioRng() != current.virtioRng() || saved.virtioConsole() != current.virtioConsole()) return "other virtio devices";
        if (saved.virtualization() != current.virtualization()) return "virtualization " + onOff(saved.virtualization());
        if (saved.trapAndEmulate() != current.trapAndEmulate()) return "trap-and-emulate " + onOff(saved.trapAndEmulate());
        if (saved.instructionClock() != current.instructionClock()) return "--clock " + (saved.instructionClock() ? "instructions" : "host");
        return null;
    }

    private static String onOff(boolean b) { return b ? "on" : "off"; }

    private static Path path(String s) {
        if (s == null) return null;
        try {
            return Path.of(s);
        } catch (java.nio.file.InvalidPathException e) {
            throw new StateException("bad path in the board configuration");
        }
    }
}
