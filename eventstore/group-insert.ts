import { committed, documents, originalResult, streamHead, type PreparedAppend, type ReservedBlock } from './append';
import {
  causeOfRefusal,
  duplicateKey,
  insertMembers,
  positionsBetween,
  type Collections,
  type DuplicateOn,
  type EventDocument,
  type GapCause,
} from './collections';
import { WrongExpectedVersionError } from './errors';
import { settleFailedInsert } from './failed-insert';
import { forgetVersion } from './lookups';
import { releasePositions } from './release';
import type { AppendResult } from './types';

/** A refused append (a sealer took its slot, or an `any` race) is retried this often. */
const MAX_ATTEMPTS = 100;

/** An append waiting in a group (./group-commit.ts). */
export interface Pending extends PreparedAppend {
  ids: string[];
  attempts: number;
  /** Carries ids this process saw committed (decided once per group): most likely a repeat. */
  suspect: boolean;
  /** The append this one follows: it is written only once that one is in the log, never without it. */
  leader?: Pending;
  /** Settled: written (or found written by an earlier run), or failed. */
  outcome: 'pending' | 'written' | 'failed';
  /** Why it failed (what an append that follows it is refused with). */
  failure?: unknown;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

export interface Planned {
  request: Pending;
  docs: EventDocument[];
  version: number;
  headTimestamp: Date | null;
  /** Stamped on its events: the block's reservation, never earlier than the stream's last event. */
  timestamp: Date;
}

/**
 * Inserts a group's planned appends into its block, in one ordered insertMany on the usual path,
 * and settles each of them: committed, refused (answered as a lone append would be, or left in
 * `later` for the next group), or failed. `needed` is how many positions the plan takes; the rest
 * of the block (reserved alongside the lookups for appends that turned out to be repeats, the first
 * `repeatEvents` of them, or refused on their version) is given back or burned with the positions
 * of appends refused on insert, before anything refused is answered.
 */
export async function insertPlanned(
  c: Collections,
  block: ReservedBlock,
  plan: Planned[],
  needed: number,
  repeatEvents: number,
  later: Pending[],
): Promise<void> {
  // Positions of the block no append will hold end up at its top, with why: first those reserved
  // alongside the lookups and not planned (the repeats the lookups found, then appends refused or
  // held back on their version), then those of appends refused on insert.
  const tailCauses: GapCause[] = positionsBetween(needed + 1, block.last - block.first + 1).map((_, i) =>
    i < repeatEvents ? 'repeat' : 'version_conflict',
  );
  const answers: Array<() => Promise<void>> = [];
  let giveBack = true;
  let cursor = block.first;
  let rest = plan;
  while (rest.length > 0) {
    const end = place(rest, cursor, block.reservedAt);
    let refusal: ReturnType<typeof duplicateKey> = null;
    try {
      await c.events.insertMany(
        rest.flatMap((p) => p.docs).map((d) => ({ ...d })),
        { ordered: true },
      );
    } catch (err) {
      refusal = duplicateKey(err);
      if (!refusal) return failedInsert(c, rest, positionsBetween(end, block.last), tailCauses, err, answers);
    }
    if (!refusal) {
      for (const p of rest) p.request.resolve(committed(c, p.docs, p.request.callerIds));
      cursor = end;
      break;
    }

    // An ordered insert stops at the refused document: the appends before it are committed.
    const refusedAt = cursor + refusal.at;
    const behind: Planned[] = [];
    let refused: Planned | undefined;
    for (const p of rest) {
      const { request, docs } = p;
      const first = docs[0]!.position;
      const last = docs.at(-1)!.position;
      if (last < refusedAt) request.resolve(committed(c, docs, request.callerIds));
      else if (first < refusedAt) {
        // Refused after its first event: the append is committed; finish it as anyone would.
        await settle(request, async () => {
          await insertMembers(
            c,
            docs.filter((d) => d.position >= refusedAt),
          );
          return committed(c, docs, request.callerIds);
        });
        cursor = last + 1;
      } else if (first === refusedAt) refused = p;
      else behind.push(p);
    }
    if (!refused) {
      rest = followersHeld(behind, later, tailCauses);
      continue;
    }
    const on = refusal.on;
    answers.push(() => answerRefused(c, refused.request, on, later));
    if (on === 'position' || on === 'other') {
      // The slot is taken (a sealer outran this group): nothing behind it is written here; they go
      // again in the next group with fresh positions, and the rest of the block is burned.
      for (const p of behind) later.push(p.request);
      tailCauses.unshift(...positionsBetween(refusedAt, block.last - tailCauses.length).map((): GapCause => 'other'));
      cursor = refusedAt;
      giveBack = false;
      break;
    }
    // A repeat or a version conflict writes nothing, so the appends behind it move down into its
    // positions instead of leaving them empty. Those of its stream were planned after its versions:
    // they wait for the next group and are judged against what is committed.
    cursor = refusedAt;
    rest = [];
    for (const p of behind) {
      if (p.request.streamId === refused.request.streamId) {
        later.push(p.request);
        tailCauses.unshift(...p.docs.map(() => causeOfRefusal(on)));
      } else rest.push(p);
    }
    tailCauses.unshift(...refused.docs.map(() => causeOfRefusal(on)));
    rest = followersHeld(rest, later, tailCauses);
  }
  // Settled before the refused appends and the repeats are answered, so whoever they answer finds no hole.
  await releasePositions(c, block, positionsBetween(cursor, block.last), tailCauses, giveBack);
  for (const answer of answers) await answer();
}

/**
 * Leaves out of a write every append that follows an append neither written yet nor ahead of it
 * in this write (and the appends of its stream behind it, planned on its versions): they wait for
 * the next group, where the leader's outcome is known. An ordered insert that stops at a refused
 * leader so never carries its follower in without it.
 */
export function leadersFirst<T extends { request: Pending }>(items: T[], later: Pending[]): T[] {
  const ahead = new Set<Pending>();
  const held = new Set<string>();
  return items.filter(({ request }) => {
    const leader = request.leader;
    if (held.has(request.streamId) || (leader && leader.outcome !== 'written' && !ahead.has(leader))) {
      held.add(request.streamId);
      later.push(request);
      return false;
    }
    ahead.add(request);
    return true;
  });
}

/** `leadersFirst` within an insert: what it holds back leaves its planned positions to the block's tail. */
function followersHeld(rest: Planned[], later: Pending[], tailCauses: GapCause[]): Planned[] {
  const kept = leadersFirst(rest, later);
  for (const p of rest) if (!kept.includes(p)) tailCauses.unshift(...p.docs.map((): GapCause => 'other'));
  return kept;
}

/** Places the appends one after another from `first`; returns the position after the last. */
function place(appends: Planned[], first: number, reservedAt: Date): number {
  let next = first;
  for (const p of appends) {
    const start = next;
    next += p.request.prepared.length;
    p.docs = documents(
      p.request.streamId,
      p.request.streamType,
      p.request.prepared,
      p.version,
      { first: start, last: next - 1, reservedAt },
      p.timestamp,
      p.request.shared,
    );
  }
  return next;
}

/** An append refused on insert, answered as a lone append would be: a twin's result, a version conflict, or another attempt in the next group. */
async function answerRefused(c: Collections, request: Pending, outcome: DuplicateOn, later: Pending[]): Promise<void> {
  await settle(request, async () => {
    if (outcome === 'stream_version') forgetVersion(c.lookups, request.streamId);
    const replayed = await originalResult(c, request.streamId, request.ids);
    if (replayed) return replayed;
    if (outcome === 'stream_version' && request.expected !== 'any') {
      throw new WrongExpectedVersionError(
        request.streamId,
        request.expected,
        (await streamHead(c, request.streamId)).version,
      );
    }
    if (++request.attempts >= MAX_ATTEMPTS)
      throw new Error(
        `Append to ${request.streamId} gave up after ${request.attempts} attempts (last refused on ${outcome})`,
      );
    later.push(request);
    return null;
  });
}

/**
 * The group's insert failed, and not on a unique index: its positions are settled at once
 * (./failed-insert.ts). The appends whose first event got in are committed and answered as such;
 * the others fail with the insert's error, nothing of them written, so a retry is safe whatever
 * their ids. If settling fails too (MongoDB unreachable), every append of the group fails with the
 * insert's error (thrown from here) and the hole sealer settles the positions after its grace period.
 */
async function failedInsert(
  c: Collections,
  plan: Planned[],
  spare: number[],
  spareCauses: GapCause[],
  err: unknown,
  answers: Array<() => Promise<void>>,
): Promise<void> {
  let committedFlags: boolean[];
  try {
    committedFlags = await settleFailedInsert(
      c,
      plan.map((p) => p.docs),
      spare,
      spareCauses,
    );
  } catch {
    throw err;
  }
  plan.forEach(({ request, docs }, i) =>
    committedFlags[i] ? request.resolve(committed(c, docs, request.callerIds)) : request.reject(err),
  );
  for (const answer of answers) await answer();
}

/** Runs the step that decides one append; its result (or error) settles it, null leaves it pending. */
export async function settle(request: Pending, decide: () => Promise<AppendResult | null>): Promise<void> {
  try {
    const result = await decide();
    if (result) request.resolve(result);
  } catch (err) {
    request.reject(err);
  }
}
