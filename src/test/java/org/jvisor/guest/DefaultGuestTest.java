package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default guest from synthetic packages, with apt replaced by scripts in a PATH of the test's own. */
class DefaultGuestTest {
    @TempDir Path tmp;

    private static final String MODULES = "lib/modules/" + TestDebs.RELEASE + "/kernel/";

    private static Map<String, Newc.Entry> initramfs(GuestImage g) throws IOException {
        return Newc.parse(Newc.gunzip(Files.readAllBytes(g.initrd())));
    }

    @Test
    void buildsTheGuestFromThePackages() throws IOException {
        GuestImage g = DefaultGuest.fromDebs(TestDebs.kernelDeb(tmp.resolve("in")), TestDebs.busyboxDeb(tmp.resolve("in")), tmp.resolve("cache"));
        assertEquals(TestDebs.RELEASE, g.kernelVersion());
        assertArrayEquals(TestDebs.image(), Files.readAllBytes(g.kernel()), "vmlinuz is already a raw Image");
        assertTrue(g.kernel().startsWith(tmp.resolve("cache")));

        Map<String, Newc.Entry> e = initramfs(g);
        assertArrayEquals(TestDebs.BUSYBOX, e.get("bin/busybox").data());
        assertEquals(0755, e.get("bin/busybox").perm());
        for (String applet : List.of("sh", "mount", "cat", "insmod", "poweroff", "setsid", "cttyhack")) {
            assertEquals(Newc.LNK, e.get("bin/" + applet).type(), applet);
            assertEquals("busybox", e.get("bin/" + applet).text(), applet);
        }
        assertEquals(0755, e.get("init").perm());
        assertEquals(new String(DefaultGuest.resource("init"), StandardCharsets.UTF_8), e.get("init").text());
        assertEquals(Newc.CHR, e.get("dev/console").type());
        assertEquals(List.of(5, 1), List.of(e.get("dev/console").rdevMajor(), e.get("dev/console").rdevMinor()));
        for (String d : List.of("proc", "sys", "dev", "tmp", "mnt", "home/root", "etc")) assertEquals(Newc.DIR, e.get(d).type(), d);
        assertEquals(01777, e.get("tmp").perm());
        assertTrue(e.get("etc/passwd").text().startsWith("root:x:0:0:"));

        List<String> modules = List.of("drivers/virtio/virtio_mmio.ko", "drivers/block/virtio_blk.ko", "drivers/char/virtio_console.ko",
                "drivers/char/hw_random/virtio-rng.ko", "net/core/failover.ko", "drivers/net/net_failover.ko", "drivers/net/virtio_net.ko",
                "crypto/crc32c_generic.ko", "fs/jbd2/jbd2.ko", "fs/mbcache.ko", "lib/crc16.ko",
                "fs/ext4/ext4.ko");
        StringBuilder order = new StringBuilder();
        for (String m : modules) order.append('/').append(MODULES).append(m).append('\n');
        assertEquals(order.toString(), e.get("lib/modules/load-order").text(), "virtio drivers, then ext4 after its dependencies");
        for (String m : modules) assertEquals(0644, e.get(MODULES + m).perm(), m);
        assertEquals("mbcache", KernelModules.modinfo(e.get(MODULES + "fs/mbcache.ko").data()).name(), ".ko.xz shipped decompressed");
        assertFalse(e.containsKey(MODULES + "drivers/net/dummy.ko"));
        assertFalse(e.containsKey(MODULES + "fs/fat/vfat.ko"), "one file system is enough");
        assertArrayEquals(TestDebs.kernelFiles().get(MODULES + "fs/ext4/ext4.ko"), e.get(MODULES + "fs/ext4/ext4.ko").data());
    }

    @Test
    void theSameInputsGiveTheSameBytes() throws IOException {
        Path k = TestDebs.kernelDeb(tmp.resolve("in")), b = TestDebs.busyboxDeb(tmp.resolve("in"));
        GuestImage one = DefaultGuest.fromDebs(k, b, tmp.resolve("c1"));
        GuestImage two = DefaultGuest.fromDebs(k, b, tmp.resolve("c2"));
        assertArrayEquals(Files.readAllBytes(one.initrd()), Files.readAllBytes(two.initrd()));
        assertArrayEquals(Files.readAllBytes(one.kernel()), Files.readAllBytes(two.kernel()));
        assertEquals(tmp.resolve("c1").relativize(one.initrd()), tmp.resolve("c2").relativize(two.initrd()));
    }

