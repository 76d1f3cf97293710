package platform.mongo;

import de.bwaldvogel.mongo.backend.Cursor;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.OplogCursor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A MongoDB replica set holds an empty change-stream `getMore` open until a write arrives or its
 * `maxTimeMS` passes (1 s when the client sends none). mongo-java-server answers at once, so every
 * watcher either spins (the driver's `watch().on('change')` polls again immediately, burning the
 * server's CPU) or pauses between polls and adds up to the pause to every event's latency. This
 * makes the stand-in behave like the real server: an empty change-stream poll waits, and any oplog
 * write wakes every waiting poll.
 *
 * The wait blocks the connection's event-loop thread, which is what a held poll means for that
 * connection; the launcher binds with one event loop per expected connection so a held poll never
 * delays another connection's commands.
 */
final class HeldChangeStreamPolls {
    /** MongoDB's default wait for an awaitData getMore without maxTimeMS. */
    private static final long DEFAULT_AWAIT_MS = 1000;

    private static final Object writes = new Object();
    /** Writes per namespace ("db.collection"); a held poll wakes only for writes to the collection it watches. */
    private static final Map<String, Long> writeCounts = new HashMap<>();

    private HeldChangeStreamPolls() {
    }

    /** Called after every oplog entry is recorded, with the namespace written to. */
    static void written(String namespace) {
        synchronized (writes) {
            writeCounts.merge(namespace, 1L, Long::sum);
            writes.notifyAll();
        }
    }

    /** Runs `getMore`, and while it answers an empty change-stream batch, waits for a write to the watched collection and asks again. */
    static Document hold(CursorRegistry cursors, String databaseName, String command, Document query, Supplier<Document> getMore) {
        if (!isChangeStream(cursors, query.get(command))) return getMore.get();
        Object asked = query.get("maxTimeMS");
        long awaitMs = asked instanceof Number n && n.longValue() > 0 ? n.longValue() : DEFAULT_AWAIT_MS;
        long deadline = System.nanoTime() + awaitMs * 1_000_000L;
        // A collection's change stream names its collection in getMore; a database or cluster one
        // does not, and wakes for every write.
        Object collection = query.get("collection");
        String watched = collection instanceof String c && !c.startsWith("$") ? databaseName + "." + c : null;
        while (true) {
            long seen;
            synchronized (writes) {
                seen = countOf(watched);
            }
            Document answer = getMore.get();
            if (!isEmptyBatch(answer)) return answer;
            synchronized (writes) {
                // Wait until the watched collection is written to (a write between the poll and
                // here counts: then poll again at once), or the time is up.
                while (countOf(watched) == seen) {
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0) return answer;
                    try {
                        writes.wait(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return answer;
                    }
                }
            }
        }
    }

    private static long countOf(String namespace) {
        if (namespace == null) return writeCounts.values().stream().mapToLong(Long::longValue).sum();
        return writeCounts.getOrDefault(namespace, 0L);
    }

    private static boolean isChangeStream(CursorRegistry cursors, Object cursorId) {
        if (!(cursorId instanceof Number id)) return false;
        try {
            Cursor cursor = cursors.getCursor(id.longValue());
            return cursor instanceof OplogCursor;
        } catch (RuntimeException notFound) {
            // The server's own getMore reports the unknown cursor.
            return false;
        }
    }

    private static boolean isEmptyBatch(Document answer) {
        if (!(answer.get("cursor") instanceof Document cursor)) return false;
        Object id = cursor.get("id");
        if (id instanceof Number n && n.longValue() == 0) return false;
        return cursor.get("nextBatch") instanceof List<?> batch && batch.isEmpty();
    }
}
