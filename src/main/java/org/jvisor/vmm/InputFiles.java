package org.jvisor.vmm;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * The files a user names (kernel, initrd, disk images, output paths) and what is wrong with them, in
 * words. jvisor reads only regular files: a device never ends ({@code /dev/zero}), and opening a FIFO
 * blocks until some other process opens it for writing, which jvisor cannot know will ever happen.
 */
public final class InputFiles {
    private static final int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFREG = 0100000,
            S_IFBLK = 0060000, S_IFDIR = 0040000, S_IFCHR = 0020000, S_IFIFO = 0010000;

    private InputFiles() {}

    /**
     * The size of the regular file {@code path}, the {@code what} ("kernel image") the user gave; anything
     * else (missing, a directory, a device, a FIFO, a socket, unreadable attributes) is a one-line
     * {@link BootException} naming what it is.
     */
    public static long regularFileSize(String what, Path path) throws BootException {
        try {
            int type = fileType(path);
            if (type != S_IFREG)
                throw new BootException(what + " '" + path + "' is " + kind(type) + ", not a regular file");
            return Files.size(path);
        } catch (NoSuchFileException e) {
            throw new BootException(what + " '" + path + "' does not exist");
        } catch (IOException e) {
            throw new BootException("cannot read " + what + " '" + path + "': " + reason(e), e);
        }
    }

    /** The file type bits of st_mode (following links); where the JDK has no unix view, regular or not. */
    private static int fileType(Path path) throws IOException {
        try {
            return (Integer) Files.getAttribute(path, "unix:mode") & S_IFMT;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            var a = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
            return a.isRegularFile() ? S_IFREG : a.isDirectory() ? S_IFDIR : 0;
        }
    }

    private static String kind(int type) {
        return switch (type) {
            case S_IFDIR -> "a directory";
            case S_IFCHR -> "a character device";
            case S_IFBLK -> "a block device";
            case S_IFIFO -> "a FIFO (named pipe: jvisor would wait for a writer that may never come)";
            case S_IFSOCK -> "a socket";
            default -> "a special file";
        };
    }

    /**
     * Why an I/O operation on a file failed, in the words of the system's error messages (strerror's:
     * "Permission denied", "Not a directory"): Java's exceptions for the common errors carry only the path.
     */
    public static String reason(IOException e) {
        return switch (e) {
            case AccessDeniedException a -> "Permission denied";
            case NoSuchFileException n -> "No such file or directory";
            case NotDirectoryException n -> "Not a directory";
            case FileAlreadyExistsException f -> "File exists";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }
}
