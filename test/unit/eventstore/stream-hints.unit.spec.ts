import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { collections } from '../../../eventstore/collections';
import { knownHead, rememberVersion } from '../../../eventstore/lookups';

describe('event store: the stream heads a process remembers', () => {
  // Never connected: collections() only names them.
  const lookups = () => collections(new MongoClient('mongodb://127.0.0.1:9').db('unused')).lookups;
  const at = new Date('2026-01-01T00:00:00Z');

  it('writes at the remembered head, or at version 1 of a stream expected empty, and looks up anything else', () => {
    const l = lookups();
    rememberVersion(l, 'seen', 3, at);
    expect(knownHead(l, 'seen', 3)).toEqual({ version: 3, timestamp: at, position: 0 });
    expect(knownHead(l, 'seen', 'any')).toEqual({ version: 3, timestamp: at, position: 0 });
    expect(knownHead(l, 'unseen', 'no_stream')).toEqual({ version: 0, timestamp: null, position: 0 });
    expect(knownHead(l, 'unseen', 0)).toEqual({ version: 0, timestamp: null, position: 0 });
    // Stale as far as this process can tell, or a version it cannot vouch for: looked up.
    expect(knownHead(l, 'seen', 2)).toBeNull();
    expect(knownHead(l, 'seen', 'no_stream')).toBeNull();
    expect(knownHead(l, 'seen', 4)).toBeNull();
    expect(knownHead(l, 'unseen', 3)).toBeNull();
    expect(knownHead(l, 'unseen', 'any')).toBeNull();
  });

  it('forgets the least recently used streams when full, not all of them', () => {
    const l = lookups();
    for (let i = 0; i < 10_000; i++) rememberVersion(l, `s-${i}`, 1, at);
    // s-0 is used again, so s-1 is now the least recently used.
    expect(knownHead(l, 's-0', 1)).not.toBeNull();
    rememberVersion(l, 'one-more', 1, at);
    expect(knownHead(l, 's-0', 1)).not.toBeNull();
    expect(knownHead(l, 's-9999', 1)).not.toBeNull();
    expect(knownHead(l, 'one-more', 1)).not.toBeNull();
    expect(knownHead(l, 's-1', 1)).toBeNull();
  });
});
