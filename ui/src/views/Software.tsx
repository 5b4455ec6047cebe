/** Releases (software list) and the current deploy with each host's deploy state (software deploy show / host-list). */
import { api, type Page } from '../api';
import { ActionButton } from '../components/ActionButton';
import { Badge, ErrorText, Progress, Table, when } from '../components/Bits';
import { useCan, useResource } from '../hooks';

interface Release {
  release_id: string;
  version: string;
  kind: string;
  state: string;
  summary: string;
  reboot_required: boolean;
  size_bytes: number;
  uploaded_at: string;
}

interface Deploy {
  release_id: string;
  from_release: string | null;
  state: string;
  reboot_required: boolean;
  started_at: string;
  hosts: Array<{ hostname: string; state: string; running: string | null; error: string | null }>;
}

export function Software() {
  const can = useCan();
  const releases = useResource<Page<Release>>('/software/releases', 5000);
  const deploy = useResource<Deploy>('/software/deploy', 2000);
  const d = deploy.data;
  return (
    <section aria-labelledby="sw-title">
      <h1 id="sw-title">Software</h1>
      <ErrorText error={releases.error} />
      <Table
        caption="Releases"
        head={['Release', 'Kind', 'State', 'Reboot required', 'Size', 'Summary', 'Uploaded', ...(can('admin') ? ['Actions'] : [])]}
        empty="No releases: upload one with starling software upload FILE."
        rows={(releases.data?.items ?? []).map((r) => [
          r.release_id,
          r.kind,
          <Badge value={r.state} />,
          r.reboot_required ? 'yes' : 'no',
          `${(r.size_bytes / 1e6).toFixed(1)} MB`,
          r.summary,
          when(r.uploaded_at),
          ...(can('admin')
            ? [r.state === 'available' ? <ActionButton label="Delete" danger confirm={`Delete release ${r.release_id}?`} run={() => api('DELETE', `/software/releases/${encodeURIComponent(r.release_id)}`)} done={releases.reload} /> : '']
            : []),
        ])}
      />
      <h2>Deploy</h2>
      {!d ? (
        <p className="muted">No deploy in progress.</p>
      ) : (
        <>
          <p>
            {d.from_release ?? 'base'} → <strong>{d.release_id}</strong> <Badge value={d.state} /> started {when(d.started_at)}{' '}
            <Progress label="hosts deployed" done={d.hosts.filter((h) => h.state === 'deployed').length} total={d.hosts.length} />
          </p>
          <Table
            caption="Host deploy states"
            head={['Host', 'State', 'Running', 'Error']}
            rows={d.hosts.map((h) => [h.hostname, <Badge value={h.state} />, h.running ?? '—', h.error ?? ''])}
          />
        </>
      )}
    </section>
  );
}
