import type { StoredEvent } from '../eventstore';
import { guardedWrite, writeProjection } from './types';

/** The accounts list behind GET /accounts: owner, holder, balance and version per account. */
export const accountsProjection = writeProjection({
  name: 'accounts',
  collections: { accounts: [{ key: { openedAt: -1, _id: -1 } }, { key: { customerId: 1, openedAt: -1, _id: -1 } }] },
  eventTypes: ['AccountOpened', 'Deposited', 'Withdrawn'],
  writes(event: StoredEvent, epoch) {
    if (event.streamType !== 'account') return [];
    const accountId = event.streamId.slice('account-'.length);
    const data = event.data as Record<string, any>;
    const at = event.metadata.timestamp;
    const delta = event.type === 'AccountOpened' ? data.initial ?? 0 : event.type === 'Deposited' ? data.amount : -data.amount;
    return [
      guardedWrite('accounts', accountId, event, {
        $inc: { balance: delta },
        $max: { version: event.version, updatedAt: at, lastPosition: event.position },
        ...(event.type === 'AccountOpened' ? { $set: { owner: data.owner, customerId: data.customerId ?? null, openedAt: at } } : {}),
      }, epoch),
    ];
  },
});
