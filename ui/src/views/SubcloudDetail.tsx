/** One subcloud: state, hosts, sync per endpoint, alarms, errors with cause and repair, its rollout step, manage/unmanage. */
import { post } from '../api';
import { ActionButton } from '../components/ActionButton';
import { Badge, ErrorText, Loading, Progress, Table, when } from '../components/Bits';
import { useCan, useResource } from '../hooks';
import { href } from '../router';

interface Subcloud {
  name: string;
  description: string;
  location: string;
  group_name: string;
  management_state: string;
  availability_status: string;
  deploy_status: string;
  prestage_status: string | null;
  software_version: string | null;
  error_description: string;
  last_report_at: string | null;
  alarm_counts: { critical: number; major: number; minor: number; warning: number };
  endpoint_sync_status: Array<{ endpoint_type: string; sync_status: string }>;
  hosts: { total: number; available: number; degraded: number; failed: number; offline: number } | null;
  releases: string[];
}

interface SubcloudError {
  cause: string;
  what: string;
  evidence: string;
  repair: string;
  count: number;
  last_at: string;
}

interface FleetAlarm {
  uuid: string;
  alarm_id: string;
  entity_instance_id: string;
  severity: string;
  reason_text: string;
  timestamp: string;
}

interface Step {
  state: string;
  details: string;
  progress: { steps?: { done: number; total: number }; bytes?: { done: number; total: number } } | null;
  cause: { cause: string; what: string; where: string; evidence: string; repair: string } | null;
}

export function SubcloudDetail({ name }: { name: string }) {
  const can = useCan();
  const path = `/subclouds/${encodeURIComponent(name)}`;
  const sc = useResource<Subcloud>(path, 5000);
  const errors = useResource<{ items: SubcloudError[] }>(`${path}/errors`, 10_000);
  const alarms = useResource<{ items: FleetAlarm[] }>(`/fleet/alarms?subcloud=${encodeURIComponent(name)}&limit=100`, 5000);
  const step = useResource<Step>(`/sw-update-strategy/steps/${encodeURIComponent(name)}`, 3000);
  const s = sc.data;
  return (
    <section aria-labelledby="sc-title">
      <p>
        <a href={href('fleet')}>← Fleet</a>
      </p>
      <h1 id="sc-title">Subcloud {name}</h1>
      <ErrorText error={sc.error} />
      {!s ? (
        !sc.error && <Loading what="the subcloud" />
      ) : (
        <>
          <dl className="facts">
            <dt>Availability</dt>
            <dd>
              <Badge value={s.availability_status} />
            </dd>
            <dt>Management</dt>
            <dd>
              <Badge value={s.management_state} />{' '}
              {can('operator') &&
                (s.management_state === 'managed' ? (
                  <ActionButton label="Unmanage" confirm={`Unmanage ${name}? Sync and orchestration stop for it.`} run={() => post(`${path}/unmanage`)} done={sc.reload} />
                ) : (
                  <ActionButton label="Manage" run={() => post(`${path}/manage`)} done={sc.reload} />
                ))}
            </dd>
            <dt>Group</dt>
            <dd>{s.group_name}</dd>
            <dt>Deploy status</dt>
            <dd>{s.deploy_status}</dd>
            <dt>Prestage status</dt>
            <dd>{s.prestage_status ?? '—'}</dd>
            <dt>Software version</dt>
            <dd>{s.software_version ?? '—'}</dd>
            <dt>Releases deployed</dt>
            <dd>{s.releases.length ? s.releases.join(', ') : '—'}</dd>
            <dt>Hosts</dt>
            <dd>{s.hosts ? `${s.hosts.total} (${s.hosts.available} available, ${s.hosts.degraded} degraded, ${s.hosts.failed} failed, ${s.hosts.offline} offline)` : 'not reported yet'}</dd>
            <dt>Description</dt>
            <dd>{s.description || '—'}</dd>
            <dt>Location</dt>
            <dd>{s.location || '—'}</dd>
            <dt>Last report</dt>
            <dd>{when(s.last_report_at)}</dd>
            <dt>Alarms</dt>
            <dd>
              {s.alarm_counts.critical} critical, {s.alarm_counts.major} major, {s.alarm_counts.minor} minor, {s.alarm_counts.warning} warning
            </dd>
          </dl>
          <Table caption="Sync status per endpoint" head={['Endpoint', 'Sync status']} rows={s.endpoint_sync_status.map((e) => [e.endpoint_type, <Badge value={e.sync_status} />])} />
        </>
      )}
      {step.data && (
        <>
          <h2>Rollout step</h2>
          <p>
            <Badge value={step.data.state} /> {step.data.details}{' '}
            {step.data.progress?.steps && <Progress label={`${name} site strategy steps`} done={step.data.progress.steps.done} total={step.data.progress.steps.total} />}
            {step.data.progress?.bytes && <Progress label={`${name} bytes prestaged`} done={step.data.progress.bytes.done} total={step.data.progress.bytes.total} />}
          </p>
          {step.data.cause && (
            <p className="error">
              {step.data.cause.cause} at {step.data.cause.where}: {step.data.cause.what}. Evidence: {step.data.cause.evidence}. Repair: {step.data.cause.repair}
            </p>
          )}
        </>
      )}
      <h2>Active alarms</h2>
      <Table
        caption={`Active alarms on ${name}`}
        head={['Severity', 'Alarm ID', 'Entity', 'Reason', 'Time']}
        empty="No active alarms."
        rows={(alarms.data?.items ?? []).map((a) => [<Badge value={a.severity} />, a.alarm_id, a.entity_instance_id, a.reason_text, when(a.timestamp)])}
      />
      <h2>Errors</h2>
      <Table
        caption={`Active errors on ${name}, with cause and proposed repair`}
        head={['Cause', 'What', 'Evidence', 'Proposed repair', 'Count', 'Last']}
        empty="No errors present."
        rows={(errors.data?.items ?? []).map((e) => [<Badge value={e.cause} />, e.what, e.evidence, e.repair, e.count, when(e.last_at)])}
      />
    </section>
  );
}
