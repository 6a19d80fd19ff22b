/**
 * The default Linux guest: Debian's arm64 kernel and busybox fetched through apt's indexes, modules picked
 * from the kernel package, and an initramfs with jvisor's /init and programs. Needs nothing of the VMM.
 */
package org.jvisor.guest;
