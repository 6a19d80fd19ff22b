package org.jvisor.vmm.fdt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a flattened device tree blob as the Devicetree Specification v0.4, chapter 5, defines it:
 * header (version 17, last compatible version 16), memory reservation block, structure block, strings
 * block; every value big-endian, every token 4-byte aligned. Nodes are written depth first, as
 * libfdt's sequential-write mode does: {@link #beginNode}, its properties, its children, {@link #endNode}.
 *
 * <pre>
 * FdtBuilder fdt = new FdtBuilder();
 * int gic = fdt.allocatePhandle();            // referenced before the node that owns it is written
 * fdt.beginNode("");                          // the root
 * fdt.property("interrupt-parent", gic);
 * fdt.beginNode("intc@8000000").property("interrupt-controller").phandle(gic).endNode();
 * byte[] dtb = fdt.endNode().finish();
 * </pre>
 *
 * Misuse (a property after a child node or outside any node, an unbalanced {@code endNode}, a second
 * root, a repeated name, a phandle allocated but never given to a node) throws
 * {@link IllegalStateException}; bad names or values throw {@link IllegalArgumentException}.
 */
public final class FdtBuilder {
    public static final int MAGIC = 0xd00dfeed;
    public static final int VERSION = 17, LAST_COMP_VERSION = 16;
    static final int HEADER_SIZE = 40;
    static final int FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_END = 9;
    /** DTSpec 2.2.1 and 2.2.4: names are 1 to 31 characters. */
    private static final int MAX_NAME = 31;

    private final ByteArrayOutputStream struct = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new HashMap<>();
    private final List<long[]> reservations = new ArrayList<>();
    private final Deque<OpenNode> open = new ArrayDeque<>();
    private boolean rootDone, finished;
    private int bootCpuidPhys;
    private int nextPhandle = 1;
    private final BitSet phandlesGiven = new BitSet();

    private static final class OpenNode {
        final String name;
        final Set<String> properties = new HashSet<>();
        final Set<String> children = new HashSet<>();
        boolean hasChildren;

        OpenNode(String name) { this.name = name; }
    }

    /** Opens a node; the first one is the root and must be named "". */
    public FdtBuilder beginNode(String name) {
        checkWritable();
        if (open.isEmpty()) {
            if (rootDone) throw new IllegalStateException("the tree already has its root node");
            if (!name.isEmpty()) throw new IllegalStateException("the first node is the root and has the empty name, not '" + name + "'");
        } else {
            checkNodeName(name);
            OpenNode parent = open.peek();
            if (!parent.children.add(name)) throw new IllegalStateException("node " + path() + " already has a child '" + name + "'");
            parent.hasChildren = true;
        }
        putInt(struct, FDT_BEGIN_NODE);
        putString(struct, name);
        align(struct);
        open.push(new OpenNode(name));
        return this;
    }

    public FdtBuilder endNode() {
        checkWritable();
        if (open.isEmpty()) throw new IllegalStateException("endNode() without an open node");
        putInt(struct, FDT_END_NODE);
        open.pop();
        if (open.isEmpty()) rootDone = true;
        return this;
    }

    /** An empty property: a boolean such as {@code interrupt-controller} or {@code dma-coherent}. */
    public FdtBuilder property(String name) {
        return property(name, new byte[0]);
    }

    /** A property of 32-bit cells. */
    public FdtBuilder property(String name, int... cells) {
        byte[] v = new byte[cells.length * 4];
        for (int i = 0; i < cells.length; i++) putInt(v, 4 * i, cells[i]);
        return property(name, v);
    }

    /** A property of 64-bit values, each two cells, most significant first. */
    public FdtBuilder propertyU64(String name, long... values) {
        byte[] v = new byte[values.length * 8];
        for (int i = 0; i < values.length; i++) {
            putInt(v, 8 * i, (int) (values[i] >>> 32));
            putInt(v, 8 * i + 4, (int) values[i]);
        }
        return property(name, v);
    }

    /** A string, or a string list: each string NUL-terminated, one after the other. */
    public FdtBuilder property(String name, String... values) {
        if (values.length == 0) throw new IllegalArgumentException("property " + name + ": a string list needs at least one string");
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        for (String s : values) {
            if (s.indexOf('\0') >= 0) throw new IllegalArgumentException("property " + name + ": a string may not contain NUL");
            putString(v, s);
        }
        return property(name, v.toByteArray());
    }

    /** A property with exactly these bytes as its value. */
    public FdtBuilder property(String name, byte[] value) {
        checkWritable();
        OpenNode node = open.peek();
        if (node == null) throw new IllegalStateException("property " + name + " outside any node");
        if (node.hasChildren) throw new IllegalStateException("property " + name + " of " + path() + " after a child node (DTSpec 5.4.2: properties come first)");
        checkPropertyName(name);
        if (!node.properties.add(name)) throw new IllegalStateException("node " + path() + " already has a property " + name);
        putInt(struct, FDT_PROP);
        putInt(struct, value.length);
        putInt(struct, stringOffset(name));
        struct.writeBytes(value);
        align(struct);
        return this;
    }

