import type { Db } from 'mongodb';
import { createOrderActivities } from './order';

/** All activities, built from their dependencies so tests can hand in their own database. */
export function createActivities(deps: { db: Db }) {
  return {
    ...createOrderActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
