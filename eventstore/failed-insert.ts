import { fillGaps, insertMembers, type Collections, type EventDocument, type GapCause } from './collections';

/**
 * Settles the positions of an insert that failed for a reason other than a unique index (a server
 * error, a timeout, a dropped connection), at once instead of leaving them to the hole sealer that
 * every reader would wait for. How much of such an insert got in is unknown: an ordered insert may
 * have written the first events before it stopped, and one whose answer was lost may still be
 * running on the server. So each planned append is settled as the sealer settles a hole (./gaps.ts):
 *
 * - its first position, the batch's commit point, is claimed with a burned marker. The unique
 *   position index lets exactly one of "the append's first event" and "the marker" in;
 * - where the marker got in, the append is not committed and never will be, so the rest of its
 *   positions are burned too (an ordered insert that arrives late stops at the marker);
 * - where the append's own first event is there, it is committed: the rest of its batch is
 *   finished from the plan (a member already written counts as done). A position that holds an
 *   event is never burned.
 *
 * `spare` are positions reserved for the group that no append was planned at. Returns, per append,
 * whether it is committed (and complete). If this fails too (MongoDB unreachable: the usual
 * reason the insert failed), what it did not settle stays a hole until the sealer fills it after
 * its grace period — the fallback, which finishes committed batches and seals the rest the same way.
 */
export async function settleFailedInsert(
  c: Collections,
  appends: EventDocument[][],
  spare: number[],
  spareCauses: GapCause[] = [],
): Promise<boolean[]> {
  const firsts = appends.map((docs) => docs[0]!);
  const claimed = new Set(
    await fillGaps(
      c,
      firsts.map((d) => d.position),
      'burned',
      'failed_insert',
    ),
  );
  const contested = firsts.filter((d) => !claimed.has(d.position));
  // Refused: something is there. Only this append's own first event makes it committed (a sealer
  // that outran a very slow insert may have put its marker there instead).
  const holders = contested.length
    ? await c.events
        .find(
          { position: { $in: contested.map((d) => d.position) } },
          { projection: { _id: 0, position: 1, 'metadata.eventId': 1 } },
        )
        .toArray()
    : [];
  const committedFirsts = new Set(
    holders
      .filter((h) => contested.some((d) => d.position === h.position && d.metadata.eventId === h.metadata.eventId))
      .map((h) => h.position),
  );
  const committed = firsts.map((d) => committedFirsts.has(d.position));

  // Spare positions keep the cause they were given up for (a repeat moved out of the plan, say).
  const burn = [...spare];
  const causes: GapCause[] = spare.map((_, i) => spareCauses[i] ?? 'failed_insert');
  for (const [i, docs] of appends.entries()) {
    if (committed[i]) {
      if (docs.length > 1) await insertMembers(c, docs.slice(1));
    } else {
      burn.push(...docs.slice(1).map((d) => d.position));
      causes.push(...docs.slice(1).map((): GapCause => 'failed_insert'));
    }
  }
  await fillGaps(c, burn, 'burned', causes);
  return committed;
}
