import { randomBytes } from 'node:crypto';
import { fastSaga } from './saga';
import { startStack, type Stack } from './stack';

/**
 * The system as production runs it, with the fast saga settings and no rate limit in the way: it
 * admits only the operator's key and each client's (`clients`: key → the customer it acts for), and
 * seals Temporal's payloads with a key of its own.
 */
export function startKeyedStack(operatorKey: string, clients: Record<string, string>): Promise<Stack> {
  return startStack({
    ...fastSaga,
    NODE_ENV: 'production',
    RATE_LIMIT_PER_MINUTE: 1_000_000,
    API_KEYS: [
      { key: operatorKey, role: 'operator', customerId: undefined },
      ...Object.entries(clients).map(([key, customerId]) => ({ key, role: 'client' as const, customerId })),
    ],
    PAYLOAD_KEYS: new Map([['k1', randomBytes(32)]]),
    PAYLOAD_KEY_ID: 'k1',
  });
}
