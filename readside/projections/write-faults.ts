import type { Collection, Document } from 'mongodb';
import type { ProjectionContext } from './types';

/** The collection methods that write: each is checked for an injected fault before it goes out. */
const WRITES = new Set<PropertyKey>([
  'insertOne',
  'insertMany',
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'bulkWrite',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
]);

/**
 * A projection context whose collections fail their writes while a fault is injected for that
 * collection (tests, demos): the store failing for one read-model collection, where it fails —
 * at the write — so that everything writing through the context (applies and the write probe
 * alike) meets it, and nothing else does. Reads pass untouched.
 */
export function withWriteFaults(
  ctx: ProjectionContext,
  check: (collection: string) => Promise<void>,
): ProjectionContext {
  return {
    epoch: ctx.epoch,
    collection<T extends Document = Document>(logical: string): Collection<T> {
      const target = ctx.collection<T>(logical);
      return new Proxy(target, {
        get(obj, prop) {
          const value: unknown = Reflect.get(obj, prop, obj);
          if (typeof value !== 'function') return value;
          const method = value as (...args: unknown[]) => unknown;
          if (!WRITES.has(prop)) return method.bind(obj);
          return async (...args: unknown[]) => {
            await check(logical);
            return method.apply(obj, args);
          };
        },
      });
    },
  };
}
