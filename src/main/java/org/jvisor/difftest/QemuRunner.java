package org.jvisor.difftest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a laid-out batch under QEMU user mode and reads every record back from its stdout. */
final class QemuRunner {
    static final String QEMU = "qemu-aarch64-static";

    private QemuRunner() {}

    /** Fails with a clear message when QEMU user mode is not installed. */
    static void checkAvailable() {
        try {
            Process p = new ProcessBuilder(QEMU, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) return;
        } catch (IOException e) {
            // reported below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException(QEMU + " is needed as the reference and was not found on the PATH"
                + " (Debian: apt-get install qemu-user-static)");
    }

    /** A started QEMU process for one batch; {@link #outcomes} waits for it. */
    static final class Run {
        private final Layout layout;
        private final Process process;
        private final Path file;
        private final Thread reader;
        private volatile byte[] out;
        private volatile IOException readError;

        Run(Layout layout, Profile profile) throws IOException {
            this.layout = layout;
            file = Files.createTempFile("jvisor-difftest", ".elf");
            Files.write(file, ElfWriter.write(layout));
            file.toFile().setExecutable(true, true); // QEMU's loader, like the kernel's, wants an executable file
            process = new ProcessBuilder(QEMU, "-cpu", profile.qemuCpu, file.toString())
                    .redirectError(ProcessBuilder.Redirect.PIPE).start();
            reader = Thread.ofVirtual().start(() -> {
                try (InputStream in = process.getInputStream()) {
                    out = in.readAllBytes();
                } catch (IOException e) {
                    readError = e;
                }
            });
        }

        List<Outcome> outcomes() throws IOException, InterruptedException {
            try {
                String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(QEMU + " did not finish within 120 s");
                }
                reader.join();
                if (readError != null) throw readError;
                int rc = process.exitValue();
                if (rc != 0 || out.length != layout.data.length)
                    throw new IOException(QEMU + " failed (exit " + rc + ", " + out.length + " of " + layout.data.length
                            + " bytes of output)" + (err.isBlank() ? "" : ": " + err.strip()));
                return parse(layout, out);
            } finally {
                // JVISOR_DIFFTEST_KEEP=dir keeps the programs, to run them by hand under QEMU or gdb.
                String keep = System.getenv("JVISOR_DIFFTEST_KEEP");
                if (keep != null) Files.move(file, Path.of(keep).resolve(file.getFileName()));
                else Files.deleteIfExists(file);
            }
        }
    }

    /** The FP/SIMD state the harness stored in the record at {@code rec}. */
    static FpState fpOut(ByteBuffer b, int rec) {
        long[] v = new long[64];
        for (int k = 0; k < 64; k++) v[k] = b.getLong(rec + Layout.OUT_V + 8 * k);
        return new FpState(v, (int) b.getLong(rec + Layout.OUT_FPCR), (int) b.getLong(rec + Layout.OUT_FPSR));
    }

    static List<Outcome> parse(Layout layout, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        Outcome[] r = new Outcome[layout.seqs.size()];
        for (int i = 0; i < r.length; i++) {
            int rec = Layout.RECORDS + i * Layout.REC_SIZE;
            long[] x = new long[31];
            for (int k = 0; k < 31; k++) x[k] = b.getLong(rec + Layout.OUT_X + 8 * k);
            r[i] = new Outcome(x, b.getLong(rec + Layout.OUT_SP), (int) (b.getLong(rec + Layout.OUT_NZCV) >>> 28) & 0xf,
                    (int) b.getLong(rec + Layout.OUT_SIG), b.getLong(rec + Layout.OUT_PC), b.getLong(rec + Layout.OUT_FAR),
                    Layout.maskedRecord(data, rec), null, layout.fp ? fpOut(b, rec) : null);
        }
        return List.of(r);
    }
}
