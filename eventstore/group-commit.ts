import {
  burnBlock,
  findByEventIds,
  lookUpIdsFirst,
  matchesExpected,
  originalResult,
  reservePositions,
  streamHead,
  type PreparedAppend,
  type ReservedBlock,
} from './append';
import { insertPlanned, leadersFirst, settle, type Pending, type Planned } from './group-insert';
import { positionsBetween, type Collections } from './collections';
import { LeaderNotWrittenError, WrongExpectedVersionError } from './errors';
import { knownHead, likelyRepeat, type StreamHead } from './lookups';
import { releasePositions } from './release';
import type { AppendResult } from './types';

/**
 * Group commit: the appends that arrive while one group is being written wait and go together
 * in the next one, with one position reservation and one ordered insert (./group-insert.ts). On
 * the usual path that is all: an append whose stream this process knows (it expects the version
 * the process wrote or read last, or `any`) or that expects an empty stream is written without a
 * lookup, and a single event's ids are checked by the unique indexes on insert. Only the rest is
 * looked up first (one idempotency lookup for the group's batches and ids this process saw
 * committed, one stream-head lookup per stream it cannot vouch for, all in parallel: one round
 * trip); where those lookups cannot refuse an append for its version, the positions are reserved in
 * the same round trip. A lone append costs what it did alone; concurrent appends share the round
 * trips instead of queueing on the server's write lock one by one.
 *
 * Semantics are those of appending one by one in the group's order:
 * - an expected version is checked against the stream as the appends ahead of it in the group
 *   leave it; one that only fails because of an append ahead of it in the same group waits for
 *   the next group, so it is judged against what was actually committed;
 * - an append whose event ids repeat an earlier one is answered from the log (or waits a group if
 *   its twin is in the same group), exactly as a lone append;
 * - an ordered insert stops at the first refused document: what is before it is committed, the
 *   refused append is handled as a lone append would be (a twin, a version conflict, or a retry),
 *   and the appends behind it move down into its positions and are inserted again (those of its
 *   stream, and all of them after a slot taken by the sealer, go in the next group). Every
 *   position reserved and not used is given back or burned at once (./release.ts), so readers
 *   never wait on the hole sealer for it;
 * - an insert that fails otherwise (a server error, a lost connection) has its positions settled
 *   at once too, as the sealer would settle them (./failed-insert.ts).
 */

/** At most this many events go in one group (an ordered insert of that size is one round trip). */
export const MAX_EVENTS_PER_GROUP = 500;

export interface GroupCommitter {
  submit(request: PreparedAppend): Promise<AppendResult>;
  /**
   * Two appends, the second written only if the first is: in the same group and the same ordered
   * insert, right behind it, on the usual path (one reservation and one insert for both). Where the
   * first is refused or fails, the second fails with LeaderNotWrittenError and nothing of it is
   * written; where the first is found already written (a repeat), the second follows in a later group.
   */
  submitPair(
    first: PreparedAppend,
    second: PreparedAppend,
  ): { first: Promise<AppendResult>; second: Promise<AppendResult> };
}

/**
 * Two groups may be in flight at once, on different streams: while one group's insert is on its
 * way, the appends that arrived meanwhile reserve and write theirs, so the server is not left idle
 * between one group's answer and the next group's first request. An append whose stream is in a
 * group in flight waits for that group, so each stream still sees its appends one group at a time.
 */
const GROUPS_IN_FLIGHT = 2;

export function groupCommitter(c: Collections): GroupCommitter {
  const queue: Pending[] = [];
  const busy = new Set<string>();
  let inFlight = 0;

  function pump(): void {
    while (inFlight < GROUPS_IN_FLIGHT) {
      const group = takeGroup(queue, busy);
      if (group.length === 0) return;
      inFlight++;
      const streams = new Set(group.map((p) => p.streamId));
      for (const s of streams) busy.add(s);
      void commitGroup(c, group)
        .catch((err: unknown) => {
          // Unexpected (the server unreachable, say): every append of the group fails with it.
          // Those that may have been written are safe to retry with their ids (see README).
          for (const p of group) p.reject(err);
          return [] as Pending[];
        })
        .then((retry) => {
          for (const s of streams) busy.delete(s);
          inFlight--;
          queue.unshift(...retry);
          pump();
        });
    }
  }

  const enqueue = (request: PreparedAppend, leader?: Pending): { pending: Pending; result: Promise<AppendResult> } => {
    let pending!: Pending;
    const result = new Promise<AppendResult>((resolve, reject) => {
      pending = {
        ...request,
        ids: request.prepared.map((p) => p.eventId),
        attempts: 0,
        suspect: false,
        leader,
        outcome: 'pending',
        resolve: (r) => {
          pending.outcome = 'written';
          resolve(r);
        },
        reject: (err) => {
          pending.outcome = 'failed';
          pending.failure = err;
          // The append's own error, passed on as the store produced it.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(err);
        },
      };
    });
    queue.push(pending);
    return { pending, result };
  };

  return {
    submit(request) {
      const { result } = enqueue(request);
      pump();
      return result;
    },
    submitPair(first, second) {
      const lead = enqueue(first);
      const follow = enqueue(second, lead.pending);
      pump();
      return { first: lead.result, second: follow.result };
    },
  };
}

