import { z } from 'zod';
import { pointInTime } from './accounts';
import { operations } from './define';
import { orderIdParams } from './orders';
import { orderEventsBody, streamEventsBody, streamStateBody } from './responses';

/**
 * A stream of the event log, `<type>-<id>` (order-, payment-, shipment-, reservation-, account-,
 * sku-…). The reserved streams (`$gaps`) are no one's to browse.
 */
export const streamParams = z.object({
  streamId: z
    .string()
    .regex(
      /^[a-z]{1,30}-[A-Za-z0-9_.:@-]{1,100}$/,
      'must be a stream id <type>-<id>, e.g. order-3f2c… or account-42 (letters, digits and . : @ _ -)',
    )
    .meta({ description: 'The stream, <type>-<id>: order-, payment-, shipment-, reservation-, account-, sku-…' }),
});

/** The streams whose aggregate a decider folds (domain/<aggregate>/decider.ts), and so whose state can be replayed. */
export const DECIDED_STREAM_TYPES = ['account', 'order', 'payment', 'shipment'] as const;

export const decidedStreamParams = z.object({
  streamId: z
    .string()
    .regex(
      new RegExp(`^(${DECIDED_STREAM_TYPES.join('|')})-[A-Za-z0-9_.:@-]{1,100}$`),
      `must be the stream of an aggregate with a decider: ${DECIDED_STREAM_TYPES.map((t) => `${t}-<id>`).join(', ')}`,
    )
    .meta({ description: `An aggregate's stream: ${DECIDED_STREAM_TYPES.map((t) => `${t}-<id>`).join(', ')}` }),
});

export const streamEventsQuery = z.strictObject({
  fromVersion: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1 (versions start at 1)')
    .max(Number.MAX_SAFE_INTEGER)
    .default(1)
    .meta({ description: 'The first version to return' }),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1_000, 'must be at most 1000')
    .default(100),
});

const sameRule = 'operators every stream; clients the streams of their own orders and accounts (404 otherwise)';

export const streamOperations = operations({
  'GET /streams/:streamId/events': {
    summary:
      "A stream's events in version order, with metadata, global position and time (strongly consistent). Personal data reads as every other route shows it: opened, or [erased]",
    access: { client: 'own-stream', why: sameRule },
    params: streamParams,
    query: streamEventsQuery,
    responses: {
      '200': { description: 'A page of events; nextVersion continues it', body: streamEventsBody },
      '404': 'Unknown stream (or not visible to this client)',
    },
  },
  'GET /streams/:streamId/state': {
    summary:
      "The aggregate as it was at a version or an instant (its decider's evolve replayed over the events), beside the current state and the fields that changed since",
    access: { client: 'own-stream', why: sameRule },
    params: decidedStreamParams,
    query: pointInTime,
    responses: {
      '200': { description: 'Then, now, and what changed', body: streamStateBody },
      '404': 'Unknown stream, not visible to this client, or not yet at that version or instant',
    },
  },
  'GET /orders/:orderId/events': {
    summary:
      "The order's timeline: the events of every stream it touches (order, payment, reservation, shipment, its debit and refund on the account) merged by global position (strongly consistent)",
    access: { client: 'own-order' },
    params: orderIdParams,
    responses: {
      '200': { description: 'The timeline, oldest first', body: orderEventsBody },
      '404': 'Unknown order',
    },
  },
});
