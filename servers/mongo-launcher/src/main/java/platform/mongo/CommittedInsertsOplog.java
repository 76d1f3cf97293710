package platform.mongo;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.Cursor;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;

import java.util.List;
import java.util.stream.Collectors;

/**
 * mongo-java-server records every document of an insert command in its oplog, including the ones
 * the insert refused (a duplicate key on a unique index, or the rest of an ordered batch after
 * such an error). A change stream then reports inserts that never happened. A real MongoDB
 * replica set writes only committed inserts to its oplog; this decorator makes the stand-in do
 * the same by passing on only the documents that are now stored exactly as they were sent.
 */
final class CommittedInsertsOplog implements Oplog {
    private final MongoBackend backend;
    private final Oplog delegate;

    CommittedInsertsOplog(MongoBackend backend, Oplog delegate) {
        this.backend = backend;
        this.delegate = delegate;
    }

    @Override
    public void handleInsert(String namespace, List<Document> documents) {
        int dot = namespace.indexOf('.');
        MongoDatabase database = dot < 0 ? null : backend.resolveDatabase(namespace.substring(0, dot));
        MongoCollection<?> collection = database == null ? null : database.resolveCollection(namespace.substring(dot + 1), false);
        if (collection == null) {
            delegate.handleInsert(namespace, documents);
            HeldChangeStreamPolls.written(namespace);
            return;
        }
        List<Document> stored = documents.stream()
            .filter(doc -> doc.containsKey("_id"))
            .filter(doc -> collection.handleQueryAsStream(new Document("_id", doc.get("_id"))).anyMatch(doc::equals))
            .collect(Collectors.toList());
        if (!stored.isEmpty()) delegate.handleInsert(namespace, stored);
        HeldChangeStreamPolls.written(namespace);
    }

    @Override
    public void handleUpdate(String namespace, Document selector, Document query, List<Object> modifiedIds) {
        delegate.handleUpdate(namespace, selector, query, modifiedIds);
        HeldChangeStreamPolls.written(namespace);
    }

    @Override
    public void handleDelete(String namespace, Document query, List<Object> deletedIds) {
        delegate.handleDelete(namespace, query, deletedIds);
        HeldChangeStreamPolls.written(namespace);
    }

    @Override
    public void handleDropCollection(String namespace) {
        delegate.handleDropCollection(namespace);
        HeldChangeStreamPolls.written(namespace);
    }

    @Override
    public Cursor createCursor(Document changeStreamDocument, String namespace, Aggregation aggregation) {
        return delegate.createCursor(changeStreamDocument, namespace, aggregation);
    }
}
