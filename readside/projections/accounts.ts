import { z } from 'zod';
import type { AccountEvent } from '../../domain/accounts/events';
import type { StoredEvent } from '../../eventstore';
import { guardedWrite, writeProjection } from './types';
import { readModelView } from './view';

/**
 * An account of the accounts list (behind GET /accounts), the one declaration of its shape. The
 * fields are in the order the API answers them; personal fields are sealed with the customer's key.
 */
export const accountViewDocument = z.object({
  _id: z.string(),
  /** Sealed; null for an account opened for no customer. */
  customerId: z.string().nullable(),
  /** Sealed. */
  owner: z.string(),
  balance: z.number().int(),
  version: z.number().int(),
  openedAt: z.date(),
  updatedAt: z.date(),
  /** The customer's pseudonym, which filters match on. */
  customer: z.string().nullable(),
  lastPosition: z.number().int(),
  /** The positions applied to it lately (guardedWrite). */
  applied: z.array(z.number().int()),
  epoch: z.number().int().optional(),
});

export type AccountViewDocument = z.infer<typeof accountViewDocument>;

export const accountView = readModelView(accountViewDocument, {
  id: 'accountId',
  internal: ['customer', 'lastPosition', 'applied', 'epoch'],
  personal: ['customerId', 'owner'],
});

/** The accounts list behind GET /accounts: owner, holder, balance and version per account. */
export const accountsProjection = writeProjection({
  name: 'accounts',
  // Read as lists only; a list read of one's own write answers from the documents (documentsHold).
  checkpoint: 'lazy',
  collections: { accounts: [{ key: { openedAt: -1, _id: -1 } }, { key: { customer: 1, openedAt: -1, _id: -1 } }] },
  eventTypes: ['AccountOpened', 'Deposited', 'Withdrawn'],
  writes(event: StoredEvent, epoch) {
    if (event.streamType !== 'account') return [];
    const accountId = event.streamId.slice('account-'.length);
    // The account's own contract (domain/accounts), as the decider wrote it.
    const e = event as unknown as StoredEvent & AccountEvent;
    const at = event.metadata.timestamp;
    const delta =
      e.type === 'AccountOpened' ? (e.data.initial ?? 0) : e.type === 'Deposited' ? e.data.amount : -e.data.amount;
    return [
      guardedWrite(
        'accounts',
        accountId,
        event,
        {
          $inc: { balance: delta },
          $max: { version: event.version, updatedAt: at, lastPosition: event.position },
          ...(e.type === 'AccountOpened'
            ? {
                $set: {
                  owner: e.data.owner,
                  customerId: e.data.customerId ?? null,
                  customer: e.data.customer ?? null,
                  openedAt: at,
                },
              }
            : {}),
        },
        epoch,
      ),
    ];
  },
});
