/**
 * Backups (StarlingX backup.yml, Velero's schedules): the platform backups
 * on this controller's disk and the schedules that make them. A backup in
 * progress shows as such (210.001 stands meanwhile) and the list follows it
 * to its end; admins start one, delete one, and create, pause, resume or
 * delete schedules. Readers see the lists only.
 */
import { api, post, type Page } from '../api';
import { ActionButton } from '../components/ActionButton';
import { Badge, ErrorText, Table, when } from '../components/Bits';
import { useCan, useResource } from '../hooks';
import type { BackupScheduleView, BackupView } from '../../../src/resources/backups/backup.views.js';
import { BackupCreate, ScheduleCreate } from './BackupForms';

const size = (bytes: number | null) => (bytes === null ? '—' : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
const remove = (path: string) => api('DELETE', path);

export function Backups() {
  const admin = useCan()('admin');
  const backups = useResource<Page<BackupView>>('/backups', 2_000);
  const schedules = useResource<Page<BackupScheduleView>>('/backup-schedules', 10_000);
  const items = backups.data?.items ?? [];
  const running = items.find((b) => b.state === 'in-progress');
  return (
    <section aria-labelledby="backups-title">
      <h1 id="backups-title">Backups</h1>
      {running && (
        <p role="status" className="busy">
          Backing up: {running.name} (210.001 System Backup in progress stands until it ends)
        </p>
      )}
      <ErrorText error={backups.error} />
      <Table
        caption="Platform backups on this controller, newest first"
        head={['Name', 'State', 'Size', 'Secrets', 'Schedule', 'Created', 'Expires', 'Error', ...(admin ? ['Actions'] : [])]}
        empty={backups.data ? 'No backups yet.' : 'Loading backups…'}
        rows={items.map((b) => [
          b.name,
          <Badge value={b.state} />,
          size(b.size),
          b.secrets,
          b.schedule ?? '—',
          <time dateTime={b.created_at}>{when(b.created_at)}</time>,
          b.expires_at ? <time dateTime={b.expires_at}>{when(b.expires_at)}</time> : 'never',
          b.error ?? '',
          ...(admin
            ? [b.state === 'in-progress' ? '' : <ActionButton label="Delete" danger confirm={`Delete ${b.name} and its archive?`} run={() => remove(`/backups/${encodeURIComponent(b.id)}`)} done={backups.reload} />]
            : []),
        ])}
      />
      {admin && <BackupCreate busy={running !== undefined} done={backups.reload} />}

      <h2>Schedules</h2>
      <ErrorText error={schedules.error} />
      <Table
        caption="Backup schedules (cron in UTC)"
        head={['Name', 'Cron (UTC)', 'Keep', 'TTL', 'Secrets', 'State', 'Next run', 'Last backup', 'Last error', ...(admin ? ['Actions'] : [])]}
        empty={schedules.data ? 'No schedules.' : 'Loading schedules…'}
        rows={(schedules.data?.items ?? []).map((s) => [
          s.name,
          <code>{s.cron}</code>,
          s.keep ?? 'all',
          s.ttl ?? 'never',
          s.secrets,
          <Badge value={s.paused ? 'paused' : 'active'} />,
          s.next_run_at ? <time dateTime={s.next_run_at}>{when(s.next_run_at)}</time> : '—',
          s.last_backup ?? '—',
          s.last_error ?? '',
          ...(admin
            ? [
                <span className="actions">
                  <ActionButton label={s.paused ? 'Resume' : 'Pause'} run={() => post(`/backup-schedules/${encodeURIComponent(s.name)}/${s.paused ? 'resume' : 'pause'}`)} done={schedules.reload} />
                  <ActionButton label="Delete" danger confirm={`Delete schedule ${s.name}? Its backups stay until they expire.`} run={() => remove(`/backup-schedules/${encodeURIComponent(s.name)}`)} done={schedules.reload} />
                </span>,
              ]
            : []),
        ])}
      />
      {admin && <ScheduleCreate done={schedules.reload} />}
    </section>
  );
}