/**
 * The next group, in queue order: appends whose stream is not in a group in flight, up to
 * MAX_EVENTS_PER_GROUP events. Once one append of a stream is left behind, so are the later ones
 * of that stream, so a stream's appends never overtake each other.
 */
function takeGroup(queue: Pending[], busy: ReadonlySet<string>): Pending[] {
  const held = new Set(busy);
  const taken: Pending[] = [];
  let events = 0;
  const failed: Pending[] = [];
  for (const p of queue) {
    if (held.has(p.streamId)) continue;
    if (p.leader && p.leader.outcome !== 'written' && !taken.includes(p.leader)) {
      // Its leader failed: it is never written. Still pending elsewhere: it waits, and so does its stream.
      if (p.leader.outcome === 'failed') failed.push(p);
      else held.add(p.streamId);
      continue;
    }
    if (taken.length > 0 && events + p.prepared.length > MAX_EVENTS_PER_GROUP) {
      held.add(p.streamId);
      continue;
    }
    taken.push(p);
    events += p.prepared.length;
  }
  for (const p of failed) p.reject(new LeaderNotWrittenError(p.streamId, p.leader!.streamId, p.leader!.failure));
  const chosen = new Set([...taken, ...failed]);
  const rest = queue.filter((p) => !chosen.has(p));
  queue.length = 0;
  queue.push(...rest);
  return taken;
}

/** Writes one group; settles every append in it except those it returns, which go in the next group. */
async function commitGroup(c: Collections, group: Pending[]): Promise<Pending[]> {
  const later: Pending[] = [];
  const members = withoutTwins(group, later);
  if (members.length === 0) return later;
  // Independent, so one round trip: which appends repeat earlier ones, and where each stream is
  // (nothing to ask on the usual path). Where the lookups cannot refuse an append for its version
  // (it expects `any`, the version this process knows the stream at, or an empty stream it knows
  // nothing against), positions are reserved in that same round trip; a repeat then gives back or
  // burns what it reserved (the rare path). Any other append is judged before anything is reserved
  // for it, so a stale one this process can tell is stale writes nothing. An append with ids this
  // process saw committed is most likely a repeat: nothing is reserved for it before its lookup
  // says otherwise.
  for (const p of members) p.suspect = p.callerIds && likelyRepeat(c.lookups, p.ids);
  const total = members.reduce((n, p) => n + (p.suspect ? 0 : p.prepared.length), 0);
  const early =
    total > 0 && members.every((p) => p.expected === 'any' || knownHead(c.lookups, p.streamId, p.expected))
      ? reservePositions(c, total)
      : null;
  const [{ fresh, repeats }, heads, earlyBlock] = await allOrBurn(
    c,
    answerRepeats(c, members),
    streamHeads(c, members),
    early,
  );
  const { plan: planned, stale } = planVersions(fresh, heads, later);
  // Refused on its version before anything is written for it, unless it repeats an earlier append.
  await Promise.all(stale.map(({ request, version }) => refuseStale(c, request, version)));
  const plan = leadersFirst(planned, later);
  const needed = plan.reduce((n, p) => n + p.request.prepared.length, 0);
  const reserved = earlyBlock && (await stillAhead(c, earlyBlock, plan, heads, needed));
  if (!reserved && needed === 0) return settleRepeats(c, repeats, later, group);
  const block = reserved ?? (await reservePositions(c, needed));
  const timestamps = new Map<string, Date>();
  for (const p of plan) {
    const last = timestamps.get(p.request.streamId) ?? p.headTimestamp;
    // Never earlier than the stream's last event, so "as of a time" is always a prefix of the stream.
    p.timestamp = last && last > block.reservedAt ? last : block.reservedAt;
    timestamps.set(p.request.streamId, p.timestamp);
  }
  const repeatEvents = repeats.reduce((n, p) => n + (p.suspect ? 0 : p.prepared.length), 0);
  await insertPlanned(c, block, plan, needed, repeatEvents, later);
  return settleRepeats(c, repeats, later, group);
}

/**
 * The block reserved alongside the lookups, or null once it is given back. Another process may
 * have reserved after it and committed to one of these streams before the lookup read it; the
 * append after that event would then take a lower position than the event, and within a stream
 * positions must follow versions. Such a block is burned (before anything of the group is
 * answered), and the group reserves anew: a reservation made now lies after every event read.
 */
async function stillAhead(
  c: Collections,
  block: ReservedBlock,
  plan: Planned[],
  heads: Map<string, StreamHead>,
  needed: number,
): Promise<ReservedBlock | null> {
  if (plan.every((p) => heads.get(p.request.streamId)!.position < block.first)) {
    if (needed <= block.last - block.first + 1) return block;
    // An append this process thought a repeat is not one (the log was replaced under it): the block
    // is too small for the group, which reserves anew.
    await releasePositions(c, block, positionsBetween(block.first, block.last), 'other');
    return null;
  }
  await burnBlock(c, block, 'other');
  return null;
}

