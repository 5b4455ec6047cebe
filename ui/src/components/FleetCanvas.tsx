/**
 * The fleet map: one small tile per subcloud, coloured by worst state, drawn
 * on a canvas — 10,000 DOM elements would cost far more to lay out and to
 * update hundreds of times a second. The parent passes the tiles to draw
 * and bumps `version` when they change; drawing happens at most once per
 * animation frame. Keyboard: arrows move between tiles, Enter opens one;
 * the focused tile is announced in a live region.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { STATE_COLORS } from '../fleet-colors';

export interface Tiles {
  names: string[];
  states: string[];
  /** State index per subcloud (into `states`). */
  state: number[];
  managed: number[];
  /** Which subclouds to draw, in order. */
  visible: number[];
}

interface Props {
  tiles: Tiles;
  version: number;
  onOpen: (name: string) => void;
}

const GAP = 1;

function tileSize(n: number): number {
  if (n <= 300) return 22;
  if (n <= 2000) return 14;
  return 9;
}

export function FleetCanvas({ tiles, version, onOpen }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [focus, setFocus] = useState(-1);
  const [hover, setHover] = useState<{ x: number; y: number; i: number } | null>(null);
  const frame = useRef(0);
  const size = tileSize(tiles.visible.length);
  const step = size + GAP;
  const perRow = Math.max(1, Math.floor(width / step));
  const rows = Math.ceil(tiles.visible.length / perRow);
  const height = Math.max(step, rows * step);

  useLayoutEffect(() => {
    const el = canvas.current?.parentElement;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => {
      const c = canvas.current;
      if (!c) return;
      const dpr = window.devicePixelRatio || 1;
      if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
        c.width = Math.round(width * dpr);
        c.height = Math.round(height * dpr);
      }
      const ctx = c.getContext('2d')!;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const { visible, state, managed, states } = tiles;
      // One pass per colour: far fewer fillStyle changes than tile by tile.
      for (let s = 0; s < states.length; s++) {
        for (const alpha of [1, 0.4]) {
          ctx.globalAlpha = alpha;
          ctx.fillStyle = STATE_COLORS[states[s]!] ?? '#888';
          for (let k = 0; k < visible.length; k++) {
            const i = visible[k]!;
            if (state[i] !== s || (managed[i] === 1) !== (alpha === 1)) continue;
            ctx.fillRect((k % perRow) * step, Math.floor(k / perRow) * step, size, size);
          }
        }
      }
      ctx.globalAlpha = 1;
      if (focus >= 0 && focus < visible.length) {
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 2;
        ctx.strokeRect((focus % perRow) * step - 1, Math.floor(focus / perRow) * step - 1, size + 2, size + 2);
      }
      c.dataset.tiles = String(visible.length);
      c.dataset.version = String(version);
      if (!performance.getEntriesByName('fleet-rendered').length && visible.length > 0) performance.mark('fleet-rendered');
    });
    return () => cancelAnimationFrame(frame.current);
  }, [tiles, version, width, height, perRow, step, size, focus]);

  const at = (x: number, y: number): number => {
    const col = Math.floor(x / step);
    const row = Math.floor(y / step);
    if (col >= perRow) return -1;
    const k = row * perRow + col;
    return k < tiles.visible.length ? k : -1;
  };
  const describe = (k: number): string => {
    const i = tiles.visible[k]!;
    return `${tiles.names[i]}: ${tiles.states[tiles.state[i]!]}${tiles.managed[i] ? '' : ', unmanaged'}`;
  };
  const onKey = (e: React.KeyboardEvent) => {
    const n = tiles.visible.length;
    if (n === 0) return;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow, ArrowUp: -perRow, Home: -n, End: n };
    if (e.key in moves) {
      e.preventDefault();
      setFocus((f) => Math.min(n - 1, Math.max(0, (f < 0 ? 0 : f) + moves[e.key]!)));
    } else if (e.key === 'Enter' && focus >= 0 && focus < n) {
      onOpen(tiles.names[tiles.visible[focus]!]!);
    }
  };

  return (
    <div className="fleet-map">
      <canvas
        ref={canvas}
        style={{ width, height }}
        tabIndex={0}
        role="img"
        aria-label={`Fleet map of ${tiles.visible.length} subclouds; use the arrow keys to move between them and Enter to open one`}
        onKeyDown={onKey}
        onFocus={() => setFocus((f) => (f < 0 && tiles.visible.length > 0 ? 0 : f))}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const k = at(e.clientX - r.left, e.clientY - r.top);
          setHover(k >= 0 ? { x: e.clientX - r.left, y: e.clientY - r.top, i: k } : null);
        }}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const k = at(e.clientX - r.left, e.clientY - r.top);
          if (k >= 0) onOpen(tiles.names[tiles.visible[k]!]!);
        }}
      />
      {hover && (
        <div className="tip" style={{ left: hover.x + 12, top: hover.y + 12 }}>
          {describe(hover.i)}
        </div>
      )}
      <p className="sr-only" aria-live="polite">
        {focus >= 0 && focus < tiles.visible.length ? describe(focus) : ''}
      </p>
    </div>
  );
}
