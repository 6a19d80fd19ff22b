package org.jvisor.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Linux kernel modules as depmod sees them: each {@code .ko} names its hard dependencies and its soft
 * "pre:" dependencies in its {@code .modinfo} ELF section ({@code depends=jbd2,mbcache,crc16},
 * {@code softdep=pre: crypto-crc32c}). Debian's kernel packages carry no modules.dep (their postinst runs
 * depmod), so the load order is computed here from that section, as depmod does.
 */
public final class KernelModules {
    private KernelModules() {}

    /** One module's {@code .modinfo}: its name, hard dependencies, soft pre-dependencies and aliases. */
    public record ModInfo(String name, List<String> depends, List<String> softPre, List<String> aliases) {}

    /** The module name the kernel uses for a file: {@code .../virtio-rng.ko.xz} is {@code virtio_rng}. */
    public static String nameOf(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        int ko = base.indexOf(".ko");
        return (ko < 0 ? base : base.substring(0, ko)).replace('-', '_');
    }

    /** True for the file names modules are shipped under ({@code .ko}, {@code .ko.xz}, {@code .ko.gz}, {@code .ko.zst}). */
    public static boolean isModule(String path) {
        return path.endsWith(".ko") || path.endsWith(".ko.xz") || path.endsWith(".ko.gz") || path.endsWith(".ko.zst");
    }

    /**
     * Parses the {@code .modinfo} section of a 64-bit little-endian ELF relocatable (an uncompressed .ko).
     * Throws {@link IllegalArgumentException} when the bytes are not such a file or have no .modinfo.
     */
    public static ModInfo modinfo(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || b.getInt(0) != 0x464C457F || elf[4] != 2 || elf[5] != 1) {
            throw new IllegalArgumentException("not a 64-bit little-endian ELF file");
        }
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3A));
        int shnum = Short.toUnsignedInt(b.getShort(0x3C));
        int shstrndx = Short.toUnsignedInt(b.getShort(0x3E));
        if (shentsize < 64 || shstrndx >= shnum || shoff < 0 || shoff + (long) shnum * shentsize > elf.length) {
            throw new IllegalArgumentException("bad ELF section header table");
        }
        long[] names = section(b, shoff + (long) shstrndx * shentsize);
        for (int i = 0; i < shnum; i++) {
            long hdr = shoff + (long) i * shentsize;
            long nameOff = names[0] + Integer.toUnsignedLong(b.getInt((int) hdr));
            if (".modinfo".equals(cString(elf, nameOff, names[0] + names[1]))) {
                long[] s = section(b, hdr);
                return parseModinfo(new String(elf, (int) s[0], (int) s[1], StandardCharsets.UTF_8));
            }
        }
        throw new IllegalArgumentException("no .modinfo section");
    }

    /** {offset, size} of the section whose header is at {@code hdr}, checked to lie inside the file. */
    private static long[] section(ByteBuffer b, long hdr) {
        long off = b.getLong((int) hdr + 0x18), size = b.getLong((int) hdr + 0x20);
        if (off < 0 || size < 0 || off + size > b.capacity()) throw new IllegalArgumentException("ELF section outside the file");
        return new long[] {off, size};
    }

    private static String cString(byte[] elf, long from, long limit) {
        int end = (int) from;
        while (end < limit && end < elf.length && elf[end] != 0) end++;
        return from >= end ? "" : new String(elf, (int) from, end - (int) from, StandardCharsets.UTF_8);
    }

    static ModInfo parseModinfo(String section) {
        String name = null;
        List<String> depends = new ArrayList<>(), softPre = new ArrayList<>(), aliases = new ArrayList<>();
        for (String kv : section.split("\0")) {
            int eq = kv.indexOf('=');
            if (eq < 0) continue;
            String key = kv.substring(0, eq), value = kv.substring(eq + 1).strip();
            switch (key) {
                case "name" -> name = value;
                case "depends" -> { for (String d : value.split(",")) if (!d.isBlank()) depends.add(d.strip()); }
                case "alias" -> aliases.add(value);
                case "softdep" -> softPre.addAll(softPre(value));
                default -> {}
            }
        }
        if (name == null) throw new IllegalArgumentException("no name= in .modinfo");
        return new ModInfo(name, List.copyOf(depends), List.copyOf(softPre), List.copyOf(aliases));
    }

    /** The modules after "pre:" in a softdep value ("pre: a b post: c" gives a, b). */
    private static List<String> softPre(String value) {
        List<String> out = new ArrayList<>();
        boolean pre = false;
        for (String w : value.split("\\s+")) {
            if (w.endsWith(":")) pre = w.equals("pre:");
            else if (pre && !w.isEmpty()) out.add(w);
        }
        return out;
    }

    /**
     * The modules to load, dependencies first, for {@code roots}. {@code modules} is every module of the
     * kernel by name. A hard dependency that is missing is an error; a soft one is skipped (it may be built
     * in), and a soft dependency may name an alias ({@code crypto-crc32c}).
     */
    public static List<String> loadOrder(List<String> roots, Map<String, ModInfo> modules) {
        Map<String, String> byAlias = new HashMap<>();
        for (ModInfo m : modules.values()) for (String a : m.aliases()) byAlias.putIfAbsent(a, m.name());
        Set<String> order = new LinkedHashSet<>();
        Set<String> visiting = new LinkedHashSet<>();
        for (String r : roots) visit(r.replace('-', '_'), modules, byAlias, order, visiting, "the guest");
        return List.copyOf(order);
    }

    private static void visit(String name, Map<String, ModInfo> modules, Map<String, String> byAlias,
                              Set<String> order, Set<String> visiting, String neededBy) {
        if (order.contains(name)) return;
        ModInfo m = modules.get(name);
        if (m == null) throw new IllegalArgumentException("kernel module " + name + " (needed by " + neededBy + ") is not in the kernel package");
        if (!visiting.add(name)) throw new IllegalArgumentException("kernel modules depend on each other in a cycle: " + visiting);
        for (String soft : m.softPre()) {
            String s = modules.containsKey(soft.replace('-', '_')) ? soft.replace('-', '_') : byAlias.get(soft);
            if (s != null && !visiting.contains(s)) visit(s, modules, byAlias, order, visiting, name);
        }
        for (String d : m.depends()) visit(d.replace('-', '_'), modules, byAlias, order, visiting, name);
        visiting.remove(name);
        order.add(name);
    }
}
