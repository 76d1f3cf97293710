import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError, del, post, seg } from '../api';
import type { DeadLetter } from '../types';
import { Answer, Json, when } from './feedback';

/**
 * Dead letters (and the parked events behind a projection's letters) with their two decisions:
 * redrive (try again) and discard (give up, recorded). Both go through the API's routes.
 */
export function DeadLetterTable(props: { letters: DeadLetter[]; onChanged: () => void; caption?: string }) {
  const [answer, setAnswer] = useState<{ ok: boolean; title: string; body: unknown } | undefined>(undefined);
  const decide = async (letter: DeadLetter, decision: 'redrive' | 'discard') => {
    try {
      const body =
        decision === 'redrive'
          ? await post(`/dead-letters/${seg(letter.id)}/redrive`)
          : await del(`/dead-letters/${seg(letter.id)}`);
      setAnswer({ ok: true, title: `${decision} of ${letter.id}: accepted`, body });
    } catch (err) {
      setAnswer({
        ok: false,
        title: `${decision} of ${letter.id} refused${err instanceof ApiError ? ` (HTTP ${err.status}): ${err.message}` : `: ${String(err)}`}`,
        body: err instanceof ApiError ? err.body : undefined,
      });
    }
    props.onChanged();
  };
  return (
    <>
      <Answer answer={answer} />
      {props.letters.length === 0 ? (
        <p>No dead letters.</p>
      ) : (
        <table>
          <caption>{props.caption ?? 'Dead letters'}</caption>
          <thead>
            <tr>
              <th scope="col">Letter</th>
              <th scope="col">Source</th>
              <th scope="col">Status</th>
              <th scope="col">Order</th>
              <th scope="col">Recorded</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody>
            {props.letters.map((letter) => (
              <tr key={letter.id}>
                <td>
                  <details>
                    <summary>{letter.id}</summary>
                    <Json value={letter} />
                  </details>
                </td>
                <td>
                  {letter.source}
                  {letter.service ? ` · ${letter.service}` : ''}
                  {letter.step ? ` · ${letter.step}` : ''}
                </td>
                <td>{letter.status}</td>
                <td>{letter.orderId ? <Link href={`/orders/${letter.orderId}`}>{letter.orderId}</Link> : '—'}</td>
                <td>{when(letter.createdAt)}</td>
                <td>
                  {letter.status === 'open' ? (
                    <>
                      <button
                        type="button"
                        onClick={() => void decide(letter, 'redrive')}
                        aria-label={`Redrive ${letter.id}`}
                      >
                        Redrive
                      </button>{' '}
                      <button
                        type="button"
                        onClick={() => void decide(letter, 'discard')}
                        aria-label={`Discard ${letter.id}`}
                      >
                        Discard
                      </button>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
