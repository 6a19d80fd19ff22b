import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The host's end of bench/net-throughput.sh: on 127.0.0.1:PORT, takes CONNECTIONS connections one after the
 * other, reads MIB MiB from each and closes it, then prints the bytes and the time from the first byte to
 * the last (after a first line, "listening", once it is). Run with the JDK 25 as a source file: java bench/NetReceiver.java PORT CONNECTIONS MIB.
 */
public class NetReceiver {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]), connections = Integer.parseInt(args[1]);
        long each = Long.parseLong(args[2]) << 20, total = 0, first = 0;
        byte[] buffer = new byte[1 << 20];
        try (ServerSocket server = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            System.out.println("listening");
            for (int c = 0; c < connections; c++) {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    long got = 0;
                    while (got < each) {
                        int n = in.read(buffer, 0, (int) Math.min(buffer.length, each - got));
                        if (n < 0) break;
                        if (first == 0) first = System.nanoTime();
                        got += n;
                    }
                    total += got;
                }
            }
        }
        double seconds = (System.nanoTime() - first) / 1e9;
        System.out.printf("%d bytes in %.2f s: %.2f MB/s%s%n", total, seconds, total / seconds / 1e6,
                total < connections * each ? " (short: a connection was cut)" : "");
    }
}
