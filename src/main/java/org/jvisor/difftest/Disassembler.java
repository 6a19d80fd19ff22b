package org.jvisor.difftest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Disassembles words with the GNU cross objdump when it is installed (empty text otherwise). */
final class Disassembler {
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\s+([0-9a-f]{8})\\s+(.*)$");

    private Disassembler() {}

    /** Disassembly of {@code words} placed at {@code base}, one entry per word (blank where objdump is absent). */
    static String[] disassemble(int[] words, long base) {
        String[] out = new String[words.length];
        java.util.Arrays.fill(out, "");
        if (words.length == 0) return out;
        Path f = null;
        try {
            f = Files.createTempFile("jvisor-difftest", ".bin");
            ByteBuffer b = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int w : words) b.putInt(w);
            Files.write(f, b.array());
            Process p = new ProcessBuilder("aarch64-linux-gnu-objdump", "-D", "-b", "binary", "-m", "aarch64",
                    "--adjust-vma=0x" + Long.toHexString(base), f.toString()).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) return out;
            Map<Long, String> byAddr = new HashMap<>();
            for (String line : text.split("\n")) {
                Matcher m = LINE.matcher(line);
                if (m.matches()) byAddr.put(Long.parseUnsignedLong(m.group(1), 16), m.group(3).replace('\t', ' ').strip());
            }
            for (int i = 0; i < words.length; i++) out[i] = byAddr.getOrDefault(base + 4L * i, "");
        } catch (IOException e) {
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (f != null) try { Files.deleteIfExists(f); } catch (IOException ignored) { }
        }
        return out;
    }
}
