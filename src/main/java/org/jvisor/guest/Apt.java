package org.jvisor.guest;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's package manager, through its own commands: {@code apt-cache} to resolve names and versions,
 * {@code apt-get download} to fetch arm64 packages (whose signatures apt checks against the archive keys it
 * trusts) and {@code dpkg} to see whether arm64 packages are enabled. No archive is named here: apt knows its
 * sources. The commands are looked up in a PATH given at construction, so tests can hide or replace them.
 */
public final class Apt {
    /** As root; a root shell in a container has no sudo, and .ci/deps does the same for a clone of jvisor. */
    static final String ENABLE_ARM64 = "dpkg --add-architecture arm64 && apt-get update";
    static final String PASS_FILES = "pass -kernel IMAGE -initrd INITRD instead";

    private final List<Path> path;

    /** Commands are looked up in {@code pathVariable} (a PATH-style list of directories). */
    public Apt(String pathVariable) {
        this.path = pathVariable == null ? List.of()
                : Arrays.stream(pathVariable.split(File.pathSeparator)).filter(s -> !s.isEmpty()).map(Path::of).toList();
    }

    /** The host's apt, found through this process's PATH. */
    public static Apt system() {
        return new Apt(System.getenv("PATH"));
    }

    /**
     * Fails with one message saying what to do when apt-get is missing or arm64 packages are not enabled;
     * arm64 counts as enabled when it is dpkg's native or a foreign architecture.
     */
    public void requireArm64() throws IOException {
        if (find("apt-get") == null || find("apt-cache") == null) {
            throw new GuestImageException("jvisor's default guest comes from Debian arm64 packages downloaded with apt-get,"
                    + " which this machine lacks: " + PASS_FILES);
        }
        if (find("dpkg") == null) return;  // apt without dpkg: let apt-cache tell whether it knows arm64
        String archs = run(null, "dpkg", "--print-architecture") + " " + run(null, "dpkg", "--print-foreign-architectures");
        if (!Arrays.asList(archs.trim().split("\\s+")).contains("arm64")) throw arm64NotEnabled();
    }

    static GuestImageException arm64NotEnabled() {
        return new GuestImageException("jvisor's default guest comes from Debian arm64 packages, which apt here does not offer:"
                + " run '" + ENABLE_ARM64 + "' as root (or bash .ci/deps in jvisor's repository), or " + PASS_FILES);
    }

    /**
     * The kernel package behind the {@code linux-image-arm64} metapackage: the newest
     * {@code linux-image-<abi>-arm64} it depends on, as its {@code -unsigned} variant when apt has one (the
     * same files without the EFI signature, which a hypervisor's direct boot does not use).
     */
    public String kernelPackage() throws IOException {
        String out;
        try {
            out = run(null, "apt-cache", "depends", "linux-image-arm64:arm64");
        } catch (GuestImageException e) {
            throw arm64NotEnabled();  // "E: No packages found": no arm64 package lists
        }
        Matcher m = Pattern.compile("(?m)^\\s*\\|?Depends:\\s*(linux-image-[^\\s:]+)").matcher(out);
        String best = null;
        while (m.find()) {
            if (best == null || compareVersions(m.group(1), best) > 0) best = m.group(1);
        }
        if (best == null) throw arm64NotEnabled();
        String unsigned = best + "-unsigned";
        return candidates(unsigned).containsKey(unsigned) ? unsigned : best;
    }

    /** The candidate version apt would install of each arm64 package it knows of (unknown ones are absent). */
    public Map<String, String> candidates(String... packages) throws IOException {
        String[] cmd = new String[packages.length + 1];
        cmd[0] = "policy";
        for (int i = 0; i < packages.length; i++) cmd[i + 1] = packages[i] + ":arm64";
        String out = run(null, "apt-cache", cmd);
        Map<String, String> found = new HashMap<>();
        String pkg = null;
        for (String line : out.split("\n")) {
            if (!line.startsWith(" ") && line.endsWith(":")) {
                pkg = line.substring(0, line.length() - 1).replaceFirst(":arm64$", "");
            } else if (pkg != null && line.strip().startsWith("Candidate:")) {
                String v = line.strip().substring("Candidate:".length()).strip();
                if (!v.isEmpty() && !v.equals("(none)")) found.put(pkg, v);
            }
        }
        return found;
    }

    /**
     * Downloads {@code pkg:arm64=version} into the empty directory {@code dir} (which this makes writable
     * for apt's unprivileged {@code _apt} download user) and returns the .deb file.
     */
    public Path download(String pkg, String version, Path dir, ProgressListener progress) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: apt then downloads as the calling user
        }
        run(line -> {
            // APT::Status-Fd lines: "dlstatus:<item>:<percent>:<message>"
            String[] f = line.split(":", 4);
            if (f.length == 4 && f[0].equals("dlstatus")) {
                try {
                    progress.percent(Double.parseDouble(f[2]));
                } catch (NumberFormatException e) {
                    // not a progress line after all
                }
            }
        }, dir, "apt-get", "download", "-o", "APT::Status-Fd=1", pkg + ":arm64=" + version);
        try (var files = Files.list(dir)) {
            List<Path> debs = files.filter(f -> f.getFileName().toString().endsWith(".deb")).toList();
            if (debs.size() != 1) throw new GuestImageException("apt-get download " + pkg + " gave " + debs.size() + " .deb files in " + dir);
            return debs.getFirst();
        }
    }

    private Path find(String command) {
        for (Path dir : path) {
            Path p = dir.resolve(command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    private String run(Path dir, String command, String... args) throws IOException {
        StringBuilder out = new StringBuilder();
        run(line -> out.append(line).append('\n'), dir, command, args);
        return out.toString();
    }

    /** Runs a command with stderr joined to stdout, handing over each line; fails with its output on a non-zero exit. */
    private void run(java.util.function.Consumer<String> lines, Path dir, String command, String... args) throws IOException {
        Path exe = find(command);
        if (exe == null) throw new GuestImageException("'" + command + "' is not installed: " + PASS_FILES);
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (dir != null) pb.directory(dir.toFile());
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("PATH", String.join(File.pathSeparator, path.stream().map(Path::toString).toList()));
        Process p = pb.start();
        List<String> tail = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.accept(line);
                if (!line.startsWith("dlstatus:")) tail.add(line);
                if (tail.size() > 10) tail.removeFirst();
            }
        }
        int status;
        try {
            status = p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command);
        }
        if (status != 0) {
            throw new GuestImageException(command + " " + String.join(" ", args) + " failed (exit " + status + "): "
                    + String.join(" / ", tail).strip());
        }
    }

    /** Orders "6.1.0-9" before "6.1.0-56": digit runs compare as numbers, the rest as text. */
    static int compareVersions(String a, String b) {
        Matcher ma = Pattern.compile("\\d+|\\D+").matcher(a), mb = Pattern.compile("\\d+|\\D+").matcher(b);
        while (ma.find() && mb.find()) {
            String x = ma.group(), y = mb.group();
            int c = Character.isDigit(x.charAt(0)) && Character.isDigit(y.charAt(0))
                    ? new java.math.BigInteger(x).compareTo(new java.math.BigInteger(y)) : x.compareTo(y);
            if (c != 0) return c;
        }
        return Integer.compare(a.length(), b.length());
    }
}