    @Test
    void homeFilesComeFromADirectoryAndChangeTheCacheKey(@TempDir Path progs) throws IOException {
        Path cache = tmp.resolve("cache");
        GuestImage plain = DefaultGuest.fromDebs(TestDebs.kernelDeb(tmp.resolve("in")), TestDebs.busyboxDeb(tmp.resolve("in")), cache);
        Files.writeString(progs.resolve("hello"), "#!/bin/sh\necho hello\n");
        Files.setPosixFilePermissions(progs.resolve("hello"), PosixFilePermissions.fromString("rwxr-xr-x"));
        DefaultGuest withProgs = new DefaultGuest(cache, new Apt(tmp.toString())).withHomeFiles(progs);
        GuestImage g = withProgs.get(ProgressListener.NONE);
        assertNotEquals(plain.initrd(), g.initrd());
        assertEquals(plain.kernel(), g.kernel(), "the kernel's parts are unpacked once, whatever the home files");
        Newc.Entry hello = initramfs(g).get("home/root/hello");
        assertEquals(0755, hello.perm());
        assertEquals("#!/bin/sh\necho hello\n", hello.text());
    }

    @Test
    void theKvmVariantAddsTheKvmProgramsAndTheNestedGuestUnderItsOwnKey() throws IOException {
        Path cache = tmp.resolve("cache");
        GuestImage plain = DefaultGuest.fromDebs(TestDebs.kernelDeb(tmp.resolve("in")), TestDebs.busyboxDeb(tmp.resolve("in")), cache);
        DefaultGuest guest = new DefaultGuest(cache, new Apt(tmp.resolve("no-apt").toString()));
        String plainKey = guest.recipeHash();
        GuestImage kvm = guest.withKvm().get(ProgressListener.NONE);
        assertNotEquals(plain.initrd(), kvm.initrd());
        assertEquals(plain.kernel(), kvm.kernel());
        assertEquals(plainKey, guest.recipeHash(), "the plain guest keeps its key");

        Map<String, Newc.Entry> e = initramfs(kvm);
        for (String name : List.of("kvm-hello-world", "kvm-vmm", "nested-linux")) {
            assertEquals(0755, e.get("home/root/" + name).perm(), name);
            assertArrayEquals(DefaultGuest.resource("kvm/" + name), e.get("home/root/" + name).data(), name);
        }
        assertArrayEquals(Files.readAllBytes(plain.kernel()), e.get("home/root/nested/Image").data());
        assertArrayEquals(Files.readAllBytes(plain.initrd()), e.get("home/root/nested/initrd.gz").data(), "the nested guest is the plain one");
        assertTrue(e.containsKey("home/root/mem"), "and the plain guest's programs");
        assertFalse(initramfs(plain).containsKey("home/root/kvm-vmm"), "only the variant has them");
    }

