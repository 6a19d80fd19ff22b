package org.jvisor.vmm.debug;

import java.io.IOException;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.jvisor.vmm.BootException;
import org.jvisor.vmm.VirtBoard;
import org.jvisor.vmm.snapshot.SnapshotException;
import org.jvisor.vmm.snapshot.SnapshotFile;
import org.jvisor.vmm.snapshot.SnapshotStore;

/**
 * The monitor's snapshot commands, QEMU's names: {@code savevm NAME}, {@code loadvm NAME}, {@code delvm NAME}
 * and {@code info snapshots}, on a {@link SnapshotStore}. Each returns what to print; a problem is one line.
 */
final class MonitorSnapshots {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneId.systemDefault());

    private final VirtBoard board;
    private final SnapshotStore store;

    MonitorSnapshots(VirtBoard board, SnapshotStore store) {
        this.board = board;
        this.store = store;
    }

    /**
     * Saves the VM under {@code name} (replacing a snapshot of that name); the VM is held meanwhile and runs on
     * as before (a hold, not a pause: another saver's resume, the booted-guest snapshot's, must not let it run).
     */
    String save(String name) throws InterruptedException {
        java.nio.file.Path file;
        try {
            file = store.path(name);
        } catch (IllegalArgumentException e) {
            return "savevm: " + e.getMessage() + "\n";
        }
        board.hold();
        try {
            long t0 = System.nanoTime();
            board.save(file, "savevm " + name);
            SnapshotFile s = SnapshotFile.read(file);
            return String.format(Locale.ROOT, "saved '%s': %s stored, in %d ms (%s)%n", name, size(s.storedBytes()),
                    (System.nanoTime() - t0) / 1_000_000, file);
        } catch (IOException e) {
            return "savevm: cannot write " + file + ": " + e.getMessage() + "\n";
        } catch (SnapshotException | IllegalStateException e) {
            return "savevm: " + e.getMessage() + "\n";
        } finally {
            board.release();
        }
    }

    /** Puts the VM back as snapshot {@code name} saved it; it then runs unless it was stopped. */
    String load(String name) throws InterruptedException {
        SnapshotFile s;
        try {
            if (!store.exists(name)) return "loadvm: no snapshot '" + name + "' (info snapshots lists them)\n";
            s = SnapshotFile.open(store.path(name));
        } catch (IllegalArgumentException | SnapshotException e) {
            return "loadvm: " + e.getMessage() + "\n";
        }
        board.hold();
        try {
            board.load(s);
            return "";
        } catch (BootException e) {
            return "loadvm: " + e.getMessage() + "\n";
        } finally {
            board.release();
        }
    }

    String delete(String name) {
        try {
            return store.delete(name) ? "" : "delvm: no snapshot '" + name + "'\n";
        } catch (IllegalArgumentException e) {
            return "delvm: " + e.getMessage() + "\n";
        } catch (IOException e) {
            return "delvm: " + e.getMessage() + "\n";
        }
    }

    /** QEMU's table, with jvisor's columns: what each snapshot stores, when it was made, and what made it. */
    String list() {
        List<SnapshotStore.Entry> all;
        try {
            all = store.list();
        } catch (IOException e) {
            return "info snapshots: cannot read " + store.dir() + ": " + e.getMessage() + "\n";
        }
        if (all.isEmpty()) return "There is no snapshot available (in " + store.dir() + ").\n";
        StringBuilder b = new StringBuilder("List of snapshots in " + store.dir() + ":\n");
        b.append(String.format(Locale.ROOT, "%-20s %10s  %-19s  %s%n", "TAG", "VM SIZE", "DATE", "DESCRIPTION"));
        for (SnapshotStore.Entry e : all) {
            if (e.header() == null) b.append(String.format(Locale.ROOT, "%-20s %10s  %-19s  %s%n", e.name(), "-", "-", e.problem()));
            else b.append(String.format(Locale.ROOT, "%-20s %10s  %-19s  %s%s%n", e.name(), size(e.storedBytes()),
                    DATE.format(e.header().created()), e.header().description(),
                    e.header().buildId().equals(org.jvisor.vmm.snapshot.BuildId.current()) ? "" : " (another build: cannot be loaded)"));
        }
        return b.toString();
    }

    static String size(long bytes) {
        if (bytes < 1 << 20) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
