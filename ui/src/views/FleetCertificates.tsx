/**
 * The fleet's certificate expiry, on a system controller: how many
 * subclouds report a certificate and how many have one expiring (500.200) or
 * expired (500.210), then the few whose certificates expire soonest, each
 * linking to its subcloud. Bounded: the API returns at most `limit` rows.
 */
import { Badge, ErrorText, Table, when } from '../components/Bits';
import { useResource } from '../hooks';
import { href } from '../router';
import type { FleetCertificateItem, FleetCertificates as Fleet } from '../../../src/resources/subclouds/fleet-certificates.js';
import type { CertificateState } from '../../../src/resources/certificates/certificate.views.js';

/** The worst members of a rollup (conventions: at most 10). */
const SOONEST = 10;

/** A subcloud's row colour, from its own alarms (it knows its windows; this view does not), or its date once past. */
const stateOf = (s: FleetCertificateItem): CertificateState => (s.expired > 0 || (s.soonest && s.soonest.residual_days < 0) ? 'expired' : s.expiring > 0 ? 'expiring-soon' : 'valid');

export function FleetCertificates() {
  const fleet = useResource<Fleet>(`/fleet/certificates?limit=${SOONEST}`, 30_000);
  const t = fleet.data?.totals;
  const items = fleet.data?.items ?? [];
  return (
    <>
      <h2>The fleet's certificates</h2>
      <ErrorText error={fleet.error} />
      <p className="summary" aria-live="polite">
        {t ? (
          <>
            <span data-testid="fleet-reporting">{t.subclouds_reporting}</span> subclouds reporting · <Badge value="expiring-soon" /> <span data-testid="fleet-expiring">{t.subclouds_expiring}</span> with a certificate in its
            500.200 window · <Badge value="expired" /> <span data-testid="fleet-expired">{t.subclouds_expired}</span> with an expired one (500.210)
          </>
        ) : (
          'Reading the fleet summary…'
        )}
      </p>
      <Table
        caption={`The subclouds whose certificates expire soonest (up to ${SOONEST})`}
        head={['Subcloud', 'Availability', 'State', 'Soonest certificate', 'Expiry date', 'Days left', 'Expiring (500.200)', 'Expired (500.210)']}
        empty={fleet.data ? 'No subcloud has reported its certificates yet.' : 'Loading…'}
        rowClass={(i) => `expiry-${stateOf(items[i]!)}`}
        rows={items.map((s) => [
          <a href={href('subclouds', s.name)}>{s.name}</a>,
          <Badge value={s.availability_status} />,
          <Badge value={stateOf(s)} />,
          s.soonest ? `${s.soonest.name} (${s.soonest.type})` : '—',
          s.soonest ? <time dateTime={s.soonest.expiry_date}>{when(s.soonest.expiry_date)}</time> : '—',
          s.soonest?.residual_days ?? '—',
          s.expiring,
          s.expired,
        ])}
      />
    </>
  );
}
