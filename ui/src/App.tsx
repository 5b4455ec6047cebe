/**
 * The shell: log in, then a navigation bar and one view per route. Views
 * are chosen by the first part of the hash route; admin-only views are not
 * offered to other roles (and the API refuses them anyway).
 */
import { useEffect, useState } from 'react';
import { get, post, session } from './api';
import { UserContext, useResource, type User } from './hooks';
import { href, useRoute } from './router';
import { Alarms } from './views/Alarms';
import { Audit } from './views/Audit';
import { Backups } from './views/Backups';
import { Certificates } from './views/Certificates';
import { Events } from './views/Events';
import { HostDetail } from './views/HostDetail';
import { Hosts } from './views/Hosts';
import { Login } from './views/Login';
import { Overview } from './views/Overview';
import { Software } from './views/Software';
import { Strategies } from './views/Strategies';
import { SubcloudDetail } from './views/SubcloudDetail';
import { Users } from './views/Users';

const NAV: Array<{ route: string; label: string; admin?: boolean }> = [
  { route: 'fleet', label: 'Fleet' },
  { route: 'alarms', label: 'Alarms' },
  { route: 'events', label: 'Events' },
  { route: 'hosts', label: 'Hosts' },
  { route: 'software', label: 'Software' },
  { route: 'strategies', label: 'Strategies' },
  { route: 'certificates', label: 'Certificates' },
  { route: 'backups', label: 'Backups' },
  { route: 'users', label: 'Users', admin: true },
  { route: 'audit', label: 'Audit log', admin: true },
];

function View({ route }: { route: string[] }) {
  const [first = 'fleet', second] = route;
  switch (first) {
    case 'subclouds':
      return second ? <SubcloudDetail name={second} /> : <Overview />;
    case 'alarms':
      return <Alarms />;
    case 'events':
      return <Events />;
    case 'hosts':
      return second ? <HostDetail hostname={second} /> : <Hosts />;
    case 'software':
      return <Software />;
    case 'strategies':
      return <Strategies />;
    case 'certificates':
      return <Certificates />;
    case 'backups':
      return <Backups />;
    case 'users':
      return <Users />;
    case 'audit':
      return <Audit />;
    default:
      return <Overview />;
  }
}

export function App() {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(Boolean(session.token));
  const route = useRoute();
  const system = useResource<{ name: string; mode: string }>(user ? '/system' : null);
  useEffect(() => {
    session.onUnauthorized(() => {
      session.set(null);
      setUser(null);
    });
    if (!session.token) return;
    get<User>('/auth/whoami')
      .then(setUser, () => session.set(null))
      .finally(() => setChecking(false));
  }, []);
  if (checking) return <p className="muted">Starting…</p>;
  if (!user) return <Login onLogin={setUser} />;
  const current = route[0] === 'subclouds' || !route[0] ? 'fleet' : route[0];
  return (
    <UserContext.Provider value={user}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Starling</span>
        {system.data && <span className="system">{system.data.name}</span>}
        <nav aria-label="Views">
          {NAV.filter((n) => !n.admin || user.role === 'admin').map((n) => (
            <a key={n.route} href={href(n.route)} aria-current={current === n.route ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <span className="who">
          {user.name} ({user.role})
          <button
            type="button"
            onClick={() => {
              // Ended on the server too, so the token is worthless even if it was copied; forgotten here whatever the answer.
              void post('/auth/logout')
                .catch(() => undefined)
                .finally(() => {
                  session.set(null);
                  setUser(null);
                });
            }}
          >
            Log out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} />
      </main>
    </UserContext.Provider>
  );
}
