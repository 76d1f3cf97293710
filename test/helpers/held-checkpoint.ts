import type { Db } from 'mongodb';
import { checkpoints } from '../../readside/engine/checkpoints';
import { checkpointIdOf, projectionState } from '../../readside/projections/generations';
import { waitFor } from './wait-for';

/**
 * A projection's checkpoint, once it has reached `position`, with a way to hold it back at 0 (as a
 * checkpoint written lazily is, for a while): a read that answers while it is held did not wait for
 * it. The projector, with nothing new to apply, writes no position meanwhile.
 */
export async function checkpointOf(db: Db, projection: string, position: number) {
  const { active } = await projectionState(db, projection);
  const id = checkpointIdOf(projection, active);
  const cps = checkpoints(db);
  const written = await waitFor(`the ${projection} checkpoint at ${position}`, async () => {
    const cp = await cps.findOne({ _id: id });
    return cp && cp.position >= position ? cp.position : undefined;
  });
  return {
    hold: () => cps.updateOne({ _id: id }, { $set: { position: 0 } }),
    release: () => cps.updateOne({ _id: id }, { $max: { position: written } }),
    read: async () => (await cps.findOne({ _id: id }))!.position,
    written,
  };
}
