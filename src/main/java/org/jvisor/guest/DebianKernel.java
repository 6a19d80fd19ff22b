package org.jvisor.guest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * What the default guest takes from a Debian {@code linux-image-*} package: the kernel Image
 * ({@code boot/vmlinuz-<release>}, on arm64 already a raw Image), its configuration
 * ({@code boot/config-<release>}) and the modules the guest must load itself for jvisor's virtio-mmio devices
 * and for a disk file system, with their dependencies, in load order.
 */
public final class DebianKernel {
    /** A module: its path below {@code lib/modules/<release>/} (always ending in {@code .ko}) and its uncompressed bytes. */
    public record Module(String path, byte[] ko) {}

    /** The parts of a kernel package the guest needs. */
    public record Contents(String release, byte[] image, Map<String, String> config, List<Module> modules) {}

    /** The virtio drivers for the board's devices, by the config symbol that builds each. */
    static final Map<String, String> VIRTIO_DRIVERS = orderedMap(
            "CONFIG_VIRTIO_MMIO", "virtio_mmio",
            "CONFIG_VIRTIO_BLK", "virtio_blk",
            "CONFIG_VIRTIO_CONSOLE", "virtio_console",
            "CONFIG_HW_RANDOM_VIRTIO", "virtio_rng",
            "CONFIG_VIRTIO_NET", "virtio_net");

    /** Disk file systems in order of preference (ext4 first: {@code mke2fs -d} builds one from a directory). */
    static final Map<String, String> FILESYSTEMS = orderedMap(
            "CONFIG_EXT4_FS", "ext4",
            "CONFIG_VFAT_FS", "vfat");

    private static final Pattern MODULE_PATH = Pattern.compile("(?:usr/)?lib/modules/([^/]+)/(.+)");

    private DebianKernel() {}

