package org.jvisor.vmm;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.vmm.net.NetBackend;
import org.jvisor.vmm.net.Nic;
import org.jvisor.vmm.virtio.VirtioNet;

/**
 * The board's configuration as a snapshot keeps it: a snapshot is restored on a board built as the one that
 * was saved (same RAM, vCPUs, GIC and devices in the same order, the same networks), whatever the command
 * line says now. {@link BoardConfig}'s record components are the list of what is kept, each written by its
 * type (records within it, such as a {@link Nic} and its network, by theirs), so a field added to the
 * record is saved without a change here.
 */
final class SavedBoardConfig {
    /** The longest list (disks, NICs, forwarded ports) and string a snapshot may hold. */
    private static final int MAX_ITEMS = 64, MAX_STRING = 1 << 16;
    /**
     * Components the machine's saved state does not depend on: what was loaded at boot (now in RAM) and
     * where the RTC's time comes from. A loadvm into a board that differs in them is taken.
     */
    private static final Set<String> NOT_STATE = Set.of("kernel", "initrd", "bootargs", "rtcOffset", "rtcStart");
    /** The only components, at any depth, that may be absent (no kernel file: a restored board's; the RTC on the host's time). */
    private static final Set<String> MAY_BE_NULL = Set.of("kernel", "initrd", "rtcStart");

    private SavedBoardConfig() {}

    static void write(BoardConfig c, StateWriter w) {
        w.tag("board");
        writeValue(w, BoardConfig.class, c);
    }

    static BoardConfig read(StateReader r) {
        r.tag("board");
        BoardConfig c = (BoardConfig) readValue(r, BoardConfig.class);
        long ram = c.ramSize();
        if (ram < BoardConfig.MIN_RAM || ram > BoardConfig.MAX_RAM || (ram & 0xfff) != 0) throw new StateException("bad RAM size " + ram);
        if (c.cpus() < 1 || c.cpus() > BoardConfig.MAX_CPUS) throw new StateException("bad vCPU count " + c.cpus());
        if (c.gicVersion() != 2 && c.gicVersion() != 3) throw new StateException("bad GIC version " + c.gicVersion());
        for (Nic n : c.nics())
            if (n.mtu() < VirtioNet.MIN_MTU || n.mtu() > NetBackend.MAX_FRAME - 14) throw new StateException("bad MTU " + n.mtu());
        return c;
    }

    /** How machine {@code saved} differs from {@code current} in what its snapshot's state depends on; null if it does not. */
    static String difference(BoardConfig saved, BoardConfig current) {
        for (RecordComponent rc : BoardConfig.class.getRecordComponents()) {
            if (NOT_STATE.contains(rc.getName())) continue;
            Object a = get(rc, saved), b = get(rc, current);
            if (!Objects.equals(a, b)) return rc.getName() + " " + a + ", here " + b;
        }
        return null;
    }

    private static Object get(RecordComponent rc, Object record) {
        try {
            return rc.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException(e); // a record's public accessor
        }
    }

    private static void writeValue(StateWriter w, Type type, Object v) {
        Class<?> c = raw(type);
        if (c == long.class) w.putLong((Long) v);
        else if (c == int.class) w.putInt((Integer) v);
        else if (c == boolean.class) w.putBoolean((Boolean) v);
        else if (c == String.class) w.putString((String) v);
        else {
            w.putBoolean(v != null);
            if (v == null) return;
            if (c == Path.class) w.putString(v.toString());
            else if (c == Duration.class) w.putLong(((Duration) v).getSeconds()).putInt(((Duration) v).getNano());
            else if (c == Instant.class) w.putLong(((Instant) v).getEpochSecond()).putInt(((Instant) v).getNano());
            else if (c == List.class) {
                List<?> list = (List<?>) v;
                w.putInt(list.size());
                for (Object e : list) writeValue(w, ((ParameterizedType) type).getActualTypeArguments()[0], e);
            } else if (c == SocketAddress.class) {
                if (v instanceof UnixDomainSocketAddress u) w.putBoolean(true).putString(u.getPath().toString());
                else if (v instanceof InetSocketAddress i) w.putBoolean(false).putString(i.getHostString()).putInt(i.getPort());
                else throw new IllegalArgumentException("cannot save a " + v.getClass().getName());
            } else if (c.isSealed()) {
                w.putInt(List.of(c.getPermittedSubclasses()).indexOf(v.getClass()));
                writeValue(w, v.getClass(), v);
            } else if (c.isRecord()) {
                for (RecordComponent rc : c.getRecordComponents()) writeValue(w, rc.getGenericType(), get(rc, v));
            } else {
                throw new IllegalArgumentException("cannot save a " + c.getName()); // a new kind of component: teach it here
            }
        }
    }

    private static Object readValue(StateReader r, Type type) {
        Class<?> c = raw(type);
        if (c == long.class) return r.getLong();
        if (c == int.class) return r.getInt();
        if (c == boolean.class) return r.getBoolean();
        if (c == String.class) return r.getString(MAX_STRING);
        if (!r.getBoolean()) return null;
        if (c == Path.class) return path(r.getString(MAX_STRING));
        if (c == Duration.class) return Duration.ofSeconds(r.getLong(), r.getInt(0, 999_999_999, "nanoseconds"));
        if (c == Instant.class) {
            try {
                return Instant.ofEpochSecond(r.getLong(), r.getInt(0, 999_999_999, "nanoseconds"));
            } catch (java.time.DateTimeException e) {
                throw new StateException("bad instant in the board configuration");
            }
        }
        if (c == List.class) {
            int n = r.getInt(0, MAX_ITEMS, "list length");
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < n; i++) list.add(readValue(r, ((ParameterizedType) type).getActualTypeArguments()[0]));
            return list;
        }
        if (c == SocketAddress.class) {
            if (r.getBoolean()) return UnixDomainSocketAddress.of(path(r.getString(MAX_STRING)));
            String host = r.getString(MAX_STRING);
            int port = r.getInt(0, 65535, "port");
            if (host == null) throw new StateException("bad address in the board configuration");
            return new InetSocketAddress(host, port); // as the command line made it (a name is looked up again)
        }
        if (c.isSealed()) {
            Class<?>[] kinds = c.getPermittedSubclasses();
            return readValue(r, kinds[r.getInt(0, kinds.length - 1, c.getSimpleName())]);
        }
        RecordComponent[] rcs = c.getRecordComponents();
        Object[] values = new Object[rcs.length];
        Class<?>[] types = new Class<?>[rcs.length];
        for (int i = 0; i < rcs.length; i++) {
            values[i] = readValue(r, rcs[i].getGenericType());
            types[i] = rcs[i].getType();
            if (values[i] == null && !MAY_BE_NULL.contains(rcs[i].getName()))
                throw new StateException("bad board configuration: no " + rcs[i].getName());
        }
        try {
            return c.getDeclaredConstructor(types).newInstance(values);
        } catch (InvocationTargetException e) {
            throw new StateException("bad board configuration: " + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e); // every kind written above is a record with its canonical constructor
        }
    }

    private static Class<?> raw(Type t) {
        return t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) t;
    }

    private static Path path(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException | NullPointerException e) {
            throw new StateException("bad path in the board configuration");
        }
    }
}
