package platform.mongo;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;

/**
 * mongo-java-server answers a query from an index only when the query names exactly the index's
 * keys and nothing else; `{ _id: x, epoch: { $lte: 3 } }` scans the whole collection. MongoDB
 * uses the `_id` index there and checks the rest on the one document it finds. Conditional
 * updates of read models (fenced by a lease epoch, guarded by applied positions) all have that
 * shape, so on this server every such update scanned its collection, under the database's write
 * lock: the longer a run, the slower every write, appends included. This backend does what
 * MongoDB does: an index whose keys the query fixes narrows the candidates, and the whole query
 * is checked on them.
 */
class IndexNarrowingMemoryBackend extends MemoryBackend {
    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
        return new MemoryDatabase(databaseName, getCursorRegistry()) {
            @Override
            protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
                return new NarrowingCollection(this, collectionName, options, cursorRegistry);
            }
        };
    }

    private static final class NarrowingCollection extends MemoryCollection {
        NarrowingCollection(MongoDatabase database, String name, CollectionOptions options, CursorRegistry cursorRegistry) {
            super(database, name, options, cursorRegistry);
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize, Document fieldSelector) {
            for (Index<Integer> index : getIndexes()) {
                Document keys = new Document();
                for (IndexKey key : index.getKeys()) {
                    Object value = query.get(key.getKey());
                    if (value == null) break;
                    keys.put(key.getKey(), value);
                }
                // Only where the query says more than the index keys; the rest the server handles itself.
                if (keys.size() == index.getKeys().size() && keys.size() < query.size() && index.canHandle(keys)) {
                    return matchDocuments(query, index.getPositions(keys), orderBy, numberToSkip, limit, batchSize, fieldSelector);
                }
            }
            return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }
    }
}