    /** Scripts standing in for dpkg, apt-cache and apt-get, logging their calls. */
    private Path fakeApt(String foreignArchs) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path log = tmp.resolve("apt.log");
        Path kdeb = TestDebs.kernelDeb(tmp.resolve("archive")), bdeb = TestDebs.busyboxDeb(tmp.resolve("archive"));
        script(bin.resolve("dpkg"), """
                case "$1" in --print-architecture) echo amd64 ;; --print-foreign-architectures) echo "%s" ;; esac
                """.formatted(foreignArchs));
        script(bin.resolve("apt-cache"), """
                echo "apt-cache $*" >> %s
                case "$1" in
                depends)
                    [ "$2" = linux-image-arm64:arm64 ] || { echo "E: No packages found" >&2; exit 100; }
                    echo "linux-image-arm64:arm64"
                    echo "  Depends: linux-image-6.1.0-98-arm64:arm64"
                    echo "  Depends: linux-image-6.1.0-99-arm64:arm64" ;;
                policy)
                    shift
                    for p; do
                        case "$p" in
                            linux-image-6.1.0-99-arm64-unsigned:arm64|linux-image-6.1.0-99-arm64:arm64) v=6.1.999-1 ;;
                            busybox-static:arm64) v=1:1.35.0-4+b1 ;;
                            *) continue ;;
                        esac
                        printf '%%s:\\n  Installed: (none)\\n  Candidate: %%s\\n  Version table:\\n' "$p" "$v"
                    done ;;
                esac
                """.formatted(log));
        script(bin.resolve("apt-get"), """
                echo "apt-get $* in mode $(/usr/bin/stat -c %%a .)" >> %s
                echo "dlstatus:1:0.0000:Retrieving file 1 of 1"
                echo "Get:1 somewhere $4"
                echo "dlstatus:1:42.5000:Retrieving file 1 of 1"
                case "$4" in
                    linux-image-6.1.0-99-arm64-unsigned:arm64=6.1.999-1) /bin/cp "%s" . ;;
                    busybox-static:arm64=1:1.35.0-4+b1) /bin/cp "%s" . ;;
                    *) echo "E: no $4"; exit 100 ;;
                esac
                echo "dlstatus:1:100.0000:Retrieving file 1 of 1"
                """.formatted(log, kdeb, bdeb));
        return bin;
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private List<String> aptCalls() throws IOException {
        Path log = tmp.resolve("apt.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    @Test
    void firstUseAsksAptThenTheCacheAnswersWithoutIt() throws IOException {
        Path bin = fakeApt("i386 arm64");
        Path cache = tmp.resolve("cache");
        List<String> steps = new ArrayList<>();
        List<Double> percents = new ArrayList<>();
        ProgressListener recorder = new ProgressListener() {
            @Override public void step(String message) { steps.add(message); }
            @Override public void percent(double p) { percents.add(p); }
        };
        GuestImage g = new DefaultGuest(cache, new Apt(bin.toString())).get(recorder);
        assertEquals(TestDebs.RELEASE, g.kernelVersion());
        assertEquals(List.of(
                "apt-cache depends linux-image-arm64:arm64",
                "apt-cache policy linux-image-6.1.0-99-arm64-unsigned:arm64",
                "apt-cache policy linux-image-6.1.0-99-arm64-unsigned:arm64 busybox-static:arm64",
                "apt-get download -o APT::Status-Fd=1 linux-image-6.1.0-99-arm64-unsigned:arm64=6.1.999-1 in mode 777",
                "apt-get download -o APT::Status-Fd=1 busybox-static:arm64=1:1.35.0-4+b1 in mode 777"), aptCalls(),
                "the newest ABI the metapackage depends on, -unsigned, downloaded in a directory apt's _apt user can write");
        assertEquals(List.of(0.0, 42.5, 100.0, 0.0, 42.5, 100.0), percents.subList(0, 6), "apt's dlstatus lines");
        List<Double> unpacking = percents.subList(6, percents.size());
        assertFalse(unpacking.isEmpty());
        assertTrue(unpacking.stream().allMatch(p -> p > 0 && p <= 100), unpacking.toString());
        assertTrue(steps.contains("unpacking " + TestDebs.KERNEL_PKG + " " + TestDebs.KERNEL_VERSION), steps.toString());
        assertTrue(steps.contains("downloading busybox-static 1:1.35.0-4+b1"), steps.toString());
        assertTrue(Files.isRegularFile(cache.resolve("debs/busybox-static_1%3a1.35.0-4+b1_arm64.deb")));
        try (var left = Files.list(cache)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".")).toList(), "no temporary files left");
        }

        Files.delete(tmp.resolve("apt.log"));
        GuestImage again = new DefaultGuest(cache, new Apt(bin.toString())).get(ProgressListener.NONE);
        assertEquals(g, again);
        assertEquals(List.of(), aptCalls(), "a cache hit calls no apt");

