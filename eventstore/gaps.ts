import {
  MAX_EVENTS_PER_APPEND,
  completeBatch,
  counterIds,
  fillGaps,
  ignoreDuplicate,
  positionsBetween,
  type Collections,
} from './collections';
import type { SealGapsOptions, SealGapsResult } from './types';

/** Positions looked at per query while looking for holes. */
const SCAN_CHUNK = 1_000;

interface Run {
  first: number;
  last: number;
  /** No position of the run was reserved after this instant (see README, "Holes"). */
  reservedNoLaterThan: Date;
}

/**
 * Fills the holes below the head that are older than the grace period: each missing position
 * gets either the event it was meant for (when the first event of its multi-event append is
 * committed) or a gap marker. A late writer racing the sealer for a position is refereed by the
 * unique position index, and positions are sealed in ascending order, so a batch's first position
 * is claimed before any of its later ones: either its writer committed it (and the batch is
 * finished, not sealed) or the sealer did (and the writer starts over with fresh positions).
 */
export async function sealGaps(c: Collections, options: SealGapsOptions): Promise<SealGapsResult> {
  if (!(Number.isFinite(options.olderThanMs) && options.olderThanMs >= 0))
    throw new RangeError('olderThanMs must be a non-negative number');
  const counter = await c.counters.findOne({ _id: counterIds.position });
  const head = counter?.position ?? 0;
  const sealedUpTo = (await c.counters.findOne({ _id: counterIds.sealed }))?.position ?? 0;
  const result: SealGapsResult = { sealed: [], completed: [], tooYoung: [], headPosition: head };
  if (head <= sealedUpTo) return result;

  const runs: Run[] = [];
  let next = sealedUpTo + 1;
  // Exact positions, a chunk at a time, served by the unique position index on every server
  // (./server-seam.ts, 1).
  for (let from = sealedUpTo + 1; from <= head; from += SCAN_CHUNK) {
    const docs = await c.events
      .find(
        { position: { $in: positionsBetween(from, Math.min(head, from + SCAN_CHUNK - 1)) } },
        { sort: { position: 1 }, projection: { _id: 0, position: 1, 'metadata.timestamp': 1 } },
      )
      .toArray();
    for (const doc of docs) {
      // Positions are reserved in increasing order, so every missing position below this event
      // was reserved no later than this event's own reservation (its timestamp).
      if (doc.position > next)
        runs.push({ first: next, last: doc.position - 1, reservedNoLaterThan: doc.metadata.timestamp });
      next = doc.position + 1;
    }
  }
  if (next <= head) runs.push({ first: next, last: head, reservedNoLaterThan: counter?.reservedAt ?? new Date() });

  const now = Date.now();
  let firstOpen: number | null = null;
  for (const run of runs) {
    if (now - run.reservedNoLaterThan.getTime() < options.olderThanMs) {
      for (let p = run.first; p <= run.last; p++) result.tooYoung.push(p);
      firstOpen ??= run.first;
      continue;
    }
    for (let p = run.first; p <= run.last; p++) {
      // A multi-event append that covers p started less than MAX_EVENTS_PER_APPEND positions
      // before it; its first event (written first) says so. Looked up by exact positions too.
      const batchOwner = await c.events.findOne(
        {
          position: { $in: positionsBetween(Math.max(1, p - MAX_EVENTS_PER_APPEND + 1), p - 1) },
          'batch.lastPosition': { $gte: p },
        },
        { projection: { _id: 0, streamId: 1, 'batch.firstVersion': 1 } },
      );
      if (batchOwner?.batch) {
        result.completed.push(...(await completeBatch(c, batchOwner.streamId, batchOwner.batch.firstVersion)));
        // The batch may have been finished by someone else; the position is filled either way.
      } else {
        result.sealed.push(...(await fillGaps(c, [p], 'sealed', 'crash')));
      }
    }
  }
  // Remember how far everything is filled, so the next call starts there.
  const filledUpTo = firstOpen === null ? head : firstOpen - 1;
  if (filledUpTo > sealedUpTo) {
    const advance = () =>
      c.counters.updateOne({ _id: counterIds.sealed }, { $max: { position: filledUpTo } }, { upsert: true });
    // Two sealers creating the marker at once: the loser's $max still has to land.
    if ((await ignoreDuplicate(advance())) === undefined) await advance();
  }
  result.completed = [...new Set(result.completed)].sort((a, b) => a - b);
  return result;
}
