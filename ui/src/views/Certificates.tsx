/**
 * Certificates (StarlingX certificate-list): every certificate this
 * controller holds or issued, sortable by residual time either way (soonest
 * first, as the API returns them), each row coloured by its expiry window
 * and saying it in text. Admins renew the API server certificate and
 * install their own; on a system controller, the fleet's expiry summary.
 */
import { useState } from 'react';
import { post, type Page } from '../api';
import { ActionButton } from '../components/ActionButton';
import { Badge, ErrorText, Table, when } from '../components/Bits';
import { useCan, useResource } from '../hooks';
import type { CertificateView } from '../../../src/resources/certificates/certificate.views.js';
import type { CertificateType } from '../../../src/resources/certificates/certificate.types.js';
import { CertificateInstall } from './CertificateInstall';
import { FleetCertificates } from './FleetCertificates';

/** The API's maximum page: a system controller's issued certificates can be many more, so the view says when it shows only the soonest. */
const LIMIT = 1000;

/** The types an operator filters by (the API's vocabulary, certificate.types.ts). */
const TYPES: CertificateType[] = ['platform', 'platform-ca', 'fleet-root-ca', 'subcloud-ica', 'host-client', 'subcloud-client', 'ssl-ca'];

/** The part of GET /system this view needs (SystemView in system.service.ts, which is server code: node:fs through its config). */
interface System {
  role: string;
}

/** Only the API server certificate is renewed in place; the server says why for any other (409). */
const renewable = (c: CertificateView) => c.type === 'platform' && c.renewal === 'auto';

export function Certificates() {
  const can = useCan();
  const [descending, setDescending] = useState(false);
  const [type, setType] = useState('');
  const query = new URLSearchParams({ limit: String(LIMIT) });
  if (type) query.set('type', type);
  const list = useResource<Page<CertificateView>>(`/certificates?${query}`, 30_000);
  const system = useResource<System>('/system');

  // The API sorts by expiry (soonest first); reversing it is all "latest first" needs.
  const items = list.data?.items ?? [];
  const rows = descending ? [...items].reverse() : items;
  const admin = can('admin');
  return (
    <section aria-labelledby="certs-title">
      <h1 id="certs-title">Certificates</h1>
      <div className="filters">
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">All types</option>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <span className="muted">
          Rows by expiry: <Badge value="expired" /> (500.210) · <Badge value="expiring-soon" /> inside its 500.200 alarm window · <Badge value="valid" />
        </span>
      </div>
      <ErrorText error={list.error} />
      <Table
        caption={list.data?.next_cursor ? `The ${LIMIT} certificates that expire soonest (there are more: filter by type)` : 'Certificates held or issued by this controller'}
        head={[
          'Name',
          'Type',
          'State',
          { label: 'Residual time', sort: descending ? 'descending' : 'ascending', onSort: () => setDescending((d) => !d) },
          'Expiry date',
          'Issue date',
          'Issuer',
          'Subject',
          'SANs',
          'Renewal',
          ...(admin ? ['Actions'] : []),
        ]}
        empty={list.data ? 'No certificates.' : 'Loading certificates…'}
        rowClass={(i) => `expiry-${rows[i]!.state}`}
        rows={rows.map((c) => [
          c.name,
          c.type,
          <Badge value={c.state} />,
          c.residual_time,
          <time dateTime={c.expiry_date}>{when(c.expiry_date)}</time>,
          <time dateTime={c.issue_date}>{when(c.issue_date)}</time>,
          c.issuer,
          c.subject,
          c.sans.join(', ') || '—',
          c.renewal,
          ...(admin
            ? [
                renewable(c) ? (
                  <ActionButton label="Renew" confirm="Reissue the API server certificate from this controller's CA now? The listener takes it without a restart." run={() => post(`/certificates/${encodeURIComponent(c.id)}/renew`)} done={list.reload} />
                ) : (
                  ''
                ),
              ]
            : []),
        ])}
      />
      {admin && <CertificateInstall done={list.reload} />}
      {system.data?.role === 'systemcontroller' && <FleetCertificates />}
    </section>
  );
}
