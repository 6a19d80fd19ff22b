package org.jvisor.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Assembles A64 source with the cross toolchain (gcc-aarch64-linux-gnu's {@code as} and {@code ld}) at
 * test time, so tests are written in assembly and encoded by a reference assembler, not by jvisor.
 * Results are cached by content under target/asm-cache.
 */
public final class Asm {
    private static final Path CACHE = Path.of("target", "asm-cache");
    private static final String PREFIX = "aarch64-linux-gnu-";

    private Asm() {}

    /** Assembles {@code source} linked at {@code base}; returns the flat binary. */
    public static byte[] assemble(String source, long base) {
        try {
            String key = sha(base + "\n" + source);
            Path out = CACHE.resolve(key + ".bin");
            if (Files.exists(out)) return Files.readAllBytes(out);
            Files.createDirectories(CACHE);
            Path dir = Files.createTempDirectory(CACHE, "asm");
            Path s = dir.resolve("t.s"), o = dir.resolve("t.o"), elf = dir.resolve("t.elf"), bin = dir.resolve("t.bin");
            Files.writeString(s, ".text\n.global _start\n_start:\n" + source + "\n");
            run(List.of(PREFIX + "as", "-march=armv8.1-a+crc", "-o", o.toString(), s.toString()));
            run(List.of(PREFIX + "ld", "-N", "-Ttext=0x" + Long.toHexString(base), "-e", "_start", "-o", elf.toString(), o.toString()));
            run(List.of(PREFIX + "objcopy", "-O", "binary", elf.toString(), bin.toString()));
            byte[] b = Files.readAllBytes(bin);
            Files.move(bin, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            for (Path p : List.of(s, o, elf)) Files.deleteIfExists(p);
            Files.deleteIfExists(dir);
            return b;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("assembling failed: " + e.getMessage(), e);
        }
    }

    /**
     * Assembles the source file {@code source} (with {@code .include} files looked up beside it) and
     * links it into an ELF executable with the extra {@code ld} arguments (section addresses, entry).
     * Returns the cached ELF's path.
     */
    public static Path linkElf(Path source, List<String> ldArgs) {
        try {
            Path dirOfSource = source.toAbsolutePath().getParent();
            StringBuilder key = new StringBuilder(String.join(" ", ldArgs)).append('\n').append(Files.readString(source));
            try (var includes = Files.list(dirOfSource)) {
                for (Path inc : includes.filter(f -> f.toString().endsWith(".inc")).sorted().toList())
                    key.append('\n').append(Files.readString(inc));
            }
            Path out = CACHE.resolve(sha(key.toString()) + ".elf");
            if (Files.exists(out)) return out;
            Files.createDirectories(CACHE);
            Path dir = Files.createTempDirectory(CACHE, "elf");
            Path o = dir.resolve("t.o"), elf = dir.resolve("t.elf");
            run(List.of(PREFIX + "as", "-march=armv8.1-a+crc", "-I", dirOfSource.toString(), "-o", o.toString(), source.toString()));
            List<String> ld = new java.util.ArrayList<>(List.of(PREFIX + "ld", "-o", elf.toString()));
            ld.addAll(ldArgs);
            ld.add(o.toString());
            run(ld);
            Files.move(elf, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(o);
            Files.deleteIfExists(dir);
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("assembling " + source + " failed: " + e.getMessage(), e);
        }
    }

    /** The disassembly of an ELF's code, one line per instruction, keyed by address (for diagnostics). */
    public static java.util.Map<Long, String> disassemble(Path elf) {
        java.util.Map<Long, String> m = new java.util.HashMap<>();
        try {
            Process p = new ProcessBuilder(PREFIX + "objdump", "-d", elf.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            for (String line : out.split("\n")) {
                var mt = java.util.regex.Pattern.compile("^\\s*([0-9a-f]+):\\s+[0-9a-f]{8}\\s+(.*)$").matcher(line);
                if (mt.matches()) m.put(Long.parseUnsignedLong(mt.group(1), 16), mt.group(2).trim());
            }
        } catch (IOException | InterruptedException e) {
            // diagnostics only
        }
        return m;
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
    }

    private static String sha(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
