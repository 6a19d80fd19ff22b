package org.jvisor.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.VirtBoard;
import org.jvisor.vmm.snapshot.BuildId;

/**
 * The default guest booted to its shell, kept as a snapshot beside the guest's files, so that
 * {@code jvisor run} restores it instead of booting Linux (as Firecracker starts microVMs from a snapshot).
 * Made by the first run that boots the guest: when the shell first prompts, the VM is paused for the
 * moment it takes to save it. Its name carries a checksum of what it depends on (this build of jvisor,
 * the kernel's and initrd's files, the board), so a new guest or a new build makes a new one, and the
 * old ones are deleted then.
 */
final class BootedGuest {
    private static final String PREFIX = "booted-", SUFFIX = ".jvsnap";

    private final Path file;

    private BootedGuest(Path file) {
        this.file = file;
    }

    /** The snapshot for the default guest on board {@code config} (the initrd's directory is the guest's). */
    static BootedGuest of(BoardConfig config) {
        CRC32C crc = new CRC32C();
        StringBuilder key = new StringBuilder(BuildId.current()).append('\n').append(config).append('\n');
        for (Path p : new Path[] {config.kernel(), config.initrd()}) {
            try {
                key.append(p).append(' ').append(Files.size(p)).append(' ').append(Files.getLastModifiedTime(p).toMillis()).append('\n');
            } catch (IOException e) {
                key.append(p).append(" missing\n");
            }
        }
        crc.update(key.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new BootedGuest(config.initrd().toAbsolutePath().getParent().resolve(PREFIX + String.format("%08x", crc.getValue()) + SUFFIX));
    }

    Path file() { return file; }

    boolean exists() { return Files.isRegularFile(file); }

    /**
     * Saves {@code board} once its shell first prompts, from a thread of its own; the other booted-guest
     * snapshots beside it go. A failure is one line on {@code log}, and the run goes on.
     */
    void saveWhenReady(VirtBoard board, PrintStream log) {
        Thread.ofPlatform().name("booted-guest-snapshot").daemon().start(() -> {
            try {
                if (!board.consoleWatch().sees(org.jvisor.guest.DefaultGuest.PROMPT, java.time.Duration.ofMinutes(30))) return;
                board.hold(); // not pause and resume: a VM the user stopped meanwhile stays stopped
                try {
                    board.save(file, "the default guest booted to its shell");
                } finally {
                    board.release();
                }
                deleteOthers();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                log.println("jvisor: could not save the booted guest to " + file + ": " + e.getMessage());
            }
        });
    }

    /** Removes this snapshot (it failed to restore). */
    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the next save replaces it
        }
    }

    private void deleteOthers() throws IOException {
        try (DirectoryStream<Path> all = Files.newDirectoryStream(file.getParent(), PREFIX + "*" + SUFFIX)) {
            for (Path p : all) if (!p.equals(file)) Files.deleteIfExists(p);
        }
    }
}
