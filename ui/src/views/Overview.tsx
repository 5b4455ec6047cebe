/**
 * Fleet overview: counts per worst state, filters (group, state, name), the
 * tile map, and the subclouds' failures grouped by cause. The map arrives
 * over /fleet/map/stream — the whole map first, then only changed tiles —
 * and is redrawn at most once per animation frame however fast they come.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { FleetCanvas, type Tiles } from '../components/FleetCanvas';
import { Badge, ErrorText, Table, when } from '../components/Bits';
import { STATE_COLORS } from '../fleet-colors';
import { useFrameThrottle, useResource } from '../hooks';
import { navigate } from '../router';
import { subscribe } from '../sse';

interface FleetMap {
  states: string[];
  groups: Array<{ id: number; name: string }>;
  counts: Record<string, number>;
  subclouds: { name: string[]; group: number[]; state: number[]; managed: number[] };
}

interface ErrorGroup {
  cause: string;
  subclouds: number;
  examples: string[];
  what: string;
  repair: string;
  last_at: string;
}

export function Overview() {
  const map = useRef<FleetMap | null>(null);
  const index = useRef(new Map<string, number>());
  const updates = useRef(0);
  const [version, setVersion] = useState(0);
  const [connected, setConnected] = useState(false);
  const [group, setGroup] = useState(-1);
  const [hidden, setHidden] = useState<Set<number>>(new Set());
  const [name, setName] = useState('');
  const bump = useFrameThrottle(() => setVersion((v) => v + 1));
  const errors = useResource<{ items: ErrorGroup[] }>('/fleet/errors', 15_000);

  useEffect(
    () =>
      subscribe(
        '/fleet/map/stream',
        (m) => {
          if (m.event === 'map') {
            const next = JSON.parse(m.data) as FleetMap;
            map.current = next;
            index.current = new Map(next.subclouds.name.map((n, i) => [n, i]));
          } else if (m.event === 'tiles' && map.current) {
            const { changes, counts } = JSON.parse(m.data) as { changes: Array<[string, number, number]>; counts: Record<string, number> };
            const cols = map.current.subclouds;
            for (const [n, s, managed] of changes) {
              const i = index.current.get(n);
              if (i === undefined) continue;
              cols.state[i] = s;
              cols.managed[i] = managed;
            }
            map.current.counts = counts;
            updates.current += changes.length;
          }
          bump();
        },
        setConnected,
      ),
    [bump],
  );

  const current = map.current;
  const tiles: Tiles | null = useMemo(() => {
    if (!current) return null;
    const cols = current.subclouds;
    const needle = name.trim().toLowerCase();
    const visible: number[] = [];
    for (let i = 0; i < cols.name.length; i++) {
      if (group >= 0 && cols.group[i] !== group) continue;
      if (hidden.has(cols.state[i]!)) continue;
      if (needle && !cols.name[i]!.toLowerCase().includes(needle)) continue;
      visible.push(i);
    }
    return { names: cols.name, states: current.states, state: cols.state, managed: cols.managed, visible };
  }, [current, version, group, hidden, name]); // version: the columns changed in place

  const toggle = (s: number) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(s)) next.delete(s);
      else next.add(s);
      return next;
    });

  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      {!current ? (
        <p className="muted">{connected ? 'Reading the fleet map…' : 'Connecting to the system controller…'}</p>
      ) : (
        <>
          <div className="counts" role="group" aria-label="Subclouds by worst state (press to hide or show)">
            {current.states.map((s, i) => (
              <button type="button" key={s} className="count" aria-pressed={!hidden.has(i)} onClick={() => toggle(i)}>
                <span className="swatch" style={{ background: STATE_COLORS[s] }} />
                <span className="n">{current.counts[s] ?? 0}</span> {s}
              </button>
            ))}
            <span className="muted total">
              {current.subclouds.name.length} subclouds{connected ? ', live' : ', reconnecting…'}
            </span>
          </div>
          <div className="filters">
            <label>
              Group
              <select value={group} onChange={(e) => setGroup(Number(e.target.value))}>
                <option value={-1}>All groups</option>
                {current.groups.map((g, i) => (
                  <option key={g.id} value={i}>
                    {g.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Name
              <input type="search" value={name} onChange={(e) => setName(e.target.value)} placeholder="filter by name" />
            </label>
            <span className="muted">
              {tiles?.visible.length ?? 0} shown · faded tiles are unmanaged
            </span>
          </div>
          {tiles && <FleetCanvas tiles={tiles} version={version} onOpen={(n) => navigate('subclouds', n)} />}
          <span hidden data-testid="tile-updates">
            {updates.current}
          </span>
        </>
      )}
      <h2>Failures by cause</h2>
      <ErrorText error={errors.error} />
      <Table
        caption="Subclouds' active errors, grouped by cause, most subclouds first"
        head={['Cause', 'Subclouds', 'What', 'Proposed repair', 'Examples', 'Last']}
        empty="No subcloud has an active error."
        rows={(errors.data?.items ?? []).map((g) => [
          <Badge value={g.cause} />,
          g.subclouds,
          g.what,
          g.repair,
          g.examples.map((n) => (
            <a key={n} href={`#/subclouds/${encodeURIComponent(n)}`} className="chip">
              {n}
            </a>
          )),
          when(g.last_at),
        ])}
      />
    </section>
  );
}
