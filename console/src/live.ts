/**
 * Live updates from GET /live, a `text/event-stream`. A browser's EventSource cannot send an
 * Authorization header, so this reads the stream with fetch and parses the events itself; when the
 * stream ends (the server's maximum duration, a restart, a dropped network) it reconnects with
 * `after` set to the last event id it saw, so no change in between is missed.
 */
import { ApiError, authHeaders, withQuery } from './api';

export interface LiveEvent {
  /** The server's position token (`id:`), passed back as `after` on reconnect. */
  id: string | undefined;
  /** The SSE event name (`event:`), `message` when the server gave none. */
  type: string;
  data: unknown;
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface LiveOptions {
  topics: string[];
  onEvent: (event: LiveEvent) => void;
  onStatus?: (status: LiveStatus, detail?: string) => void;
  /** Seconds a single response may last before the server ends it (the client then reconnects). */
  maxSeconds?: number;
}

/** Parses one SSE block (the lines between blank lines); undefined for comments and keep-alives. */
export function parseEventBlock(block: string): LiveEvent | undefined {
  let id: string | undefined;
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && id === undefined) return undefined;
  const text = data.join('\n');
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: the text as it came.
  }
  return { id, type, data: parsed };
}

/** Opens the stream and keeps it open until the returned function is called. */
export function subscribe(options: LiveOptions): () => void {
  const controller = new AbortController();
  let after: string | undefined;
  let stopped = false;
  let failures = 0;

  const run = async () => {
    while (!stopped) {
      options.onStatus?.(failures === 0 && after === undefined ? 'connecting' : 'reconnecting');
      try {
        const response = await fetch(
          withQuery('/live', { after, topics: options.topics.join(','), maxSeconds: options.maxSeconds }),
          { headers: { accept: 'text/event-stream', ...authHeaders() }, signal: controller.signal },
        );
        if (!response.ok || !response.body) {
          const message = await response.text().catch(() => '');
          throw new ApiError(response.status, `http_${response.status}`, message, null);
        }
        failures = 0;
        options.onStatus?.('live');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
            const event = parseEventBlock(block);
            if (!event) continue;
            if (event.id !== undefined) after = event.id;
            options.onEvent(event);
          }
        }
      } catch (err) {
        if (stopped) return;
        failures += 1;
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
          options.onStatus?.('refused', 'The API refused the key for live updates');
          return;
        }
      }
      if (stopped) return;
      // A stream that ended normally reconnects at once; a failing one backs off up to 5 s.
      const wait = failures === 0 ? 0 : Math.min(5_000, 250 * 2 ** Math.min(failures, 5));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
