package platform.mongo;

import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.bson.Document;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A real mongod kills a cursor nobody has asked for more from within cursorTimeoutMillis (10
 * minutes by default); a client that forgot one costs the server that long, not for ever.
 * mongo-java-server keeps every cursor until it is exhausted or killed, so a client that opens
 * cursors and abandons them grows this server's memory without bound. This does what mongod does:
 * every cursor a command answers with is timed from its last use, a cursor idle longer than the
 * timeout is removed, and a getMore on it then fails with CursorNotFound (code 43), as on mongod.
 *
 * A cursor opened with `noCursorTimeout` is never reaped, as on mongod, and neither is one while
 * a getMore on it is running (a held change-stream poll can last up to its maxTimeMS).
 */
final class IdleCursorReaper {
    /** mongod's default cursorTimeoutMillis. */
    static final long DEFAULT_TIMEOUT_MS = 10 * 60 * 1000L;
    /** A cursor in use (a getMore on it is running) is not timed. */
    private static final long IN_USE = Long.MAX_VALUE;

    private final CursorRegistry cursors;
    private final long timeoutNanos;
    /** Cursor id -> when it was last used (System.nanoTime()), or IN_USE. */
    private final Map<Long, Long> lastUsed = new ConcurrentHashMap<>();

    IdleCursorReaper(CursorRegistry cursors, long timeoutMs) {
        this.cursors = cursors;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    }

    /**
     * Looks for idle cursors at a quarter of the timeout, at most every 4 s (mongod's
     * clientCursorMonitorFrequencySecs) and at least every 50 ms; a timeout <= 0 reaps nothing.
     */
    void start() {
        if (timeoutNanos <= 0) return;
        long everyMs = Math.max(50, Math.min(4_000, TimeUnit.NANOSECONDS.toMillis(timeoutNanos) / 4));
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "cursor-reaper");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::reap, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    /** Runs a command and keeps the books on the cursors it opens, uses, exhausts or kills. */
    Document command(String command, Document query, Supplier<Document> run) {
        if (timeoutNanos <= 0) return run.get();
        if ("getMore".equalsIgnoreCase(command) && query.get(command) instanceof Number id) {
            // Only a cursor still known here is marked: a getMore on a reaped one fails as it should.
            lastUsed.computeIfPresent(id.longValue(), (k, v) -> IN_USE);
            try {
                Document answer = run.get();
                if (cursorIdOf(answer) == 0) lastUsed.remove(id.longValue());
                return answer;
            } finally {
                lastUsed.computeIfPresent(id.longValue(), (k, v) -> System.nanoTime());
            }
        }
        Document answer = run.get();
        if ("killCursors".equalsIgnoreCase(command) && query.get("cursors") instanceof List<?> killed) {
            for (Object id : killed) if (id instanceof Number n) lastUsed.remove(n.longValue());
        } else if (!Boolean.TRUE.equals(query.get("noCursorTimeout"))) {
            long id = cursorIdOf(answer);
            if (id != 0) lastUsed.put(id, System.nanoTime());
        }
        return answer;
    }

    private void reap() {
        long now = System.nanoTime();
        for (Map.Entry<Long, Long> entry : lastUsed.entrySet()) {
            long used = entry.getValue();
            if (used == IN_USE || now - used < timeoutNanos) continue;
            // Removed from the books only if still idle: a getMore may have started meanwhile.
            if (lastUsed.remove(entry.getKey(), used)) cursors.remove(entry.getKey());
        }
    }

    private static long cursorIdOf(Document answer) {
        if (answer != null && answer.get("cursor") instanceof Document cursor && cursor.get("id") instanceof Number id) {
            return id.longValue();
        }
        return 0;
    }
}
