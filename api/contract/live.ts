import { z } from 'zod';
import { operations } from './define';

/** What the live feed can carry; a client key gets the first three (dead letters are operators' business). */
export const LIVE_TOPICS = ['orders', 'accounts', 'read-side', 'dead-letters'] as const;
export type LiveTopic = (typeof LIVE_TOPICS)[number];

export const liveQuery = z.strictObject({
  after: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .meta({
      description:
        'Resume after this global position: the id of the last frame received, or an X-Read-Model-Position. Without it the feed starts at the head of the log',
    }),
  topics: z
    .string()
    .regex(
      new RegExp(`^(${LIVE_TOPICS.join('|')})(,(${LIVE_TOPICS.join('|')}))*$`),
      `must be a comma-separated list of: ${LIVE_TOPICS.join(', ')}`,
    )
    .optional()
    .meta({ description: `Comma-separated, of: ${LIVE_TOPICS.join(', ')}. All a caller may see when left out` }),
  maxSeconds: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(86_400, 'must be at most 86400')
    .optional()
    .meta({ description: 'End the response sooner than the server would (LIVE_FEED_MAX, 5 minutes by default)' }),
});

export const liveOperations = operations({
  'GET /live': {
    summary:
      'Live feed as server-sent events (text/event-stream) over a streamed response, authenticated with the Authorization header: the event log from a position on (frames `event`, each with its position as id, and `position` past events not shown), read-side states when they change (`read-side`), dead letters as they open or move (`dead-letters`); `hello` first and `end` last. Ends at maxSeconds (at most LIVE_FEED_MAX) or when the client disconnects; resume with after=<last id>',
    access: {
      client: 'own-list',
      why: 'clients get the events of their own orders and accounts and the read-side states; dead letters are left out of their feed (403 when asked for alone)',
    },
    query: liveQuery,
    responses: {
      '200': 'text/event-stream until maxSeconds or the client leaves',
      '403': 'A client asking for dead-letters alone',
      '422': 'after is beyond the head of the event log',
    },
  },
});
