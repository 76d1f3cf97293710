import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { get, seg } from '../api';
import { TimeChart } from '../components/chart';
import { ErrorMessage, LiveBadge, Loading, money, Section, when } from '../components/feedback';
import { useLive, useResource, useThrottled } from '../hooks';
import type { RecordedEvent } from '../types';

interface Account {
  accountId: string;
  customerId: string | null;
  owner: string;
  balance: number;
  version: number;
}

/** The balance after each event: the account's own fold (opened with `initial`, then deposits and withdrawals). */
export function balances(events: RecordedEvent[]): Array<{ event: RecordedEvent; balance: number }> {
  let balance = 0;
  return events.map((event) => {
    const amount = Number(event.data.amount ?? 0);
    if (event.type === 'AccountOpened') balance = Number(event.data.initial ?? 0);
    else if (event.type === 'Deposited') balance += amount;
    else if (event.type === 'Withdrawn') balance -= amount;
    return { event, balance };
  });
}

export function AccountsPage(props: { accountId?: string }) {
  const [typed, setTyped] = useState(props.accountId ?? '');
  const list = useResource(() => get<{ accounts: Account[] }>('/accounts', { limit: 50 }), []);
  return (
    <>
      <h1>Accounts</h1>
      <form
        class="inline"
        aria-label="Open an account"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) location.hash = `#/accounts/${encodeURIComponent(typed.trim())}`;
        }}
      >
        <label>
          Account id
          <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <button type="submit">Open account</button>
      </form>
      {props.accountId ? (
        <AccountDetail key={props.accountId} accountId={props.accountId} />
      ) : (
        <Section title="Recent accounts">
          {list.error !== undefined && <ErrorMessage error={list.error} />}
          {list.data && (
            <ul>
              {list.data.accounts.map((a) => (
                <li key={a.accountId}>
                  <Link href={`/accounts/${a.accountId}`}>{a.accountId}</Link> · {a.owner} · {money(a.balance)}
                </li>
              ))}
            </ul>
          )}
        </Section>
      )}
    </>
  );
}

function AccountDetail(props: { accountId: string }) {
  const id = props.accountId;
  const account = useResource(() => get<Account>(`/accounts/${seg(id)}`), [id]);
  const events = useResource(() => get<{ events: RecordedEvent[] }>(`/accounts/${seg(id)}/events`), [id]);
  const reload = useThrottled(() => {
    account.reload();
    events.reload();
  }, 500);
  const live = useLive(['accounts'], (event) => {
    const data = event.data as { streamId?: string } | null;
    if (event.type === 'event' && data?.streamId === `account-${id}`) reload();
  });
  if (account.error !== undefined) return <ErrorMessage error={account.error} what={`Account ${id}`} />;
  if (!account.data) return <Loading what="the account" />;
  const trail = balances(events.data?.events ?? []);
  const points = trail
    .filter((t) => t.event.metadata?.timestamp)
    .map((t) => ({ x: Date.parse(t.event.metadata!.timestamp!), y: t.balance / 100 }));
  return (
    <>
      <h2>
        Account <span class="id">{id}</span> <LiveBadge status={live} />
      </h2>
      <dl class="facts">
        <dt>Owner</dt>
        <dd>{account.data.owner}</dd>
        <dt>Customer</dt>
        <dd>
          {account.data.customerId ? (
            <Link href={`/customers/${encodeURIComponent(account.data.customerId)}`}>{account.data.customerId}</Link>
          ) : (
            '—'
          )}
        </dd>
        <dt>Balance</dt>
        <dd>{money(account.data.balance)}</dd>
        <dt>Version</dt>
        <dd>
          {account.data.version} (<Link href={`/streams/account-${id}`}>its stream and time travel</Link>)
        </dd>
      </dl>
      <div class="side-by-side">
        <Section title="Balance over time">
          <TimeChart
            series={[{ label: 'balance ($)', points, stepped: true }]}
            label={`Balance of account ${id} over time; the audit trail beside it lists the same figures`}
            yTitle="balance ($)"
            longTimes
          />
        </Section>
        <Section title="Audit trail">
          {events.error !== undefined && <ErrorMessage error={events.error} />}
          <table>
            <caption>Every movement, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Amount</th>
                <th scope="col">Reason / reference</th>
                <th scope="col">Balance after</th>
              </tr>
            </thead>
            <tbody>
              {trail.map(({ event, balance }) => (
                <tr key={event.version}>
                  <td>{event.version}</td>
                  <td>{when(event.metadata?.timestamp)}</td>
                  <td>{event.type}</td>
                  <td>{money(Number(event.data.amount ?? event.data.initial ?? 0))}</td>
                  <td>{[event.data.reason, event.data.reference].filter(Boolean).join(' · ') || '—'}</td>
                  <td>{money(balance)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      </div>
    </>
  );
}
