import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Long, MongoClient, MongoServerError, type Db } from 'mongodb';
import { loadConfig } from '../../../config';
import { startStandIn, type MongoServer } from '../../../servers/mongodb';

const TIMEOUT_MS = 600;
/** Long enough past the timeout for the reaper (which looks every quarter of it) to have run several times. */
const IDLE_MS = TIMEOUT_MS * 4;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real mongod kills a cursor that nobody has asked for more from within cursorTimeoutMillis, so
 * a client that abandons cursors does not grow the server for ever. The mongo-java-server stand-in
 * (servers/mongo-launcher) must do the same, and answer a getMore on a killed cursor with
 * CursorNotFound (43) as mongod does. The waits here are the behaviour under test (a cursor left
 * idle for a known time), not synchronisation.
 */
describe(`the MongoDB stand-in's cursors, killed after ${TIMEOUT_MS} ms idle`, () => {
  let server: MongoServer;
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    const config = loadConfig({
      ...process.env,
      MONGODB_URI: undefined,
      MONGODB_STANDIN_CURSOR_TIMEOUT: `${TIMEOUT_MS}ms`,
    });
    server = await startStandIn({ config, progress: () => {} });
    client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    db = client.db('cursor_timeout');
    await db.collection('things').insertMany(Array.from({ length: 50 }, (_, n) => ({ n })));
  }, 240_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  /** Opens a cursor on `things` holding more than its first batch; its id. */
  const openCursor = async (options: { noCursorTimeout?: boolean } = {}): Promise<Long> => {
    const answer = await db.command({ find: 'things', filter: {}, sort: { n: 1 }, batchSize: 2, ...options });
    const id = (answer.cursor as { id: Long }).id;
    expect(Long.fromValue(id).isZero(), 'the cursor stays open after its first batch').toBe(false);
    return id;
  };
  const getMore = (id: Long) => db.command({ getMore: id, collection: 'things', batchSize: 2 });
  const failureOf = async (id: Long): Promise<MongoServerError | null> => {
    try {
      await getMore(id);
      return null;
    } catch (err) {
      if (err instanceof MongoServerError) return err;
      throw err;
    }
  };

  it('kills a cursor left idle longer than the timeout, and answers its getMore with CursorNotFound', async () => {
    const id = await openCursor();
    await pause(IDLE_MS);
    const error = await failureOf(id);
    expect(error, 'a getMore on a cursor idle past the timeout').not.toBeNull();
    expect(error!.code).toBe(43);
    expect(error!.codeName).toBe('CursorNotFound');
  });

  it('keeps a cursor that is used more often than the timeout, however long it lives', async () => {
    const id = await openCursor();
    for (let i = 0; i < 8; i++) {
      await pause(TIMEOUT_MS / 3);
      const answer = await getMore(id);
      expect((answer.cursor as { nextBatch: unknown[] }).nextBatch).toHaveLength(2);
    }
  });

  it('keeps a cursor opened with noCursorTimeout, as mongod does', async () => {
    const id = await openCursor({ noCursorTimeout: true });
    await pause(IDLE_MS);
    expect(await failureOf(id)).toBeNull();
  });

  it('times a cursor from its last getMore, not from when it was opened', async () => {
    const id = await openCursor();
    await pause(TIMEOUT_MS / 2);
    await getMore(id);
    await pause(IDLE_MS);
    expect((await failureOf(id))?.code).toBe(43);
  });
});