    /**
     * The modules to load for a kernel with this configuration: each virtio driver built as a module
     * ({@code =m}; built-in ones need nothing), and, unless a preferred file system is built in, the first
     * one built as a module (vfat with the code page and character set it loads at mount).
     */
    public static List<String> rootModules(Map<String, String> config) {
        List<String> roots = new ArrayList<>();
        VIRTIO_DRIVERS.forEach((symbol, module) -> {
            switch (config.getOrDefault(symbol, "n")) {
                case "y" -> {}
                case "m" -> roots.add(module);
                default -> throw new IllegalArgumentException("the kernel has no " + module + " driver (" + symbol + " is not set)");
            }
        });
        if (FILESYSTEMS.keySet().stream().noneMatch(s -> "y".equals(config.get(s)))) {
            String fs = FILESYSTEMS.entrySet().stream().filter(e -> "m".equals(config.get(e.getKey())))
                    .map(Map.Entry::getValue).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("the kernel has neither ext4 nor vfat"));
            roots.add(fs);
            if (fs.equals("vfat")) {
                roots.add("nls_cp" + config.getOrDefault("CONFIG_FAT_DEFAULT_CODEPAGE", "437"));
                roots.add("nls_" + config.getOrDefault("CONFIG_FAT_DEFAULT_IOCHARSET", "iso8859-1").replace('-', '_'));
            }
        }
        return roots;
    }

    /** Parses a kernel .config: {@code CONFIG_X=y}, {@code =m}, {@code ="string"}, numbers; comments skipped. */
    public static Map<String, String> parseConfig(String text) {
        Map<String, String> config = new HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("CONFIG_") && eq > 0) {
                String v = line.substring(eq + 1).strip();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
                config.put(line.substring(0, eq), v);
            }
        }
        return config;
    }

    /**
     * Reads the package. A first pass takes the boot files and every module's .modinfo (to know the
     * dependencies) and keeps the bytes of the root modules; a second pass, when needed, fetches the
     * dependencies that came earlier in the archive than the modules needing them.
     */
    public static Contents read(DebianPackage deb) throws IOException {
        return read(deb, ProgressListener.NONE);
    }

    /** The same, telling {@code progress} how far each pass is. */
    public static Contents read(DebianPackage deb, ProgressListener progress) throws IOException {
        var pass = new Object() {
            String release;
            byte[] vmlinuz;
            Map<String, String> config;
            List<String> roots = List.of();
            final Map<String, KernelModules.ModInfo> info = new HashMap<>();
            final Map<String, String> pathOf = new HashMap<>();
            final Map<String, byte[]> kept = new HashMap<>();
        };
        deb.forEachFile((path, entry, in) -> {
            if (!entry.isFile()) return;
            if (path.startsWith("boot/vmlinuz-")) {
                pass.release = path.substring("boot/vmlinuz-".length());
                pass.vmlinuz = in.readAllBytes();
            } else if (path.startsWith("boot/config-")) {
                pass.config = parseConfig(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                pass.roots = rootModulesOrFail(deb, pass.config);
            } else {
                Matcher m = MODULE_PATH.matcher(path);
                if (m.matches() && KernelModules.isModule(path)) {
                    byte[] ko = uncompressed(deb, path, in);
                    KernelModules.ModInfo info;
                    try {
                        info = KernelModules.modinfo(ko);
                    } catch (IllegalArgumentException e) {
                        throw new GuestImageException(deb.file() + ": " + path + ": " + e.getMessage());
                    }
                    pass.info.put(info.name(), info);
                    pass.pathOf.put(info.name(), m.group(2));
                    if (pass.roots.contains(info.name())) pass.kept.put(info.name(), ko);
                }
            }
        }, progress::percent);
        if (pass.vmlinuz == null) throw new GuestImageException(deb.file() + ": no boot/vmlinuz-* in the package: not a kernel package");
        if (pass.config == null) throw new GuestImageException(deb.file() + ": no boot/config-* in the package");
        byte[] image = rawImage(deb, pass.vmlinuz);
        List<String> order;
        try {
            order = KernelModules.loadOrder(rootModulesOrFail(deb, pass.config), pass.info);
        } catch (IllegalArgumentException e) {
            throw new GuestImageException(deb.file() + ": " + e.getMessage());
        }
        Set<String> missing = new java.util.HashSet<>(order);
        missing.removeAll(pass.kept.keySet());
        if (!missing.isEmpty()) {
            progress.step("unpacking the modules they depend on");
            deb.forEachFile((path, entry, in) -> {
                if (entry.isFile() && KernelModules.isModule(path) && MODULE_PATH.matcher(path).matches()
                        && missing.contains(KernelModules.nameOf(path))) {
                    byte[] ko = uncompressed(deb, path, in);
                    pass.kept.put(KernelModules.modinfo(ko).name(), ko);
                }
            }, progress::percent);
        }
        List<Module> modules = new ArrayList<>();
        for (String name : order) {
            byte[] ko = pass.kept.get(name);
            if (ko == null) throw new GuestImageException(deb.file() + ": module " + name + " vanished between two reads");
            String p = pass.pathOf.get(name);
            modules.add(new Module(p.substring(0, p.indexOf(".ko") + 3), ko));
        }
        return new Contents(pass.release, image, pass.config, List.copyOf(modules));
    }

    private static List<String> rootModulesOrFail(DebianPackage deb, Map<String, String> config) throws GuestImageException {
        try {
            return rootModules(config);
        } catch (IllegalArgumentException e) {
            throw new GuestImageException(deb.file() + ": " + e.getMessage());
        }
    }

    /** Modules are stored as the kernel was configured to (CONFIG_MODULE_COMPRESS_*); the guest gets them plain. */
    private static byte[] uncompressed(DebianPackage deb, String path, InputStream in) throws IOException {
        InputStream shield = new java.io.FilterInputStream(in) {
            @Override public void close() {}
        };
        if (path.endsWith(".ko")) return in.readAllBytes();
        if (path.endsWith(".ko.xz")) return new XZInputStream(shield).readAllBytes();
        if (path.endsWith(".ko.gz")) return new GZIPInputStream(shield).readAllBytes();
        throw new GuestImageException(deb.file() + ": " + path + ": jvisor cannot decompress this module format");
    }

    /** "ARM\x64" at offset 0x38 of an arm64 Image header (Documentation/arch/arm64/booting.rst). */
    public static final int IMAGE_MAGIC = 0x644d5241;

    /** The raw Image: vmlinuz itself on Debian arm64, or gunzip'ed where a vmlinuz is an Image.gz. */
    static byte[] rawImage(DebianPackage deb, byte[] vmlinuz) throws IOException {
        byte[] image = vmlinuz;
        if (vmlinuz.length > 2 && (vmlinuz[0] & 0xff) == 0x1f && (vmlinuz[1] & 0xff) == 0x8b) {
            image = new GZIPInputStream(new ByteArrayInputStream(vmlinuz)).readAllBytes();
        }
        if (!hasImageMagic(image)) {
            throw new GuestImageException(deb.file() + ": boot/vmlinuz-* is not an arm64 Image (no \"ARM\\x64\" magic at 0x38;"
                    + " an EFI zboot kernel is not supported): pass -kernel IMAGE instead");
        }
        return image;
    }

    public static boolean hasImageMagic(byte[] image) {
        return image.length >= 64 && java.nio.ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0x38) == IMAGE_MAGIC;
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }
}
