/** One server-sent event as a reader sees it (WHATWG HTML, "server-sent events": id, event, data). */
export interface SseFrame {
  id?: string;
  event: string;
  data: any;
}

/**
 * Reads a text/event-stream body as a browser's streamed fetch would (the console does the same):
 * frames end at a blank line; `data:` lines join with a line break; lines starting with `:` are
 * comments. Written from the format's rules, independently of the server's framing.
 */
export async function* sseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame: { id?: string; event: string; data: string[] } = { event: 'message', data: [] };
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') frame.data.push(value);
        else if (field === 'event') frame.event = value;
        else if (field === 'id') frame.id = value;
      }
      if (frame.data.length === 0) continue;
      const text = frame.data.join('\n');
      yield { ...(frame.id !== undefined && { id: frame.id }), event: frame.event, data: JSON.parse(text) };
    }
  }
}

/**
 * Opens GET /live and reads its frames until `until` says stop (then aborts, as a page leaving
 * would) or the server ends the response. Returns every frame read, the status and the time taken.
 */
export async function readLive(
  url: string,
  headers: Record<string, string>,
  until: (frame: SseFrame, all: SseFrame[]) => boolean = () => false,
  options: { timeoutMs?: number } = {},
): Promise<{ status: number; contentType: string | null; frames: SseFrame[]; ms: number; aborted: boolean }> {
  const controller = new AbortController();
  const started = performance.now();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 60_000);
  const frames: SseFrame[] = [];
  let aborted = false;
  try {
    const res = await fetch(url, { headers, signal: controller.signal });
    if (!res.ok || !res.body)
      return { status: res.status, contentType: res.headers.get('content-type'), frames, ms: 0, aborted };
    try {
      for await (const frame of sseFrames(res.body)) {
        frames.push(frame);
        if (until(frame, frames)) {
          aborted = true;
          controller.abort();
          break;
        }
      }
    } catch (err) {
      if (!aborted) throw err;
    }
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      frames,
      ms: performance.now() - started,
      aborted,
    };
  } finally {
    clearTimeout(timer);
  }
}
