/**
 * The admin's forms on the Backups view: back up now, and create a
 * schedule. A refusal is shown beside the field the server named, in its
 * words; the passphrase is sent once and never shown again.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, post } from '../api';
import { ErrorText } from '../components/Bits';

type Failure = { field: string | undefined; message: string } | undefined;

function useSubmit(send: () => Promise<unknown>, after: () => void) {
  const [error, setError] = useState<Failure>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await send();
      after();
    } catch (err) {
      setError({ field: err instanceof ApiError ? err.field : undefined, message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: string, id: string) => (error?.field === field ? { 'aria-invalid': true, 'aria-describedby': id } : {});
  return { error, busy, submit, invalid };
}

/** The server's words, with the field named once (its messages often start with the field already). */
const said = (f: Failure) => f && (f.field && !f.message.startsWith(f.field) ? `${f.field}: ${f.message}` : f.message);

const optional = (name: string, value: string) => (value.trim() ? { [name]: value.trim() } : {});

export function BackupCreate({ busy, done }: { busy: boolean; done: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [ttl, setTtl] = useState('');
  const form = useSubmit(
    () => post('/backups', { ...optional('passphrase', passphrase), ...optional('ttl', ttl) }),
    () => {
      setPassphrase('');
      done();
    },
  );
  return (
    <>
      <h2>Back up now</h2>
      <form className="install" onSubmit={(e) => void form.submit(e)} aria-label="Back up now">
        <label>
          Passphrase (seals the keys and credentials in; without one they are left out)
          <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} minLength={8} autoComplete="new-password" {...form.invalid('passphrase', 'backup-error')} />
        </label>
        <label>
          Lifetime (e.g. 30d, 12h; empty: kept until deleted)
          <input value={ttl} onChange={(e) => setTtl(e.target.value)} {...form.invalid('ttl', 'backup-error')} />
        </label>
        <p>
          <button type="submit" className="primary" disabled={busy || form.busy}>
            {busy ? 'A backup is running…' : 'Back up'}
          </button>
        </p>
      </form>
      <div id="backup-error">
        <ErrorText error={said(form.error)} />
      </div>
    </>
  );
}

export function ScheduleCreate({ done }: { done: () => void }) {
  const [fields, setFields] = useState({ name: '', cron: '0 3 * * *', keep: '', ttl: '', passphrase: '' });
  const set = (k: keyof typeof fields) => (e: { target: { value: string } }) => setFields({ ...fields, [k]: e.target.value });
  const form = useSubmit(
    () =>
      post('/backup-schedules', {
        name: fields.name.trim(),
        cron: fields.cron,
        ...(fields.keep.trim() ? { keep: Number(fields.keep) } : {}),
        ...optional('ttl', fields.ttl),
        ...optional('passphrase', fields.passphrase),
      }),
    () => {
      setFields({ name: '', cron: '0 3 * * *', keep: '', ttl: '', passphrase: '' });
      done();
    },
  );
  return (
    <>
      <h2>New schedule</h2>
      <form className="install" onSubmit={(e) => void form.submit(e)} aria-label="New schedule">
        <label>
          Name
          <input value={fields.name} onChange={set('name')} required {...form.invalid('name', 'schedule-error')} />
        </label>
        <label>
          Cron (minute hour day month weekday, UTC)
          <input value={fields.cron} onChange={set('cron')} required {...form.invalid('cron', 'schedule-error')} />
        </label>
        <label>
          Keep (newest complete backups; empty: all)
          <input value={fields.keep} onChange={set('keep')} inputMode="numeric" {...form.invalid('keep', 'schedule-error')} />
        </label>
        <label>
          Lifetime of each (e.g. 30d)
          <input value={fields.ttl} onChange={set('ttl')} {...form.invalid('ttl', 'schedule-error')} />
        </label>
        <label>
          Passphrase
          <input type="password" value={fields.passphrase} onChange={set('passphrase')} minLength={8} autoComplete="new-password" {...form.invalid('passphrase', 'schedule-error')} />
        </label>
        <p>
          <button type="submit" className="primary" disabled={form.busy}>
            Create schedule
          </button>
        </p>
      </form>
      <div id="schedule-error">
        <ErrorText error={said(form.error)} />
      </div>
    </>
  );
}
