package org.jvisor.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * The test assembles, links or compiles with the GNU cross toolchain ({@code aarch64-linux-gnu-as}, {@code ld},
 * {@code gcc}, {@code objcopy}, {@code objdump}: Debian's gcc-aarch64-linux-gnu), directly or through {@code Asm}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(Needs.CROSS)
public @interface NeedsCross {}