/** Repeats get the original append's result (or the error a lone append would get); then what is left for the next group, in order. */
async function settleRepeats(
  c: Collections,
  repeats: Pending[],
  later: Pending[],
  group: Pending[],
): Promise<Pending[]> {
  for (const p of repeats) await settle(p, () => originalResult(c, p.streamId, p.ids));
  return later.sort((a, b) => group.indexOf(a) - group.indexOf(b));
}

/** The first steps of a group, together; if one fails, positions already reserved are burned before it fails. */
async function allOrBurn<R, H>(
  c: Collections,
  repeats: Promise<R>,
  heads: Promise<H>,
  reserved: Promise<ReservedBlock> | null,
): Promise<[R, H, ReservedBlock | null]> {
  const [r, h, b] = await Promise.allSettled([repeats, heads, reserved]);
  if (r.status === 'fulfilled' && h.status === 'fulfilled' && b.status === 'fulfilled')
    return [r.value, h.value, b.value];
  if (b.status === 'fulfilled' && b.value) await burnBlock(c, b.value, 'other').catch(() => {});
  throw [r, h, b].find((x): x is PromiseRejectedResult => x.status === 'rejected')!.reason;
}

/** A second append with an id already in the group waits for the next one, where the first is in the log. */
function withoutTwins(group: Pending[], later: Pending[]): Pending[] {
  const seen = new Set<string>();
  return group.filter((p) => {
    if (p.ids.some((id) => seen.has(id))) {
      later.push(p);
      return false;
    }
    for (const id of p.ids) seen.add(id);
    return true;
  });
}

/** Whether the append's ids are looked up with the group's lookups (./append.ts, `lookUpIdsFirst`). */
const lookedUpFirst = (p: Pending): boolean => lookUpIdsFirst(p, p.suspect);

/** Splits off the appends whose ids are already in the log (answered by `settleRepeats`). */
async function answerRepeats(c: Collections, group: Pending[]): Promise<{ fresh: Pending[]; repeats: Pending[] }> {
  const ids = group.filter(lookedUpFirst).flatMap((p) => p.ids);
  if (ids.length === 0) return { fresh: group, repeats: [] };
  const found = new Set((await findByEventIds(c, ids)).map((d) => d.metadata.eventId));
  const isRepeat = (p: Pending) => lookedUpFirst(p) && p.ids.some((id) => found.has(id));
  return { fresh: group.filter((p) => !isRepeat(p)), repeats: group.filter(isRepeat) };
}

/** Where each stream of the group is: known in this process, or looked up (all in parallel). */
async function streamHeads(c: Collections, group: Pending[]): Promise<Map<string, StreamHead>> {
  const streams = [...new Set(group.map((p) => p.streamId))];
  return new Map(
    await Promise.all(
      streams.map(async (s) => {
        const first = group.find((p) => p.streamId === s)!;
        return [
          s,
          knownHead(c.lookups, s, first.expected) ??
            (await streamHead(c, s, typeof first.expected === 'number' ? first.expected : undefined)),
        ] as const;
      }),
    ),
  );
}

/**
 * Each append's place in its stream, as the appends ahead of it in the group leave the stream; and
 * the appends whose expected version the stream, as committed, is not at.
 */
function planVersions(
  group: Pending[],
  heads: Map<string, StreamHead>,
  later: Pending[],
): { plan: Planned[]; stale: Array<{ request: Pending; version: number }> } {
  const chained = new Map<string, number>();
  const plan: Planned[] = [];
  const stale: Array<{ request: Pending; version: number }> = [];
  for (const request of group) {
    const head = heads.get(request.streamId)!;
    const inGroup = chained.get(request.streamId);
    const version = inGroup ?? head.version;
    if (!matchesExpected(request.expected, version)) {
      // Judged against an append that is not committed yet: wait for the next group.
      if (inGroup !== undefined) later.push(request);
      else stale.push({ request, version });
      continue;
    }
    chained.set(request.streamId, version + request.prepared.length);
    plan.push({ request, docs: [], version, headTimestamp: head.timestamp, timestamp: new Date(0) });
  }
  return { plan, stale };
}

/**
 * An append whose expected version the stream is not at. A single event with ids of the caller's
 * was not looked up (see `lookedUpFirst`): it may repeat an earlier append, which is answered with
 * the original result whatever the stream's version is now. Otherwise a WrongExpectedVersionError.
 */
async function refuseStale(c: Collections, request: Pending, version: number): Promise<void> {
  await settle(request, async () => {
    const replayed =
      request.callerIds && !lookedUpFirst(request) ? await originalResult(c, request.streamId, request.ids) : null;
    if (replayed) return replayed;
    throw new WrongExpectedVersionError(request.streamId, request.expected, version);
  });
}
