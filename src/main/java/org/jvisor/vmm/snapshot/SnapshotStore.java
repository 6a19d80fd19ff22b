package org.jvisor.vmm.snapshot;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where the monitor's {@code savevm NAME} puts its snapshots: one file per name, {@code NAME.jvsnap}, in a
 * directory of the user's data ({@code $JVISOR_SNAPSHOTS}, else {@code $XDG_DATA_HOME/jvisor/snapshots}, else
 * {@code ~/.local/share/jvisor/snapshots}). QEMU keeps them inside the qcow2 disk; jvisor's disks are raw
 * files and its guests often have none, so a snapshot is a file of its own.
 */
public final class SnapshotStore {
    public static final String SUFFIX = ".jvsnap";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Path dir;

    public SnapshotStore(Path dir) {
        this.dir = dir;
    }

    /** The user's store (see the class comment). */
    public static SnapshotStore standard() {
        String env = System.getenv("JVISOR_SNAPSHOTS");
        if (env != null && !env.isEmpty()) return new SnapshotStore(Path.of(env));
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return new SnapshotStore(base.resolve("jvisor").resolve("snapshots"));
    }

    public Path dir() { return dir; }

    /** The file of snapshot {@code name}; an IllegalArgumentException with one line for a name that cannot be one. */
    public Path path(String name) {
        if (!NAME.matcher(name).matches())
            throw new IllegalArgumentException("'" + name + "' is not a snapshot name (letters, digits, '.', '_' and '-', at most 64)");
        return dir.resolve(name + SUFFIX);
    }

    public boolean exists(String name) { return Files.isRegularFile(path(name)); }

    /**
     * One stored snapshot: its name, file, what it stores (bytes), and its header; or, for a file that cannot
     * be read, null and 0 and why in {@code problem}.
     */
    public record Entry(String name, Path file, long storedBytes, SnapshotFile.Header header, String problem) {}

    /** The stored snapshots, oldest first. */
    public List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                String name = file.substring(0, file.length() - SUFFIX.length());
                if (!NAME.matcher(name).matches()) continue;
                try {
                    SnapshotFile s = SnapshotFile.read(f);
                    out.add(new Entry(name, f, s.storedBytes(), s.header(), null));
                } catch (SnapshotException e) {
                    out.add(new Entry(name, f, 0, null, e.getMessage().substring(f.toString().length() + 2)));
                }
            }
        }
        out.sort(Comparator.comparing((Entry e) -> e.header() == null ? java.time.Instant.EPOCH : e.header().created()).thenComparing(Entry::name));
        return out;
    }

    /** Deletes snapshot {@code name}; false if there was none. */
    public boolean delete(String name) throws IOException { return Files.deleteIfExists(path(name)); }
}
