import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { subscribe, type LiveEvent, type LiveStatus } from './live';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads what `load` returns whenever `deps` change, and again on `reload()`. A slow answer that
 * arrives after a newer one was asked for is dropped, so the page never shows an older state.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const latest = useRef(load);
  latest.current = load;
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    latest.current().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: unknown) => mine === generation.current && setState({ error, loading: false }),
    );
  }, []);
  // The caller names what the load depends on, as with useEffect.
  useEffect(reload, deps);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/**
 * Calls `onEvent` for each event of `topics` from GET /live while the component is shown, and
 * tells how the stream is doing (for the page's live badge).
 */
export function useLive(topics: string[], onEvent: (event: LiveEvent) => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = topics.join(',');
  useEffect(
    () =>
      subscribe({
        topics: key.split(','),
        onEvent: (event) => handler.current(event),
        onStatus: (next) => setStatus(next),
      }),
    [key],
  );
  return status;
}

/** Runs `fn` at most once per `ms`, the last call winning: a burst of live events makes one reload. */
export function useThrottled(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}
