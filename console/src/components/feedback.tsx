import type { ComponentChildren } from 'preact';
import { describeError } from '../api';
import type { LiveStatus } from '../live';

/** A failed call, said plainly: role="alert" so a screen reader announces it. */
export function ErrorMessage(props: { error: unknown; what?: string }) {
  return (
    <p class="message error" role="alert">
      {describeError(props.error, props.what)}
    </p>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p class="message" role="status">
      Loading {props.what}…
    </p>
  );
}

/** What an action answered: the status and body as the API gave them. */
export function Answer(props: { answer: { ok: boolean; title: string; body: unknown } | undefined }) {
  if (!props.answer) return null;
  return (
    <div class={`message ${props.answer.ok ? 'ok' : 'error'}`} role={props.answer.ok ? 'status' : 'alert'}>
      <p>{props.answer.title}</p>
      {props.answer.body !== undefined && <Json value={props.answer.body} />}
    </div>
  );
}

/** Focusable so a keyboard can scroll a long one. */
export function Json(props: { value: unknown }) {
  return (
    <pre class="json" tabIndex={0}>
      {JSON.stringify(props.value, null, 2)}
    </pre>
  );
}

const LIVE_TEXT: Record<LiveStatus, string> = {
  connecting: 'connecting to live updates…',
  live: 'live',
  reconnecting: 'reconnecting to live updates…',
  refused: 'live updates refused: check the API key',
};

export function LiveBadge(props: { status: LiveStatus }) {
  return (
    <span class={`live live-${props.status}`} role="status" aria-live="polite">
      {LIVE_TEXT[props.status]}
    </span>
  );
}

export function Section(props: { title: string; children: ComponentChildren; id?: string }) {
  const id = props.id ?? props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export const money = (cents: number | null | undefined) =>
  cents === null || cents === undefined ? '—' : `$${(cents / 100).toFixed(2)}`;
export const when = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? new Date(value).toLocaleString() : '—';
