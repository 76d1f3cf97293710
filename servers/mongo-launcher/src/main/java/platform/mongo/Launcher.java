package platform.mongo;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;

import java.io.File;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Starts mongo-java-server with its oplog enabled so that change streams work.
 *
 * Usage: Launcher --port 27017 [--host 127.0.0.1] [--backend memory|h2] [--file data/mongo.mv] [--oplog-keep 1000]
 *        [--cursor-timeout-ms 600000] [--event-loops 512]
 *
 * Prints one line "mongo-launcher listening on host:port" once the socket is bound; the Node side
 * waits for that line instead of polling the port.
 */
public final class Launcher {
    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        String host = options.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(options.getOrDefault("port", "27017"));
        String backendName = options.getOrDefault("backend", "memory");
        int keep = Integer.parseInt(options.getOrDefault("oplog-keep", String.valueOf(CappedOplog.DEFAULT_KEEP)));
        long cursorTimeoutMs = Long.parseLong(options.getOrDefault("cursor-timeout-ms", String.valueOf(IdleCursorReaper.DEFAULT_TIMEOUT_MS)));
        // Set when the server enables its oplog (createOplog), trimmed from then on.
        CappedOplog[] capped = new CappedOplog[1];

        AbstractMongoBackend backend;
        switch (backendName) {
            case "memory" -> backend = new IndexNarrowingMemoryBackend() {
                @Override
                protected Oplog createOplog() {
                    return capped[0] = new CappedOplog(new CommittedInsertsOplog(this, super.createOplog()), getCursorRegistry(), keep);
                }

                private final IdleCursorReaper reaper = new IdleCursorReaper(getCursorRegistry(), cursorTimeoutMs);

                {
                    reaper.start();
                }

                @Override
                public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
                    return reaper.command(command, query, () -> super.handleCommand(channel, databaseName, command, query));
                }

                @Override
                protected Document handleGetMore(String databaseName, String command, Document query) {
                    return HeldChangeStreamPolls.hold(getCursorRegistry(), databaseName, command, query, () -> super.handleGetMore(databaseName, command, query));
                }
            };
            case "h2" -> {
                String file = options.get("file");
                if (file == null) {
                    fail("--backend h2 needs --file <path>");
                    return;
                }
                File parent = new File(file).getAbsoluteFile().getParentFile();
                if (parent != null && !parent.exists() && !parent.mkdirs()) {
                    fail("cannot create directory " + parent);
                }
                backend = new H2Backend(file) {
                    @Override
                    protected Oplog createOplog() {
                        return capped[0] = new CappedOplog(new CommittedInsertsOplog(this, super.createOplog()), getCursorRegistry(), keep);
                    }

                    private final IdleCursorReaper reaper = new IdleCursorReaper(getCursorRegistry(), cursorTimeoutMs);

                    {
                        reaper.start();
                    }

                    @Override
                    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
                        return reaper.command(command, query, () -> super.handleCommand(channel, databaseName, command, query));
                    }

                    @Override
                    protected Document handleGetMore(String databaseName, String command, Document query) {
                        return HeldChangeStreamPolls.hold(getCursorRegistry(), databaseName, command, query, () -> super.handleGetMore(databaseName, command, query));
                    }
                };
            }
            default -> {
                fail("unknown backend '" + backendName + "' (expected memory or h2)");
                return;
            }
        }

        MongoServer server = new MongoServer(backend);
        // Change streams read the oplog; without this, watch() fails on this server.
        server.enableOplog();
        capped[0].startTrimming(backend.resolveDatabase("local").resolveCollection("oplog.rs", false));
        // One event loop per connection (netty hands connections to loops in turn): a held change-stream
        // poll blocks its loop, which must not delay another connection's commands.
        server.bind(new InetSocketAddress(host, port), 1, Integer.parseInt(options.getOrDefault("event-loops", "512")));

        // SIGTERM/SIGINT run shutdown hooks: closing the backend flushes the H2 store to disk.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            System.out.println("mongo-launcher stopped");
        }));

        System.out.println("mongo-launcher listening on " + host + ":" + port + " backend=" + backendName);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                fail("bad argument '" + arg + "'; usage: --port N [--host H] [--backend memory|h2] [--file PATH] [--oplog-keep N] [--cursor-timeout-ms N] [--event-loops N]");
            }
            options.put(arg.substring(2), args[++i]);
        }
        return options;
    }

    private static void fail(String message) {
        System.err.println("mongo-launcher: " + message);
        System.exit(2);
    }
}
