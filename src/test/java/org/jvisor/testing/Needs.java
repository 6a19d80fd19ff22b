package org.jvisor.testing;

import java.util.List;

/**
 * The JUnit tags that say what a test needs beyond a JDK (and coreutils, sh and bash, which Maven and
 * ./test need anyway). Tests carry them through the annotations beside this class ({@link NeedsQemu}, ...);
 * the pom's profile {@code unit} ({@code ./test -Dgroups=unit}) excludes them all, and
 * {@code NeedsTagsTest} checks both that list and that tests calling the known helpers carry their tags.
 */
public final class Needs {
    public static final String QEMU = "qemu";
    public static final String CROSS = "cross";
    public static final String GDB = "gdb";
    public static final String DTC = "dtc";
    public static final String GUEST = "guest";
    public static final String TOOLS = "tools";
    public static final String LINUX = "linux";
    public static final String PASST = "passt";

    /** Every tag above: a test with none of them needs only a JDK. */
    public static final List<String> ALL = List.of(QEMU, CROSS, GDB, DTC, GUEST, TOOLS, LINUX, PASST);

    private Needs() {}
}
