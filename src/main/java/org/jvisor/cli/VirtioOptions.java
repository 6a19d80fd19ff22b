package org.jvisor.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.BootException;
import org.jvisor.vmm.InputFiles;

/**
 * QEMU's {@code -drive}, {@code -device} and {@code -nodefaults} as the virt board's virtio devices. Unlike
 * QEMU's virt board, jvisor's has a virtio entropy device and a virtio console by default; -nodefaults
 * drops them, and {@code -device virtio-rng-device}, {@code -device virtio-serial-device -device virtconsole}
 * put them back, so that a QEMU command line which names its devices gets those and no others. Disks come
 * from {@code -drive if=virtio}, or {@code -drive if=none,id=ID} with {@code -device virtio-blk-device,drive=ID}.
 */
final class VirtioOptions {
    private VirtioOptions() {}

    /**
     * The virtio devices asked for: disks in order (if=virtio drives first), entropy, console, and the
     * {@code -device virtio-net-device,...} values in order (for {@link NetOptions}).
     */
    record Devices(List<BoardConfig.Drive> drives, boolean rng, boolean console, List<String> nics) {}

    /** {@code -device help}: QEMU's lines (its categories, names and buses) for the devices jvisor has. */
    static final String HELP = """
            Storage devices:
            name "virtio-blk-device", bus virtio-bus, desc "disk for a -drive if=none,id=ID (drive=ID)"

            Network devices:
            name "virtio-net-device", bus virtio-bus, desc "NIC on a -netdev (netdev=ID[,mac=MAC][,host_mtu=N])"

            Input devices:
            name "virtconsole", bus virtio-serial-bus, desc "the console port (/dev/hvc0), output to the terminal"
            name "virtio-serial-device", bus virtio-bus, desc "virtio console with one port: add a virtconsole"

            Misc devices:
            name "virtio-rng-device", bus virtio-bus, desc "entropy from the host's SecureRandom"
            """;

    static Devices parse(List<String> driveOptions, List<String> deviceOptions, boolean nodefaults) {
        List<BoardConfig.Drive> disks = new ArrayList<>();
        Map<String, BoardConfig.Drive> unattached = new LinkedHashMap<>(); // if=none drives by id
        Set<String> ids = new HashSet<>();
        for (String spec : driveOptions) {
            Map<String, String> p = QemuStyle.parseKeyValues("-drive", spec, null, "file", "format", "if", "id", "readonly");
            BoardConfig.Drive drive = drive(spec, p);
            String id = p.get("id");
            if (id != null && !ids.add(id)) throw new UserError("-drive " + spec + ": id '" + id + "' is given to two drives");
            switch (p.getOrDefault("if", "virtio")) {
                case "virtio" -> disks.add(drive);
                case "none" -> {
                    if (id == null) throw new UserError("-drive " + spec + ": if=none needs id=ID, for -device virtio-blk-device,drive=ID");
                    unattached.put(id, drive);
                }
                default -> throw new UserError("-drive " + spec + ": if=virtio or if=none (jvisor's disks are virtio-blk devices)");
            }
        }
        boolean rng = false, serial = false, console = false;
        List<String> nics = new ArrayList<>();
        for (String spec : deviceOptions) {
            String driver = spec.split(",", 2)[0];
            switch (driver) {
                case "virtio-blk-device" -> {
                    String id = QemuStyle.parseKeyValues("-device", spec, "driver", "drive", "id").get("drive");
                    if (id == null) throw new UserError("-device " + spec + ": drive=ID is required (the id of a -drive if=none)");
                    BoardConfig.Drive drive = unattached.remove(id);
                    if (drive == null) throw new UserError("-device " + spec + ": no unused -drive if=none,id=" + id);
                    disks.add(drive);
                }
                case "virtio-net-device" -> nics.add(spec);
                case "virtio-rng-device" -> rng = once(spec, rng);
                case "virtio-serial-device" -> serial = once(spec, serial);
                case "virtconsole" -> console = once(spec, console);
                default -> throw new UserError("-device " + driver + ": not a device jvisor has (see -device help)");
            }
        }
        if (console && !serial) throw new UserError("-device virtconsole: needs -device virtio-serial-device, the bus it plugs into");
        if (serial && !console)
            throw new UserError("-device virtio-serial-device: jvisor's has exactly one port, a console: add -device virtconsole");
        return new Devices(disks, rng || !nodefaults, console || !nodefaults, nics);
    }

    /** A device the board has at most one of (no properties but an id); true. */
    private static boolean once(String spec, boolean already) {
        Map<String, String> p = QemuStyle.parseKeyValues("-device", spec, "driver", "id");
        if (already) throw new UserError("-device " + p.get("driver") + ": the board has at most one");
        return true;
    }

    private static BoardConfig.Drive drive(String spec, Map<String, String> p) {
        String file = p.get("file");
        if (file == null || file.isEmpty()) throw new UserError("-drive " + spec + ": file= is required");
        if (!p.getOrDefault("format", "raw").equals("raw")) throw new UserError("-drive " + spec + ": only format=raw is supported");
        boolean readOnly = QemuStyle.parseSwitch("-drive", "readonly", p.getOrDefault("readonly", "off"));
        Path path = Path.of(file);
        try {
            InputFiles.regularFileSize("disk image", path);
        } catch (BootException e) {
            throw new UserError("-drive: " + e.getMessage());
        }
        return new BoardConfig.Drive(path, readOnly);
    }
}
