import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, Route, Router, Switch, useLocation } from 'wouter-preact';
import { useHashLocation } from 'wouter-preact/use-hash-location';
import { apiKey, onKeyRefused } from './api';
import { AccountsPage } from './pages/accounts';
import { BreakersPage } from './pages/breakers';
import { CustomersPage } from './pages/customers';
import { OrderPage } from './pages/order';
import { OrdersPage } from './pages/orders';
import { ReadSidePage } from './pages/read-side';
import { StreamsPage } from './pages/streams';
import { UnsettledPage } from './pages/unsettled';
import './styles.css';

const PAGES = [
  { href: '/orders', label: 'Orders' },
  { href: '/unsettled', label: 'Unsettled orders' },
  { href: '/streams', label: 'Streams' },
  { href: '/read-side', label: 'Read side' },
  { href: '/breakers', label: 'Breakers' },
  { href: '/accounts', label: 'Accounts' },
  { href: '/customers', label: 'Customers' },
];

/**
 * The key the console calls the API with. Kept in sessionStorage (gone when the tab closes) and
 * sent as `Authorization: Bearer` by api.ts; the API's own policy decides what it may see.
 */
function KeyForm() {
  const [stored, setStored] = useState(apiKey.get() !== null);
  const [refused, setRefused] = useState<string | undefined>(undefined);
  const [value, setValue] = useState('');
  useEffect(() => onKeyRefused((message) => setRefused(message)), []);
  const save = (event: Event) => {
    event.preventDefault();
    if (!value.trim()) return;
    apiKey.set(value.trim());
    setValue('');
    setStored(true);
    setRefused(undefined);
    location.reload();
  };
  const forget = () => {
    apiKey.clear();
    setStored(false);
    location.reload();
  };
  return (
    <form class="key" onSubmit={save} aria-label="API key for this tab">
      <label for="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autocomplete="off"
        placeholder={stored ? 'a key is set for this tab' : 'none (development)'}
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit">Use key</button>
      {stored && (
        <button type="button" onClick={forget}>
          Forget key
        </button>
      )}
      {refused && (
        <p class="message error" role="alert" id="key-refused">
          The API refused the key ({refused}). It may have expired or been mistyped: enter a valid API key.
        </p>
      )}
    </form>
  );
}

function Nav() {
  const [location] = useLocation();
  return (
    <nav aria-label="Console pages">
      <ul>
        {PAGES.map((page) => (
          <li key={page.href}>
            <Link href={page.href} aria-current={location.startsWith(page.href) ? 'page' : undefined}>
              {page.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function NotFound() {
  return (
    <>
      <h1>No such page</h1>
      <p class="message error" role="alert">
        The console has no page at this address. Choose one of the pages above.
      </p>
    </>
  );
}

function App() {
  return (
    <Router hook={useHashLocation}>
      <header>
        <p class="brand">Operator console</p>
        <Nav />
        <KeyForm />
      </header>
      <main>
        <Switch>
          <Route path="/">
            <OrdersPage />
          </Route>
          <Route path="/orders">
            <OrdersPage />
          </Route>
          <Route path="/orders/:orderId">{(params) => <OrderPage orderId={params.orderId} />}</Route>
          <Route path="/streams">
            <StreamsPage />
          </Route>
          <Route path="/streams/:streamId">{(params) => <StreamsPage streamId={params.streamId} />}</Route>
          <Route path="/unsettled">
            <UnsettledPage />
          </Route>
          <Route path="/breakers">
            <BreakersPage />
          </Route>
          <Route path="/read-side">
            <ReadSidePage />
          </Route>
          <Route path="/accounts">
            <AccountsPage />
          </Route>
          <Route path="/accounts/:accountId">{(params) => <AccountsPage accountId={params.accountId} />}</Route>
          <Route path="/customers">
            <CustomersPage />
          </Route>
          <Route path="/customers/:customerId">{(params) => <CustomersPage customerId={params.customerId} />}</Route>
          <Route>
            <NotFound />
          </Route>
        </Switch>
      </main>
    </Router>
  );
}

render(<App />, document.getElementById('app')!);