    /** A new phandle, unique in this tree, for a node to declare with {@link #phandle(int)}. */
    public int allocatePhandle() {
        checkWritable();
        return nextPhandle++;
    }

    /** Gives the open node a phandle obtained from {@link #allocatePhandle()}. */
    public FdtBuilder phandle(int handle) {
        if (handle <= 0 || handle >= nextPhandle) throw new IllegalStateException("phandle " + handle + " was not allocated by this builder");
        if (phandlesGiven.get(handle)) throw new IllegalStateException("phandle " + handle + " already belongs to another node");
        property("phandle", handle);
        phandlesGiven.set(handle);
        return this;
    }

    /** Adds an entry to the memory reservation block: memory the client program must not use. */
    public FdtBuilder reserveMemory(long address, long size) {
        checkWritable();
        if (size == 0) throw new IllegalArgumentException("an empty reservation would end the reservation block");
        reservations.add(new long[] {address, size});
        return this;
    }

    /** The header's boot_cpuid_phys: the reg value of the boot CPU's node. */
    public FdtBuilder bootCpuidPhys(int id) {
        checkWritable();
        bootCpuidPhys = id;
        return this;
    }

    /** The blob. The builder can no longer be used. */
    public byte[] finish() {
        checkWritable();
        if (!open.isEmpty()) throw new IllegalStateException("node " + path() + " is still open");
        if (!rootDone) throw new IllegalStateException("the tree has no root node");
        int unassigned = phandlesGiven.nextClearBit(1);
        if (unassigned < nextPhandle) throw new IllegalStateException("phandle " + unassigned + " was allocated but no node declares it");
        putInt(struct, FDT_END);
        finished = true;

        // The reservation map holds 64-bit values and must be 8-byte aligned (DTSpec 5.3); the header is 40 bytes.
        int offRsvmap = HEADER_SIZE;
        int rsvSize = (reservations.size() + 1) * 16;
        int offStruct = offRsvmap + rsvSize;
        int offStrings = offStruct + struct.size();
        int total = offStrings + strings.size();
        byte[] blob = new byte[total];
        putInt(blob, 0, MAGIC);
        putInt(blob, 4, total);
        putInt(blob, 8, offStruct);
        putInt(blob, 12, offStrings);
        putInt(blob, 16, offRsvmap);
        putInt(blob, 20, VERSION);
        putInt(blob, 24, LAST_COMP_VERSION);
        putInt(blob, 28, bootCpuidPhys);
        putInt(blob, 32, strings.size());
        putInt(blob, 36, struct.size());
        int p = offRsvmap;
        for (long[] r : reservations) {
            putLong(blob, p, r[0]);
            putLong(blob, p + 8, r[1]);
            p += 16;
        }
        System.arraycopy(struct.toByteArray(), 0, blob, offStruct, struct.size());
        System.arraycopy(strings.toByteArray(), 0, blob, offStrings, strings.size());
        return blob;
    }

    private int stringOffset(String name) {
        Integer off = stringOffsets.get(name);
        if (off == null) {
            off = strings.size();
            putString(strings, name);
            stringOffsets.put(name, off);
        }
        return off;
    }

    private void checkWritable() {
        if (finished) throw new IllegalStateException("finish() was already called");
    }

    private String path() {
        if (open.size() <= 1) return "/";
        StringBuilder sb = new StringBuilder();
        var it = open.descendingIterator();
        it.next();
        while (it.hasNext()) sb.append('/').append(it.next().name);
        return sb.toString();
    }

    /** DTSpec 2.2.1: node-name[@unit-address], the name from [0-9a-zA-Z,._+-] starting with a letter. */
    private static void checkNodeName(String name) {
        int at = name.indexOf('@');
        String base = at < 0 ? name : name.substring(0, at);
        if (base.isEmpty() || base.length() > MAX_NAME || !Character.isLetter(base.charAt(0)) || !allIn(base, ",._+-"))
            throw new IllegalArgumentException("invalid node name '" + name + "'");
        if (at >= 0 && (at == name.length() - 1 || !allIn(name.substring(at + 1), ",._+-")))
            throw new IllegalArgumentException("invalid unit address in node name '" + name + "'");
    }

    /** DTSpec 2.2.4: 1 to 31 characters from [0-9a-zA-Z,._+?#-]. */
    private static void checkPropertyName(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME || !allIn(name, ",._+?#-"))
            throw new IllegalArgumentException("invalid property name '" + name + "'");
    }

    private static boolean allIn(String s, String punctuation) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || punctuation.indexOf(c) >= 0;
            if (!ok) return false;
        }
        return true;
    }

    private static void putString(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }

    private static void align(ByteArrayOutputStream out) {
        while ((out.size() & 3) != 0) out.write(0);
    }

    private static void putInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }
}
