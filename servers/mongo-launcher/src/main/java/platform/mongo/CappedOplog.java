package platform.mongo;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Cursor;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.oplog.OplogCursor;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real replica set's oplog is a capped collection; this server's grows without bound, and every
 * change-stream poll scans all of it, so polls would get slower the longer the server ran and its
 * memory would grow. This keeps the newest `keep` entries (trimmed four times a second) and, like
 * a real replica set, refuses a change stream whose history is gone: one asked to resume (or start
 * at an operation time) before the oldest entry kept, and one whose cursor fell so far behind that
 * entries it had not read were trimmed, fail with ChangeStreamHistoryLost (code 286), which the
 * driver does not resume from. Without that a stream would go on silently past the lost entries.
 *
 * Every getMore of every change stream filters the whole oplog, so its size is what a change
 * stream costs here: 1,000 entries (two seconds at 500 events/s) cover a change stream that keeps
 * up, and every entry more is scanned by every poll (the measurement is in docs/history.md).
 */
final class CappedOplog implements Oplog {
    static final int DEFAULT_KEEP = 1000;
    static final int CHANGE_STREAM_HISTORY_LOST = 286;
    /** What a MongoDB server says for code 286. */
    static final String HISTORY_LOST_MESSAGE =
        "Resume of change stream was not possible, as the resume point may no longer be in the oplog.";

    private final Oplog delegate;
    private final CursorRegistry cursors;
    private final int keep;
    private MongoCollection<?> collection;
    /** The timestamp of the newest entry trimmed so far (0: none); raised before the entries go. */
    private volatile long trimmedThrough;

    CappedOplog(Oplog delegate, CursorRegistry cursors, int keep) {
        this.delegate = delegate;
        this.cursors = cursors;
        this.keep = keep;
    }

    /** Starts trimming `local.oplog.rs` (the collection the server's oplog writes to); keep <= 0 keeps everything. */
    void startTrimming(MongoCollection<?> oplogCollection) {
        this.collection = oplogCollection;
        if (oplogCollection == null || keep <= 0) return;
        // A store kept on disk may hold an oplog trimmed in an earlier run: whatever came before its
        // oldest entry is gone.
        oplogCollection.queryAllAsStream()
            .mapToLong(d -> ((BsonTimestamp) d.get("ts")).getValue())
            .min()
            .ifPresent(oldest -> trimmedThrough = oldest - 1);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "oplog-cap");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::trim, 250, 250, TimeUnit.MILLISECONDS);
    }

    /** Removes all but the newest `keep` entries. */
    private void trim() {
        try {
            int excess = collection.count() - keep;
            if (excess <= 0) return;
            List<BsonTimestamp> oldest = collection.queryAllAsStream()
                .map(d -> (BsonTimestamp) d.get("ts"))
                .sorted()
                .limit(excess + 1L)
                .toList();
            if (oldest.size() <= excess) return;
            BsonTimestamp newestTrimmed = oldest.get(excess - 1);
            // Raised first: a poll that runs while the entries go already knows they may be gone.
            trimmedThrough = Math.max(trimmedThrough, newestTrimmed.getValue());
            collection.deleteDocuments(new Document("ts", new Document("$lt", oldest.get(excess))), 0);
        } catch (RuntimeException e) {
            System.err.println("mongo-launcher: trimming the oplog failed: " + e);
        }
    }

    @Override
    public Cursor createCursor(Document changeStreamDocument, String namespace, Aggregation aggregation) {
        long head = newest();
        long[] resume = resumePoint(changeStreamDocument);
        // A real server refuses a resume point older than its oldest oplog entry: it cannot tell
        // whether anything between the two was missed.
        if (resume != null && resume[0] <= trimmedThrough) throw historyLost();
        Cursor cursor = delegate.createCursor(changeStreamDocument, namespace, aggregation);
        if (!(cursor instanceof OplogCursor live)) return cursor;
        // A stream that resumes has read through its resume point; a new one starts at the newest entry.
        CheckedCursor checked = new CheckedCursor(live, resume != null ? resume[1] : head);
        cursors.remove(live.getId());
        cursors.add(checked);
        return checked;
    }

    /**
     * Where a change stream asks to pick up, or null for one that starts now: the oldest entry that
     * must still be kept (a resume token's own entry; for startAtOperationTime, that time) and the
     * point the stream has read through.
     */
    private static long[] resumePoint(Document changeStream) {
        for (String key : new String[] {"startAfter", "resumeAfter"}) {
            if (changeStream.get(key) instanceof Document token && token.get("_data") instanceof String data) {
                long at = Long.parseUnsignedLong(data, 16);
                return new long[] {at, at};
            }
        }
        if (changeStream.get("startAtOperationTime") instanceof BsonTimestamp time) {
            return new long[] {time.getValue(), time.getValue() - 1};
        }
        return null;
    }

    private long newest() {
        if (collection == null) return 0;
        return collection.queryAllAsStream().mapToLong(d -> ((BsonTimestamp) d.get("ts")).getValue()).max().orElse(trimmedThrough);
    }

    private static MongoServerError historyLost() {
        return new MongoServerError(CHANGE_STREAM_HISTORY_LOST, "ChangeStreamHistoryLost", HISTORY_LOST_MESSAGE) {
            @Override
            public boolean shouldPrefixCommandContext() {
                return false;
            }
        };
    }

    /**
     * The server's change-stream cursor, which knows how far through the oplog it has read: up to the
     * newest entry when a poll returned everything it found, else up to the last entry returned. When
     * an entry past that point has been trimmed, the cursor has lost history and fails, as a real
     * server's cursor does when the oplog rolls over it. (It stays an OplogCursor: HeldChangeStreamPolls
     * recognises change streams by that type.)
     */
    private final class CheckedCursor extends OplogCursor {
        private final OplogCursor inner;
        private long readThrough;

        CheckedCursor(OplogCursor inner, long readThrough) {
            super(inner.getId(), position -> Stream.empty(), null);
            this.inner = inner;
            this.readThrough = readThrough;
        }

        @Override
        public List<Document> takeDocuments(int numberToReturn) {
            if (trimmedThrough > readThrough) throw lost();
            long head = newest();
            List<Document> documents = inner.takeDocuments(numberToReturn);
            // Trimmed while this poll scanned: what it did not see may be gone.
            if (trimmedThrough > readThrough) throw lost();
            boolean full = numberToReturn > 0 && documents.size() == numberToReturn;
            readThrough = full ? positionOf(documents.get(documents.size() - 1)) : Math.max(readThrough, head);
            return documents;
        }

        private MongoServerError lost() {
            cursors.remove(getId());
            return historyLost();
        }

        private static long positionOf(Document changeEvent) {
            return Long.parseUnsignedLong((String) ((Document) changeEvent.get("_id")).get("_data"), 16);
        }
    }

    @Override
    public void handleInsert(String namespace, List<Document> documents) {
        delegate.handleInsert(namespace, documents);
    }

    @Override
    public void handleUpdate(String namespace, Document selector, Document query, List<Object> modifiedIds) {
        delegate.handleUpdate(namespace, selector, query, modifiedIds);
    }

    @Override
    public void handleDelete(String namespace, Document query, List<Object> deletedIds) {
        delegate.handleDelete(namespace, query, deletedIds);
    }

    @Override
    public void handleDropCollection(String namespace) {
        delegate.handleDropCollection(namespace);
    }
}
