package org.jvisor.vmm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The device tree compiler (dtc, fdtget from Debian's device-tree-compiler) as the tests' reference reader of blobs. */
public final class Dtc {
    private Dtc() {}

    public record Result(String out, String err) {}

    public static Result run(List<String> cmd) throws IOException, InterruptedException {
        Path err = Files.createTempFile("dtc", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(cmd + " did not finish");
            }
            String e = Files.readString(err);
            if (p.exitValue() != 0) throw new IOException(cmd + " failed (" + p.exitValue() + "): " + e);
            return new Result(out, e);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** The blob decompiled by dtc; its warnings in err. */
    public static Result decompile(Path dtb) throws IOException, InterruptedException {
        return run(List.of("dtc", "-I", "dtb", "-O", "dts", dtb.toString()));
    }

    /** A property's raw bytes as fdtget reads them. */
    public static byte[] bytes(Path dtb, String node, String prop) throws IOException, InterruptedException {
        String out = run(List.of("fdtget", "-t", "bx", dtb.toString(), node, prop)).out().trim();
        if (out.isEmpty()) return new byte[0];
        String[] parts = out.split("\\s+");
        byte[] b = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) b[i] = (byte) Integer.parseInt(parts[i], 16);
        return b;
    }

    /**
     * dtc's DTS output as path -> (property -> value text, "" for an empty property), in order. Values that
     * are phandles (interrupt-parent, clocks, gpios' first cell) are replaced by the path of the node
     * declaring that phandle, so that trees numbering phandles differently compare equal.
     */
    public static Map<String, Map<String, String>> parse(String dts) {
        Map<String, Map<String, String>> nodes = new LinkedHashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        for (String raw : dts.split("\n")) {
            String line = raw.trim();
            if (line.isEmpty() || line.startsWith("/dts-v1/") || line.startsWith("/memreserve/")) continue;
            if (line.endsWith("{")) {
                String name = line.substring(0, line.length() - 1).trim();
                String path = name.equals("/") ? "/" : (stack.peek().equals("/") ? "" : stack.peek()) + "/" + name;
                stack.push(path);
                nodes.put(path, new LinkedHashMap<>());
            } else if (line.equals("};")) {
                stack.pop();
            } else {
                String body = line.substring(0, line.length() - 1);
                int eq = body.indexOf(" = ");
                if (eq < 0) nodes.get(stack.peek()).put(body, "");
                else nodes.get(stack.peek()).put(body.substring(0, eq), body.substring(eq + 3));
            }
        }
        Map<String, String> byPhandle = new LinkedHashMap<>();
        nodes.forEach((path, props) -> {
            String ph = props.get("phandle");
            if (ph != null) byPhandle.put(ph.replaceAll("[<>]", ""), path);
        });
        for (Map<String, String> props : nodes.values()) {
            for (String key : List.of("interrupt-parent", "clocks")) {
                String v = props.get(key);
                if (v == null) continue;
                List<String> paths = new ArrayList<>();
                for (String cell : v.replaceAll("[<>]", "").split(" ")) paths.add(byPhandle.getOrDefault(cell, "?" + cell));
                props.put(key, String.join(" ", paths));
            }
            props.remove("phandle");
        }
        return nodes;
    }
}