        // a new recipe (here: more home files) is built from the cached packages, still without apt
        Path progs = Files.createDirectories(tmp.resolve("progs"));
        Files.writeString(progs.resolve("x"), "x");
        GuestImage rebuilt = new DefaultGuest(cache, new Apt(bin.toString())).withHomeFiles(progs).get(ProgressListener.NONE);
        assertNotEquals(g.initrd(), rebuilt.initrd());
        assertEquals(List.of(), aptCalls());
    }

    @Test
    void aNewRecipeNeedsOnlyTheUnpackedKernelNotItsPackage(@TempDir Path progs) throws IOException {
        Path cache = tmp.resolve("cache");
        GuestImage plain = DefaultGuest.fromDebs(TestDebs.kernelDeb(tmp.resolve("in")), TestDebs.busyboxDeb(tmp.resolve("in")), cache);
        try (var debs = Files.list(cache.resolve("debs"))) {
            for (Path deb : debs.filter(d -> d.getFileName().toString().startsWith("linux-image")).toList()) Files.delete(deb);
        }
        Files.writeString(progs.resolve("data"), "data");
        GuestImage g = new DefaultGuest(cache, new Apt(tmp.resolve("nothing").toString())).withHomeFiles(progs).get(ProgressListener.NONE);
        assertEquals(plain.kernel(), g.kernel());
        Map<String, Newc.Entry> e = initramfs(g);
        assertEquals("data", e.get("home/root/data").text());
        assertEquals(initramfs(plain).get("lib/modules/load-order").text(), e.get("lib/modules/load-order").text());
        assertArrayEquals(initramfs(plain).get(MODULES + "fs/ext4/ext4.ko").data(), e.get(MODULES + "fs/ext4/ext4.ko").data());
    }

    @Test
    void aCacheFilledFromDebsIsUsedWithoutApt() throws IOException {
        Path bin = fakeApt("arm64");
        Path cache = tmp.resolve("cache");
        GuestImage g = DefaultGuest.fromDebs(TestDebs.kernelDeb(tmp.resolve("in")), TestDebs.busyboxDeb(tmp.resolve("in")), cache);
        assertEquals(g, new DefaultGuest(cache, new Apt(bin.toString())).get(ProgressListener.NONE));
        assertEquals(g, new DefaultGuest(cache, new Apt(tmp.resolve("nothing").toString())).get(ProgressListener.NONE));
        assertEquals(List.of(), aptCalls());
    }

    @Test
    void withoutAptGetTheMessageSaysToPassTheFiles() {
        GuestImageException e = assertThrows(GuestImageException.class,
                () -> new DefaultGuest(tmp.resolve("cache"), new Apt(tmp.resolve("empty").toString())).get(ProgressListener.NONE));
        assertEquals("jvisor's default guest comes from Debian arm64 packages downloaded with apt-get, which this machine lacks:"
                + " pass -kernel IMAGE -initrd INITRD instead", e.getMessage());
    }

    @Test
    void withoutArm64TheMessageSaysHowToEnableIt() throws IOException {
        Path bin = fakeApt("i386");
        GuestImageException e = assertThrows(GuestImageException.class,
                () -> new DefaultGuest(tmp.resolve("cache"), new Apt(bin.toString())).get(ProgressListener.NONE));
        assertTrue(e.getMessage().contains("run 'dpkg --add-architecture arm64 && apt-get update' as root"), e.getMessage());
        assertTrue(e.getMessage().endsWith("or pass -kernel IMAGE -initrd INITRD instead"), e.getMessage());
        assertEquals(List.of(), aptCalls());
    }

    @Test
    void arm64EnabledButUnknownToAptGivesTheSameMessage() throws IOException {
        Path bin = fakeApt("arm64");
        // apt-cache that has no arm64 lists yet (dpkg --add-architecture without apt-get update)
        script(bin.resolve("apt-cache"), "echo 'E: No packages found' >&2; exit 100\n");
        GuestImageException e = assertThrows(GuestImageException.class,
                () -> new DefaultGuest(tmp.resolve("cache"), new Apt(bin.toString())).get(ProgressListener.NONE));
        assertTrue(e.getMessage().contains("dpkg --add-architecture arm64 && apt-get update"), e.getMessage());
    }

    @Test
    void aKernelWithoutImageMagicIsRefused() throws IOException {
        Map<String, byte[]> files = TestDebs.kernelFiles();
        files.put("boot/vmlinuz-" + TestDebs.RELEASE, new byte[4096]);
        Path deb = TestDebs.write(tmp.resolve("k.deb"), TestDebs.deb(TestDebs.control(TestDebs.KERNEL_PKG, "1"), files, ".xz"));
        GuestImageException e = assertThrows(GuestImageException.class,
                () -> DefaultGuest.fromDebs(deb, TestDebs.busyboxDeb(tmp.resolve("in")), tmp.resolve("cache")));
        assertTrue(e.getMessage().contains("ARM\\x64"), e.getMessage());
    }

    @Test
    void aGzippedVmlinuzIsUnpacked() throws IOException {
        Map<String, byte[]> files = TestDebs.kernelFiles();
        var gz = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(TestDebs.image());
        }
        files.put("boot/vmlinuz-" + TestDebs.RELEASE, gz.toByteArray());
        Path deb = TestDebs.write(tmp.resolve("k.deb"), TestDebs.deb(TestDebs.control(TestDebs.KERNEL_PKG, "1"), files, ".xz"));
        GuestImage g = DefaultGuest.fromDebs(deb, TestDebs.busyboxDeb(tmp.resolve("in")), tmp.resolve("cache"));
        assertArrayEquals(TestDebs.image(), Files.readAllBytes(g.kernel()));
    }
}
