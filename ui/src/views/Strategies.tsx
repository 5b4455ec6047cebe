/**
 * Orchestration, live: the site sw-deploy strategy (stages and steps) and
 * the fleet strategy (steps per subcloud, failures by cause), each with its
 * progress bar and apply/abort for operators. Re-read every 2 s.
 */
import { useState } from 'react';
import { api, post, type Page } from '../api';
import { ActionButton } from '../components/ActionButton';
import { Badge, ErrorText, Progress, Table, when } from '../components/Bits';
import { useCan, useResource } from '../hooks';
import { href } from '../router';

interface SiteStrategy {
  state: string;
  options: { release: string };
  reason: string;
  progress: { done: number; total: number };
  current: { stage: string; step: string; entity_names: string[] } | null;
  stages: Array<{ name: string; steps: Array<{ name: string; entity_names: string[]; result: string; reason: string; timeout_s: number }> }>;
}

interface FleetStrategy {
  type: string;
  release_id: string;
  state: string;
  subcloud_apply_type: string;
  max_parallel_subclouds: number;
  stop_on_failure: boolean;
  reason: string;
  steps: { total: number; initial: number; in_progress: number; complete: number; failed: number; aborted: number };
  failures_by_cause: Array<{ cause: string; what: string; repair: string; count: number; subclouds: string[]; evidence: string }>;
  created_at: string;
}

interface FleetStep {
  cloud: string;
  state: string;
  details: string;
  progress: { steps?: { done: number; total: number }; bytes?: { done: number; total: number } } | null;
  cause: { cause: string } | null;
  started_at: string | null;
}

const applying = (state: string) => ['applying', 'abort requested', 'aborting'].includes(state);

function Controls({ path, state, reload, what }: { path: string; state: string; reload: () => void; what: string }) {
  const can = useCan();
  if (!can('operator')) return null;
  return (
    <span className="actions">
      {['ready-to-apply', 'initial'].includes(state) && <ActionButton label="Apply" confirm={`Apply the ${what}?`} run={() => post(`${path}/actions`, { action: 'apply' })} done={reload} />}
      {state === 'applying' && <ActionButton label="Abort" danger confirm={`Abort the ${what}? Running steps finish; nothing new starts.`} run={() => post(`${path}/actions`, { action: 'abort' })} done={reload} />}
      {!applying(state) && <ActionButton label="Delete" danger confirm={`Delete the ${what}?`} run={() => api('DELETE', path)} done={reload} />}
    </span>
  );
}

function SiteStrategyPanel() {
  const s = useResource<SiteStrategy>('/orchestration/sw-deploy/strategy', 2000);
  const d = s.data;
  return (
    <section aria-labelledby="site-title">
      <h2 id="site-title">Site strategy (sw-deploy)</h2>
      {!d ? (
        <p className="muted">No site strategy. Create one with starling strategy create sw-deploy --release R.</p>
      ) : (
        <>
          <p>
            Release <strong>{d.options.release}</strong> <Badge value={d.state} /> <Progress label="site strategy steps" done={d.progress.done} total={d.progress.total} />{' '}
            {d.current && (
              <span>
                now: {d.current.stage} / {d.current.step} {d.current.entity_names.join(', ')}
              </span>
            )}{' '}
            <Controls path="/orchestration/sw-deploy/strategy" state={d.state} reload={s.reload} what="site strategy" />
          </p>
          {d.reason && <p className="error">{d.reason}</p>}
          {d.stages.map((stage) => (
            <Table
              key={stage.name}
              caption={`Stage ${stage.name}`}
              head={['Step', 'Hosts', 'Result', 'Timeout', 'Reason']}
              rows={stage.steps.map((st) => [st.name, st.entity_names.join(', '), <Badge value={st.result} />, `${st.timeout_s} s`, st.reason])}
            />
          ))}
        </>
      )}
    </section>
  );
}

function FleetStrategyPanel() {
  const [state, setState] = useState('');
  const f = useResource<FleetStrategy>('/sw-update-strategy', 2000);
  const steps = useResource<Page<FleetStep>>(f.data ? `/sw-update-strategy/steps?limit=200${state ? `&state=${encodeURIComponent(state)}` : ''}` : null, 2000);
  const d = f.data;
  return (
    <section aria-labelledby="fleet-strategy-title">
      <h2 id="fleet-strategy-title">Fleet strategy</h2>
      {!d ? (
        <p className="muted">No fleet strategy. Create one with starling fleet-strategy create sw-deploy --release R.</p>
      ) : (
        <>
          <p>
            {d.type} <strong>{d.release_id}</strong> <Badge value={d.state} /> {d.subcloud_apply_type}, up to {d.max_parallel_subclouds} at once
            {d.stop_on_failure ? ', stop on failure' : ''} · created {when(d.created_at)}
          </p>
          <p>
            <Progress label="fleet strategy subclouds complete" done={d.steps.complete} total={d.steps.total} /> {d.steps.in_progress} in progress, {d.steps.failed} failed, {d.steps.aborted} aborted, {d.steps.initial} waiting{' '}
            <Controls path="/sw-update-strategy" state={d.state} reload={f.reload} what="fleet strategy" />
          </p>
          {d.reason && <p className="error">{d.reason}</p>}
          <Table
            caption="Failures by cause"
            head={['Cause', 'Subclouds', 'What', 'Evidence (one)', 'Proposed repair']}
            empty="No failures."
            rows={d.failures_by_cause.map((c) => [<Badge value={c.cause} />, `${c.count}: ${c.subclouds.join(', ')}`, c.what, c.evidence, c.repair])}
          />
          <div className="filters">
            <label>
              Step state
              <input value={state} onChange={(e) => setState(e.target.value)} placeholder="e.g. failed, complete" />
            </label>
          </div>
          <ErrorText error={steps.error} />
          <Table
            caption="Steps (first 200)"
            head={['Subcloud', 'State', 'Details', 'Progress', 'Started']}
            rows={(steps.data?.items ?? []).map((st) => [
              <a href={href('subclouds', st.cloud)}>{st.cloud}</a>,
              <Badge value={st.state} />,
              st.cause ? `${st.cause.cause}: ${st.details}` : st.details,
              st.progress?.steps ? (
                <Progress label={`${st.cloud} steps`} done={st.progress.steps.done} total={st.progress.steps.total} />
              ) : st.progress?.bytes ? (
                <Progress label={`${st.cloud} bytes`} done={st.progress.bytes.done} total={st.progress.bytes.total} />
              ) : (
                ''
              ),
              when(st.started_at),
            ])}
          />
        </>
      )}
    </section>
  );
}

export function Strategies() {
  return (
    <section aria-labelledby="strategies-title">
      <h1 id="strategies-title">Strategies</h1>
      <SiteStrategyPanel />
      <FleetStrategyPanel />
    </section>
  );
}
