package org.jvisor.guest;

import java.nio.file.Path;

/**
 * A bootable Linux guest: a raw arm64 {@code Image} (Documentation/arch/arm64/booting.rst) and a gzip'ed newc
 * initramfs. {@code kernelVersion} is the kernel's release, what {@code uname -r} prints in the guest
 * ({@code 6.1.0-56-arm64}).
 */
public record GuestImage(Path kernel, Path initrd, String kernelVersion) {
}
