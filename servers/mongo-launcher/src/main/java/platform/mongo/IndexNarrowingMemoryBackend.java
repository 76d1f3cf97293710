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
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * mongo-java-server answers a query from an index only when the query names exactly the index's
 * keys and nothing else; `{ _id: x, epoch: { $lte: 3 } }` scans the whole collection. MongoDB
 * uses the `_id` index there and checks the rest on the one document it finds. Conditional
 * updates of read models (fenced by a lease epoch, guarded by applied positions) all have that
 * shape, so on this server every such update scanned its collection, under the database's write
 * lock: the longer a run, the slower every write, appends included. This backend does what
 * MongoDB does: an index whose keys the query fixes narrows the candidates, and the whole query
 * is checked on them. The same holds for a compound index one of whose keys the query gives as an
 * `$in` list, `{ streamId: s, version: { $in: [1, 2, 4] } }`: MongoDB looks up each combination in
 * the index; this server scanned. Each combination is looked up here too.
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
                Collection<Integer> candidates = positionsForInList(index, query);
                if (candidates != null) return matchDocuments(query, candidates, orderBy, numberToSkip, limit, batchSize, fieldSelector);
            }
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

        /**
         * The positions of every document the index holds for the query's combinations of key values, when
         * the query fixes every key of a compound index and gives exactly one of them as a plain `$in` list;
         * null when it does not have that shape.
         */
        private Collection<Integer> positionsForInList(Index<Integer> index, Document query) {
            List<IndexKey> keys = index.getKeys();
            if (keys.size() < 2) return null;
            String listed = null;
            List<?> values = null;
            for (IndexKey key : keys) {
                Object value = query.get(key.getKey());
                if (value == null) return null;
                if (value instanceof Document) {
                    Document operator = (Document) value;
                    if (listed != null || operator.size() != 1 || !(operator.get("$in") instanceof List)) return null;
                    listed = key.getKey();
                    values = (List<?>) operator.get("$in");
                }
            }
            if (listed == null) return null;
            Set<Integer> positions = new LinkedHashSet<>();
            for (Object value : values) {
                // A nested document or array in the list is left to the server's own matching.
                if (value instanceof Document || value instanceof List || value == null) return null;
                Document exact = new Document();
                for (IndexKey key : keys) exact.put(key.getKey(), key.getKey().equals(listed) ? value : query.get(key.getKey()));
                if (!index.canHandle(exact)) return null;
                for (Integer position : index.getPositions(exact)) positions.add(position);
            }
            return new ArrayList<>(positions);
        }
    }
}
