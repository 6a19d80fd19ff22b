package org.jvisor.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jvisor.guest.Apt;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.GuestImageException;
import org.jvisor.guest.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prepares the default guest that {@code run} boots when given no kernel, and says where it is. */
@Command(name = "guest", description = "Obtain jvisor's default Linux guest and print where it is: Debian's arm64 kernel"
        + " and busybox-static, downloaded with the host's apt-get on first use, with an initramfs built by jvisor, all cached"
        + " in $XDG_CACHE_HOME/jvisor (or ~/.cache/jvisor).",
        footer = {"%nBooting it explicitly (the paths in the default cache need no quotes):",
            "  ./jvisor run $(./jvisor guest --args) -append console=ttyAMA0",
            "$(...) alone does not read the quotes of a path that needs them; eval does, for any path:",
            "  eval \"./jvisor run $(./jvisor guest --args) -append console=ttyAMA0\""})
final class GuestCommand implements Runnable {
    @Option(names = "--update", description = "Ask apt for the current packages instead of using the cached choice.")
    boolean update;

    @Option(names = "--home", paramLabel = "DIR", description = "Also copy the files below DIR into the guest's /home/root.")
    Path home;

    @Option(names = "--args", description = "Print only the arguments that boot this guest, -kernel FILE -initrd FILE,"
            + " for jvisor run and qemu-system-aarch64 alike; a path with characters a POSIX shell would act on"
            + " (spaces, quotes, $, *) is single-quoted: see below.")
    boolean args;

    @Override
    public void run() {
        DefaultGuest guest = new DefaultGuest(DefaultGuest.userCacheDir(), Apt.system());
        if (home != null) guest = guest.withHomeFiles(home);
        GuestImage image;
        try {
            ProgressListener progress = ProgressListener.console();
            image = update ? guest.update(progress) : guest.get(progress);
        } catch (GuestImageException e) {
            throw new UserError(e.getMessage());
        } catch (IOException e) {
            throw new UserError("cannot prepare the default guest in " + guest.cacheDir() + ": " + e);
        }
        if (args) {
            System.out.println(ShellWords.join(List.of("-kernel", image.kernel().toAbsolutePath().toString(),
                    "-initrd", image.initrd().toAbsolutePath().toString())));
            return;
        }
        System.out.println("kernel  " + image.kernel());
        System.out.println("initrd  " + image.initrd());
        System.out.println("release " + image.kernelVersion());
    }
}
