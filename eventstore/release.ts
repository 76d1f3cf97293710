import { counterIds, fillGaps, type Collections, type GapCause } from './collections';

/** What is needed of a reserved block (./append.ts, `ReservedBlock`): where it ends and when it was reserved. */
interface Block {
  last: number;
  reservedAt: Date;
}

/**
 * A block is given back only this soon after it was reserved. The hole sealer fills a hole with
 * nothing above it once the counter's `reservedAt` is older than its grace period; a sealer that
 * read the counter before a give-back could otherwise mark positions that are no longer handed
 * out. Any grace period well above the longest append (5 s for subscriptions, 30 s advised) is
 * far above this; an append slower than this burns instead.
 */
export const GIVE_BACK_WITHIN_MS = 1_000;

/**
 * Settles positions of `block` that will hold none of its events, so no reader waits on the
 * sealer for them. The run of them that ends at the block's last position is given back to the
 * counter when nothing was reserved after the block: one compare-and-set (`position` still equals
 * the block's last), so the next reservation hands them out again and no marker is written. A
 * reservation made after the block makes the compare fail, and then, like every other position
 * here, they are burned with a gap marker recording `cause`. Positions are strictly increasing
 * along reservations either way: only the very top of the counter is ever given back, and nothing
 * was committed at or above it.
 *
 * `giveBack: false` burns them all: a writer that found one of its slots taken by the sealer is late,
 * and the sealer may be at work above it too.
 *
 * Returns the positions burned. A marker the sealer put at a given-back position is met by the
 * next writer's insert as any sealed slot is: refused on the position index, that writer retries.
 */
export async function releasePositions(
  c: Collections,
  block: Block,
  positions: number[],
  cause: GapCause | GapCause[],
  giveBack = true,
): Promise<number[]> {
  if (positions.length === 0) return [];
  const causes = typeof cause === 'string' ? positions.map(() => cause) : cause;
  const order = positions.map((p, i) => [p, causes[i] ?? 'other'] as const).sort((a, b) => a[0] - b[0]);
  let top = order.length;
  while (top > 0 && order[top - 1]![0] === block.last - (order.length - top)) top--;
  const topCount = order.length - top;
  if (giveBack && topCount > 0 && Date.now() - block.reservedAt.getTime() < GIVE_BACK_WITHIN_MS) {
    // The positions below the top are burned whatever the compare says, so both go at once.
    const below = order.slice(0, top);
    const [given, burned] = await Promise.all([
      c.counters.findOneAndUpdate(
        { _id: counterIds.position, position: block.last },
        { $inc: { position: -topCount } },
        { projection: { _id: 1 } },
      ),
      burn(c, below),
    ]);
    return given ? burned : [...burned, ...(await burn(c, order.slice(top)))];
  }
  return burn(c, order);
}

function burn(c: Collections, marks: ReadonlyArray<readonly [number, GapCause]>): Promise<number[]> {
  return fillGaps(
    c,
    marks.map(([p]) => p),
    'burned',
    marks.map(([, k]) => k),
  );
}
