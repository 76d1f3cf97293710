package platform.mongo;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;

import java.io.File;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Starts mongo-java-server with its oplog enabled so that change streams work.
 *
 * Usage: Launcher --port 27017 [--host 127.0.0.1] [--backend memory|h2] [--file data/mongo.mv] [--oplog-keep 1000] [--event-loops 512]
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

        AbstractMongoBackend backend;
        switch (backendName) {
            case "memory" -> backend = new IndexNarrowingMemoryBackend() {
                @Override
                protected Oplog createOplog() {
                    return new CommittedInsertsOplog(this, super.createOplog());
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
                        return new CommittedInsertsOplog(this, super.createOplog());
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
        capOplog(backend, Integer.parseInt(options.getOrDefault("oplog-keep", "1000")));
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

    /**
     * A real replica set's oplog is a capped collection; this server's grows without bound, and every
     * change-stream poll scans all of it, so polls would get slower the longer the server ran (and
     * its memory would grow). Keeping only the newest entries makes it behave like the capped oplog: a change
     * stream that falls further behind than that misses notifications, exactly as a real one whose
     * resume point has left the oplog, and readers that go by event position lose nothing.
     * Every getMore of every change stream filters the whole oplog, so its size is what a change
     * stream costs here: 1,000 entries (two seconds at 500 events/s, trimmed four times a second)
     * cover a change stream that keeps up, and every entry more is scanned by every poll (the
     * measurement is in docs/history.md).
     */
    private static void capOplog(AbstractMongoBackend backend, int keep) {
        MongoCollection<?> oplog = backend.resolveDatabase("local").resolveCollection("oplog.rs", false);
        if (oplog == null || keep <= 0) return;
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "oplog-cap");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                int excess = oplog.count() - keep;
                if (excess <= 0) return;
                BsonTimestamp cut = oplog.queryAllAsStream()
                    .map(d -> (BsonTimestamp) d.get("ts"))
                    .sorted()
                    .skip(excess)
                    .findFirst()
                    .orElse(null);
                if (cut != null) oplog.deleteDocuments(new Document("ts", new Document("$lt", cut)), 0);
            } catch (RuntimeException e) {
                System.err.println("mongo-launcher: trimming the oplog failed: " + e);
            }
        }, 250, 250, TimeUnit.MILLISECONDS);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                fail("bad argument '" + arg + "'; usage: --port N [--host H] [--backend memory|h2] [--file PATH]");
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
