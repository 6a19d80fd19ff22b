package org.jvisor.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.jvisor.vmm.Apt;
import org.jvisor.vmm.DefaultGuest;
import org.jvisor.vmm.GuestImage;
import org.jvisor.vmm.GuestImageException;
import org.jvisor.vmm.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prepares the default guest that {@code run} boots when given no kernel, and says where it is. */
@Command(name = "guest", description = "Obtain jvisor's default Linux guest and print where it is: Debian's arm64 kernel"
        + " and busybox-static, downloaded with the host's apt-get on first use, with an initramfs built by jvisor, all cached"
        + " in $XDG_CACHE_HOME/jvisor (or ~/.cache/jvisor).")
final class GuestCommand implements Runnable {
    @Option(names = "--update", description = "Ask apt for the current packages instead of using the cached choice.")
    boolean update;

    @Option(names = "--home", paramLabel = "DIR", description = "Also copy the files below DIR into the guest's /home/root.")
    Path home;

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
        System.out.println("kernel  " + image.kernel());
        System.out.println("initrd  " + image.initrd());
        System.out.println("release " + image.kernelVersion());
    }
}
