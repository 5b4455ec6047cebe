/** `starling certificate list | fleet | show | install | renew` (StarlingX `system certificate-list | certificate-show | certificate-install`). */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { CERTIFICATE_TYPES } from '../../resources/certificates/certificate.types.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderList, renderObject } from '../output.js';
import { fetchPages } from '../pages.js';

type Row = Record<string, unknown>;

const COLUMNS = [
  { header: 'Name', value: (c: Row) => c.name },
  { header: 'Type', value: (c: Row) => c.type },
  { header: 'Residual Time', value: (c: Row) => c.residual_time },
  { header: 'State', value: (c: Row) => c.state },
  { header: 'Issue Date', value: (c: Row) => c.issue_date },
  { header: 'Expiry Date', value: (c: Row) => c.expiry_date },
  { header: 'Issuer', value: (c: Row) => c.issuer },
  { header: 'Subject', value: (c: Row) => c.subject },
  { header: 'SANs', value: (c: Row) => c.sans },
  { header: 'Renewal', value: (c: Row) => c.renewal },
];

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export function registerCertificateCommands(program: Command, ctx: CliContext): void {
  const certificate = program.command('certificate').description("Certificates this controller holds or issued: expiry, renewal, installing an operator's own");

  certificate
    .command('list')
    .description('Certificates, soonest expiry first, with residual time, dates, issuer, subject, SANs and renewal mode')
    .option('--expired', 'only expired ones')
    .option('--soon-to-expiry <days>', 'only those expiring within this many days')
    .addOption(new Option('--type <type>', 'only this type').choices(CERTIFICATE_TYPES))
    .option('--all', 'every page')
    .action(async (o: { expired?: boolean; soonToExpiry?: string; type?: string; all?: boolean }, cmd: Command) => {
      const { items } = await fetchPages<Row>(ctx, '/api/v1/certificates', { expired: o.expired, soon_to_expiry: o.soonToExpiry, type: o.type, limit: 1000 }, o.all ?? false);
      ctx.out(renderList(ctx.format(cmd), items, COLUMNS));
    });

  certificate
    .command('fleet')
    .description("On a system controller: the subclouds whose certificates expire soonest, with their 500.200/500.210 alarms")
    .option('--limit <n>', 'how many subclouds', '20')
    .action(async (o: { limit: string }, cmd: Command) => {
      const fleet = await ctx.client().request<{ totals: Row; items: Row[] }>('GET', '/api/v1/fleet/certificates', { query: { limit: o.limit } });
      const format = ctx.format(cmd);
      if (format !== 'table') return ctx.out(renderObject(format, fleet));
      const t = fleet.totals;
      ctx.out(`${t.subclouds_reporting} subclouds reporting certificates; ${t.subclouds_expiring} with one expiring (500.200), ${t.subclouds_expired} with one expired (500.210)`);
      const soonest = (r: Row) => (r.soonest ?? {}) as Row;
      ctx.out(
        renderList(format, fleet.items, [
          { header: 'Subcloud', value: (r: Row) => r.name },
          { header: 'Availability', value: (r: Row) => r.availability_status },
          { header: 'Certificate', value: (r: Row) => soonest(r).name },
          { header: 'Type', value: (r: Row) => soonest(r).type },
          { header: 'Expiry Date', value: (r: Row) => soonest(r).expiry_date },
          { header: 'Residual Days', value: (r: Row) => soonest(r).residual_days },
          { header: '500.200', value: (r: Row) => r.expiring },
          { header: '500.210', value: (r: Row) => r.expired },
        ]),
      );
    });

  certificate
    .command('show')
    .description('Show a certificate (by id or name), with its PEM')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('GET', `/api/v1/certificates/${encodeURIComponent(id)}`)));
    });

  certificate
    .command('install')
    .description("Install the API server certificate (platform: the certificate, then its chain, with --key; live, no restart) or a trusted CA bundle (ssl-ca)")
    .addOption(new Option('--type <type>', 'what it is').choices(['platform', 'ssl-ca']).makeOptionMandatory())
    .argument('<file>', 'PEM file')
    .option('--key <file>', "the server certificate's private key (PEM; platform)")
    .action(async (file: string, o: { type: 'platform' | 'ssl-ca'; key?: string }, cmd: Command) => {
      const body = { type: o.type, certificate: await readPem(file, 'certificate'), ...(o.key ? { key: await readPem(o.key, '--key') } : {}) };
      const { items } = await ctx.client().request<{ items: Row[] }>('POST', '/api/v1/certificates', { body });
      ctx.out(renderList(ctx.format(cmd), items, COLUMNS));
    });

  certificate
    .command('renew')
    .description('Renew a certificate Starling issued and holds here (the API server certificate) now')
    .argument('<id>', 'id or name (platform)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('POST', `/api/v1/certificates/${encodeURIComponent(id)}/renew`, { body: {} })));
    });
}
