import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, MongoServerError, type ChangeStream, type Db, type ResumeToken } from 'mongodb';
import { loadConfig } from '../../../config';
import type { Logger } from '../../../infra/logger';
import { watchLog } from '../../../readside/engine/log-watcher';
import { startStandIn, type MongoServer } from '../../../servers/mongodb';
import { waitFor } from '../../helpers/wait-for';

const KEEP = 20;

/** A change stream whose cursor is open: watch() alone sends nothing, so a write before its first poll goes unseen. */
async function opened<T extends ChangeStream>(stream: T): Promise<T> {
  expect(await stream.tryNext()).toBeNull();
  return stream;
}

/** The first change a stream delivers, polling until it comes. */
async function nextChange(stream: ChangeStream): Promise<{ _id: ResumeToken; fullDocument?: { n?: number } }> {
  return waitFor('a change', async () => (await stream.tryNext()) as { _id: ResumeToken } | null, 10_000);
}

/** What the server answers to the stream's first poll: null when it opened, the error when it refused. */
async function refusal(stream: ChangeStream): Promise<MongoServerError | null> {
  try {
    await stream.tryNext();
    return null;
  } catch (err) {
    if (err instanceof MongoServerError) return err;
    throw err;
  } finally {
    await stream.close();
  }
}

/**
 * A real replica set's oplog is capped, and a change stream that asks for history it no longer
 * holds fails with ChangeStreamHistoryLost (286) rather than silently skipping what was lost. The
 * mongo-java-server stand-in (servers/mongo-launcher) must do both, or a long run grows its memory
 * without bound and a reader far behind never learns it missed notifications.
 */
describe(`the MongoDB stand-in's oplog, capped at ${KEEP} entries`, () => {
  let server: MongoServer;
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    const config = loadConfig({ ...process.env, MONGODB_URI: undefined, MONGODB_STANDIN_OPLOG_ENTRIES: String(KEEP) });
    server = await startStandIn({ config, progress: () => {} });
    client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    db = client.db('oplog_cap');
  }, 240_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  const oplog = () => client.db('local').collection<{ o?: { _id?: unknown } }>('oplog.rs');
  const writePastTheCap = async (collection: string, from: number) => {
    for (let n = from; n < from + KEEP * 3; n++) await db.collection(collection).insertOne({ n });
    await waitFor('the oplog trimmed to its cap', async () => (await oplog().countDocuments({})) <= KEEP, 10_000);
  };

  it('keeps only the newest entries, and refuses to resume from a token older than the oldest', async () => {
    const things = db.collection<{ n: number }>('things');
    const first = await opened(things.watch([], { maxAwaitTimeMS: 200 }));
    await things.insertOne({ n: 0 });
    const oldest = await nextChange(first);
    await first.close();
    const { insertedId } = await things.insertOne({ n: 1 });

    await writePastTheCap('things', 2);
    expect(await oplog().countDocuments({})).toBeLessThanOrEqual(KEEP);
    expect(await oplog().countDocuments({ 'o._id': insertedId }), 'the oldest history is gone').toBe(0);

    for (const resume of [{ resumeAfter: oldest._id }, { startAfter: oldest._id }]) {
      const error = await refusal(things.watch([], resume));
      expect(error, `${Object.keys(resume)[0]} an entry no longer kept`).not.toBeNull();
      expect(error!.code).toBe(286);
      expect(error!.codeName).toBe('ChangeStreamHistoryLost');
    }

    // A token still in the oplog resumes as before.
    const recent = await opened(things.watch([], { maxAwaitTimeMS: 200 }));
    await things.insertOne({ n: 1000 });
    const kept = await nextChange(recent);
    await recent.close();
    await things.insertOne({ n: 1001 });
    const resumed = things.watch([], { resumeAfter: kept._id });
    try {
      expect((await nextChange(resumed)).fullDocument?.n).toBe(1001);
    } finally {
      await resumed.close();
    }
  });

  it('fails a live change stream that fell behind further than the oplog reaches', async () => {
    const things = db.collection<{ n: number }>('behind');
    const live = await opened(things.watch([], { maxAwaitTimeMS: 200 }));
    try {
      await things.insertOne({ n: 0 });
      await nextChange(live);
      await writePastTheCap('behind', 1);
      const error = await live.tryNext().then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).code).toBe(286);
    } finally {
      await live.close();
    }
  });

  it("is what the read side's log watcher recovers from: it reopens without the token and hears new appends", async () => {
    const events = db.collection<{ position: number; type: string }>('events');
    const first = await opened(events.watch([], { maxAwaitTimeMS: 200 }));
    await events.insertOne({ position: 1, type: 'Probe' });
    const lost = (await nextChange(first))._id;
    await first.close();
    await writePastTheCap('events_noise', 0);

    const warnings: string[] = [];
    const log = {
      warn: (obj: { err?: string }, msg: string) => warnings.push(`${msg}: ${obj.err}`),
    } as unknown as Logger;
    const watcher = watchLog(db, log, { startAfter: lost });
    let appends = 0;
    watcher.onAppend(() => appends++);
    try {
      await waitFor(
        'the watcher to give up the lost token',
        () => watcher.resumeToken() === null && warnings.length > 0,
      );
      expect(warnings[0]).toMatch(/resume point may no longer be in the oplog/);
      await waitFor('the reopened stream to deliver a new append', async () => {
        await events.insertOne({ position: 2 + appends, type: 'Probe' });
        return watcher.highest() !== Infinity && watcher.highest() >= 2;
      });
    } finally {
      await watcher.close();
    }
  });
});
