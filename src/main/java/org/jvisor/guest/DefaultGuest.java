package org.jvisor.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * jvisor's default Linux guest, made from two Debian arm64 packages obtained through the host's apt: the
 * kernel behind {@code linux-image-arm64} (its {@code -unsigned} variant) and {@code busybox-static}. The
 * kernel Image is used as it is; the initramfs is built here: busybox, the {@code /init} script
 * ({@code guest/init} next to this class, with {@code udhcpc.script} for a NIC), the kernel modules for virtio-mmio devices and a disk file system,
 * and the files for {@code /home/root}.
 *
 * <p>Everything is cached below the user's cache directory ({@code $XDG_CACHE_HOME/jvisor}, else
 * {@code ~/.cache/jvisor}): the .deb files under {@code debs/}; what is taken from a kernel package (Image,
 * release, the chosen modules) under {@code kernel/<package>_<version>+k<n>/}, unpacked once; each initramfs
 * under {@code guest/<key>/}, where the key names both packages' versions and a hash of the recipe (this
 * class's versions, /init, the home files); and {@code default.properties}, naming the packages last chosen.
 * Once that exists, starting a guest calls no apt at all; {@link #update} asks apt again. Every file and
 * directory appears by an atomic rename, so a run that is killed leaves no half-written cache.
 */
public final class DefaultGuest {
    /** Raise when the initramfs layout changes in a way the hashed inputs do not show. */
    static final int RECIPE_VERSION = 3;

    /** Raise when what is taken from the kernel package changes (the modules chosen, the Image's treatment). */
    static final int KERNEL_RECIPE = 2;

    /** What the guest's shell prints when it waits for a command (/init starts it when no jvisor.run is given). */
    public static final String PROMPT = "~ # ";

    static final String BUSYBOX = "busybox-static";
    private static final String RESOURCES = "/org/jvisor/guest/";
    /** The resources of {@link #withKvm}, built by {@code guest/kvm/build.sh}. */
    static final String KVM = "kvm/";

    /** The applets /init runs before {@code busybox --install -s}, linked at build time. */
    static final List<String> INIT_APPLETS = List.of("sh", "mount", "cat", "insmod", "poweroff", "setsid", "cttyhack");

    private final Path cacheDir;
    private final Apt apt;
    private final List<Path> homeDirs;
    private final boolean kvm;

    /** A default guest cached in {@code cacheDir}, obtained with {@code apt} when not cached. */
    public DefaultGuest(Path cacheDir, Apt apt) {
        this(cacheDir, apt, List.of(), false);
    }

    private DefaultGuest(Path cacheDir, Apt apt, List<Path> homeDirs, boolean kvm) {
        this.cacheDir = cacheDir;
        this.apt = apt;
        this.homeDirs = homeDirs;
        this.kvm = kvm;
    }

    /** The same guest with every file below {@code dir} also in {@code /home/root} (executables stay executable). */
    public DefaultGuest withHomeFiles(Path dir) {
        List<Path> dirs = new ArrayList<>(homeDirs);
        dirs.add(dir);
        return new DefaultGuest(cacheDir, apt, List.copyOf(dirs), kvm);
    }

    /**
     * The same guest for a machine whose EL2 is the guest's ({@code -M virt,virtualization=on}), where Linux
     * starts its own KVM: {@code /home/root} also has the programs of {@code guest/kvm/} (kvm-hello-world,
     * kvm-vmm, nested-linux, listed in {@code guest/kvm/INDEX}) and, in {@code nested/}, the kernel Image and
     * the plain default guest's initramfs, which nested-linux boots on that KVM. Its initrd is ~15 MiB instead
     * of ~2 (the Image is 33 MiB unpacked in the guest's RAM); a guest of 256 MiB boots a nested one of 256
     * (which touches ~70 MiB of it), the tests give it 384.
     */
    public DefaultGuest withKvm() {
        return new DefaultGuest(cacheDir, apt, homeDirs, true);
    }

    /** The plain default guest from the same cache: the nested guest of {@link #withKvm}. */
    private DefaultGuest plain() {
        return new DefaultGuest(cacheDir, apt, List.of(), false);
    }

    /** The default guest from the user's cache, downloading and building it on first use. */
    public static GuestImage obtain(ProgressListener progress) throws IOException {
        return new DefaultGuest(userCacheDir(), Apt.system()).get(progress);
    }

    /** {@link #withKvm} of the default guest from the user's cache: for a machine whose EL2 is the guest's. */
    public static GuestImage obtainWithKvm(ProgressListener progress) throws IOException {
        return new DefaultGuest(userCacheDir(), Apt.system()).withKvm().get(progress);
    }

    /** Prepares {@code cacheDir} from given packages, without apt: a later {@link #get} there finds them. */
    public static GuestImage fromDebs(Path kernelDeb, Path busyboxDeb, Path cacheDir) throws IOException {
        return new DefaultGuest(cacheDir, new Apt("")).buildFromDebs(kernelDeb, busyboxDeb, ProgressListener.NONE);
    }

    /** {@code $XDG_CACHE_HOME/jvisor}, or {@code ~/.cache/jvisor}. */
    public static Path userCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
                ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("jvisor");
    }

    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * The guest for the packages last chosen, built if this recipe has not been built for them yet (from the
     * cached .debs, offline); on first use, {@link #update}.
     */
    public GuestImage get(ProgressListener progress) throws IOException {
        try {
            Properties chosen = readChosen();
            if (chosen != null) {
                String kpkg = chosen.getProperty("kernel.package"), kver = chosen.getProperty("kernel.version");
                String bver = chosen.getProperty("busybox.version");
                GuestImage built = cached(kpkg, kver, bver);
                if (built != null) return built;
                Path kdeb = debPath(kpkg, kver), bdeb = debPath(BUSYBOX, bver);
                if ((kernelReady(kpkg, kver) || Files.isRegularFile(kdeb)) && Files.isRegularFile(bdeb)) {
                    return build(kpkg, kver, kdeb, bver, bdeb, progress);
                }
            }
            return askApt(progress);
        } finally {
            progress.done();
        }
    }

    /** Asks apt for the current packages, downloads those not cached, builds the guest and makes it the default. */
    public GuestImage update(ProgressListener progress) throws IOException {
        try {
            return askApt(progress);
        } finally {
            progress.done();
        }
    }

    private GuestImage askApt(ProgressListener progress) throws IOException {
        progress.step("resolving the default guest's packages with apt");
        apt.requireArm64();
        String kpkg = apt.kernelPackage();
        var versions = apt.candidates(kpkg, BUSYBOX);
        if (!versions.containsKey(kpkg) || !versions.containsKey(BUSYBOX)) throw Apt.arm64NotEnabled();
        String kver = versions.get(kpkg), bver = versions.get(BUSYBOX);
        Path kdeb = kernelReady(kpkg, kver) ? null : fetch(kpkg, kver, progress);
        Path bdeb = fetch(BUSYBOX, bver, progress);
        return build(kpkg, kver, kdeb, bver, bdeb, progress);
    }

    /**
     * Downloads a package unless cached. apt downloads as its unprivileged {@code _apt} user when it can reach
     * the directory, so that is a fresh one in the system's temporary directory rather than in the user's
     * cache (under a home directory _apt may not enter); the file is then copied into the cache and renamed.
     */
    private Path fetch(String pkg, String version, ProgressListener progress) throws IOException {
        Path deb = debPath(pkg, version);
        if (Files.isRegularFile(deb)) return deb;
        progress.step("downloading " + pkg + " " + version);
        Path tmp = Files.createTempDirectory("jvisor-apt-");
        try {
            Path got = apt.download(pkg, version, tmp, progress);
            var control = new DebianPackage(got).control();
            if (!pkg.equals(control.get("Package")) || !version.equals(control.get("Version"))) {
                throw new GuestImageException("apt-get download " + pkg + "=" + version + " gave " + control.get("Package")
                        + " " + control.get("Version"));
            }
            Files.createDirectories(deb.getParent());
            copyIntoCache(got, deb);
            return deb;
        } finally {
            deleteTree(tmp);
        }
    }

    /** Checks the packages are what they claim, keeps them in the cache, and builds from them. */
    private GuestImage buildFromDebs(Path kernelDeb, Path busyboxDeb, ProgressListener progress) throws IOException {
        var kcontrol = new DebianPackage(kernelDeb).control();
        var bcontrol = new DebianPackage(busyboxDeb).control();
        String kpkg = kcontrol.get("Package"), kver = kcontrol.get("Version"), bver = bcontrol.get("Version");
        if (!kpkg.startsWith("linux-image-")) throw new GuestImageException(kernelDeb + ": " + kpkg + " is not a linux-image package");
        if (!BUSYBOX.equals(bcontrol.get("Package"))) throw new GuestImageException(busyboxDeb + ": not the busybox-static package");
        Files.createDirectories(cacheDir.resolve("debs"));
        copyIntoCache(kernelDeb, debPath(kpkg, kver));
        copyIntoCache(busyboxDeb, debPath(BUSYBOX, bver));
        return build(kpkg, kver, debPath(kpkg, kver), bver, debPath(BUSYBOX, bver), progress);
    }

    /**
     * Builds what is missing of the guest and makes it the default: the kernel's parts once per kernel
     * package (the Image, the chosen modules), the initramfs once per busybox and recipe.
     */
    private GuestImage build(String kpkg, String kver, Path kernelDeb, String bver, Path busyboxDeb, ProgressListener progress)
            throws IOException {
        Path kernel = kernelDir(kpkg, kver);
        if (!kernelReady(kpkg, kver)) {
            progress.step("unpacking " + kpkg + " " + kver);
            DebianKernel.Contents k = DebianKernel.read(new DebianPackage(kernelDeb), progress);
            Path tmp = tempDir();
            try {
                Files.write(tmp.resolve("Image"), k.image());
                Files.writeString(tmp.resolve("release"), k.release() + "\n");
                StringBuilder order = new StringBuilder();
                for (DebianKernel.Module m : k.modules()) {
                    Path f = tmp.resolve("modules").resolve(m.path());
                    Files.createDirectories(f.getParent());
                    Files.write(f, m.ko());
                    order.append(m.path()).append('\n');
                }
                Files.writeString(tmp.resolve("load-order"), order);
                publish(tmp, kernel);
            } finally {
                deleteTree(tmp);
            }
        }
        Path guest = guestDir(kpkg, kver, bver);
        if (!Files.isRegularFile(guest.resolve("initrd.gz"))) {
            GuestImage nested = kvm ? plain().build(kpkg, kver, kernelDeb, bver, busyboxDeb, progress) : null;
            progress.step("building the initramfs");
            byte[] busybox = busyboxBinary(new DebianPackage(busyboxDeb));
            String release = Files.readString(kernel.resolve("release")).strip();
            List<DebianKernel.Module> modules = new ArrayList<>();
            for (String path : Files.readAllLines(kernel.resolve("load-order"))) {
                if (!path.isBlank()) modules.add(new DebianKernel.Module(path, Files.readAllBytes(kernel.resolve("modules").resolve(path))));
            }
            Path tmp = tempDir();
            try {
                Initramfs fs = initramfs(release, modules, busybox);
                if (nested != null) addKvm(fs, nested);
                try (OutputStream out = Files.newOutputStream(tmp.resolve("initrd.gz"))) {
                    fs.writeGzip(out);
                }
                publish(tmp, guest);
            } finally {
                deleteTree(tmp);
            }
        }
        GuestImage image = cached(kpkg, kver, bver);
        if (image == null) throw new GuestImageException("the guest built in " + cacheDir + " disappeared");
        writeChosen(kpkg, kver, bver);
        return image;
    }

    /** Renames a finished directory into place; if another jvisor got there first, its copy is as good. */
    private static void publish(Path tmp, Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            // same inputs, same bytes
        }
    }

    /** The initramfs for a kernel and a busybox binary: see the class comment and {@code guest/init}. */
    Initramfs initramfs(String release, List<DebianKernel.Module> modules, byte[] busyboxBinary) throws IOException {
        Initramfs fs = new Initramfs();
        for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc", "sys", "mnt", "etc", "home/root")) {
            fs.directory(d, 0755);
        }
        fs.directory("tmp", 01777);
        fs.charDevice("dev/console", 0600, 5, 1);
        fs.file("bin/busybox", 0755, busyboxBinary);
        for (String applet : INIT_APPLETS) fs.symlink("bin/" + applet, "busybox");
        fs.file("init", 0755, resource("init"));
        fs.file("etc/udhcpc.script", 0755, resource("udhcpc.script"));
        fs.file("etc/passwd", 0644, "root:x:0:0:root:/home/root:/bin/sh\n".getBytes(StandardCharsets.UTF_8));
        fs.file("etc/group", 0644, "root:x:0:\n".getBytes(StandardCharsets.UTF_8));
        StringBuilder order = new StringBuilder();
        for (DebianKernel.Module m : modules) {
            String path = "lib/modules/" + release + "/" + m.path();
            fs.file(path, 0644, m.ko());
            order.append('/').append(path).append('\n');
        }
        fs.file("lib/modules/load-order", 0644, order.toString().getBytes(StandardCharsets.UTF_8));
        addResources(fs, "home/");
        for (Path dir : homeDirs) fs.tree(dir, "home/root");
        return fs;
    }

    /** The entries of {@code dir + "INDEX"} into /home/root. */
    private static void addResources(Initramfs fs, String dir) throws IOException {
        for (String name : resourceNames(dir)) {
            int arrow = name.indexOf(" -> ");
            if (arrow >= 0) fs.symlink("home/root/" + name.substring(0, arrow).strip(), name.substring(arrow + 4).strip());
            else fs.file("home/root/" + name, 0755, resource(dir + name));
        }
    }

    /** What {@link #withKvm} adds: the KVM programs, and the nested guest (this kernel, the plain initramfs). */
    private static void addKvm(Initramfs fs, GuestImage nested) throws IOException {
        addResources(fs, KVM);
        fs.file("home/root/nested/Image", 0644, Files.readAllBytes(nested.kernel()));
        fs.file("home/root/nested/initrd.gz", 0644, Files.readAllBytes(nested.initrd()));
    }

    private static byte[] busyboxBinary(DebianPackage busybox) throws IOException {
        byte[][] found = new byte[1][];
        busybox.forEachFile((path, entry, in) -> {
            if (entry.isFile() && (path.equals("bin/busybox") || path.equals("usr/bin/busybox"))) found[0] = in.readAllBytes();
        });
        if (found[0] == null) throw new GuestImageException(busybox.file() + ": no bin/busybox in the package");
        return found[0];
    }

    private GuestImage cached(String kpkg, String kver, String bver) throws IOException {
        Path kernel = kernelDir(kpkg, kver), initrd = guestDir(kpkg, kver, bver).resolve("initrd.gz");
        if (!kernelReady(kpkg, kver) || !Files.isRegularFile(initrd)) return null;
        return new GuestImage(kernel.resolve("Image"), initrd, Files.readString(kernel.resolve("release")).strip());
    }

    /** The kernel's parts appear together (one rename), so one file tells they are all there. */
    private boolean kernelReady(String kpkg, String kver) {
        return Files.isRegularFile(kernelDir(kpkg, kver).resolve("load-order"));
    }

    /** The Image, release and modules taken from one kernel package (by the selection of {@link #KERNEL_RECIPE}). */
    Path kernelDir(String kpkg, String kver) {
        return cacheDir.resolve("kernel").resolve(fileName(kpkg + "_" + kver + "+k" + KERNEL_RECIPE));
    }

    /** The initramfs for a kernel package, a busybox and this recipe. */
    Path guestDir(String kpkg, String kver, String bver) throws IOException {
        return cacheDir.resolve("guest").resolve(fileName(kpkg + "_" + kver + "+" + BUSYBOX + "_" + bver + "+" + recipeHash()));
    }

    /** Where apt would name the package: {@code busybox-static_1%3a1.35.0-4+deb12u1+b1_arm64.deb}. */
    Path debPath(String pkg, String version) {
        return cacheDir.resolve("debs").resolve(fileName(pkg + "_" + version + "_arm64.deb"));
    }

    private static String fileName(String s) {
        String name = s.replace(":", "%3a");
        if (!name.matches("[A-Za-z0-9.+~%_-]+")) throw new IllegalArgumentException("unexpected package name or version: " + s);
        return name;
    }

    /** Hashes what goes into the initramfs besides the packages, so changing any of it builds anew. */
    String recipeHash() throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(("recipe " + RECIPE_VERSION + " kernel " + KERNEL_RECIPE + " " + INIT_APPLETS + "\n").getBytes(StandardCharsets.UTF_8));
            sha.update(resource("init"));
            sha.update(resource("udhcpc.script"));
            hashResources(sha, "home/");
            if (kvm) {
                // the nested guest: the kernel is named by the directory, the plain initramfs by its recipe
                sha.update(("\nkvm, nested " + plain().recipeHash() + "\n").getBytes(StandardCharsets.UTF_8));
                hashResources(sha, KVM);
            }
            for (Path dir : homeDirs) {
                try (Stream<Path> files = Files.walk(dir)) {
                    for (Path f : files.sorted().toList()) {
                        sha.update(("\ndir " + dir.relativize(f) + " " + Files.isExecutable(f) + "\n").getBytes(StandardCharsets.UTF_8));
                        if (Files.isRegularFile(f)) sha.update(Files.readAllBytes(f));
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void hashResources(MessageDigest sha, String dir) throws IOException {
        for (String name : resourceNames(dir)) {
            // "home NAME": as before there was a kvm/ index, so the plain guest keeps its cache key
            sha.update(("\n" + dir.substring(0, dir.length() - 1) + " " + name + "\n").getBytes(StandardCharsets.UTF_8));
            if (!name.contains(" -> ")) sha.update(resource(dir + name));
        }
    }

    /**
     * The entries of {@code guest/home/INDEX} (or {@code guest/kvm/INDEX}): programs other parts of jvisor ship
     * for the guest, each a name, or {@code "NAME -> TARGET"} for a symbolic link.
     */
    static List<String> resourceNames(String dir) throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : new String(resource(dir + "INDEX"), StandardCharsets.UTF_8).split("\n")) {
            String name = line.strip();
            if (!name.isEmpty() && !name.startsWith("#")) names.add(name);
        }
        return names;
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = DefaultGuest.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) throw new IOException("missing resource " + RESOURCES + name);
            return in.readAllBytes();
        }
    }

    private Properties readChosen() throws IOException {
        Path f = cacheDir.resolve("default.properties");
        if (!Files.isRegularFile(f)) return null;
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        }
        for (String key : List.of("kernel.package", "kernel.version", "busybox.version")) {
            if (p.getProperty(key) == null) return null;
        }
        return p;
    }

    private void writeChosen(String kpkg, String kver, String bver) throws IOException {
        String text = "# the packages of jvisor's default guest (delete this file, or use DefaultGuest.update, to ask apt again)\n"
                + "kernel.package=" + kpkg + "\nkernel.version=" + kver + "\nbusybox.version=" + bver + "\n";
        Path tmp = Files.createTempFile(cacheDir, ".default", ".tmp");
        Files.writeString(tmp, text);
        moveAtomically(tmp, cacheDir.resolve("default.properties"));
    }

    private void copyIntoCache(Path from, Path to) throws IOException {
        if (Files.isRegularFile(to)) return;  // the name holds the version: same name, same package
        Path tmp = Files.createTempFile(to.getParent(), ".copy", ".tmp");
        try {
            Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
            moveAtomically(tmp, to);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A fresh directory inside the cache (so renames out of it are atomic), removed by the caller. */
    private Path tempDir() throws IOException {
        Files.createDirectories(cacheDir);
        try (Stream<Path> old = Files.list(cacheDir)) {  // left by runs that were killed
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) {
                if (Files.getLastModifiedTime(p).toMillis() < System.currentTimeMillis() - 86_400_000L) deleteTree(p);
            }
        }
        return Files.createTempDirectory(cacheDir, ".tmp-");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
