/**
 * Install an operator's certificate (admin; StarlingX certificate-install):
 * the API server certificate with its key (put on the listener at once), or
 * a trusted CA bundle. A refusal names the field at fault and the reason, as
 * the server said them, beside that field; the running certificate stays.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, post } from '../api';
import { ErrorText } from '../components/Bits';
import type { CertificateDetail } from '../../../src/resources/certificates/certificate.views.js';

/** INSTALLABLE_TYPES in certificate.service.ts, spelled here because that module is server code (node:crypto) the dashboard cannot type-check against. */
type Installable = 'platform' | 'ssl-ca';

export function CertificateInstall({ done }: { done: () => void }) {
  const [type, setType] = useState<Installable>('platform');
  const [certificate, setCertificate] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<{ field: string | undefined; message: string }>();
  const [message, setMessage] = useState<string>();
  const install = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setMessage(undefined);
    try {
      const { items } = await post<{ items: CertificateDetail[] }>('/certificates', { type, certificate, ...(type === 'platform' ? { key } : {}) });
      setMessage(`Installed ${items.map((c) => `${c.name} (expires ${new Date(c.expiry_date).toLocaleDateString()})`).join(', ')}.`);
      setCertificate('');
      setKey('');
      done();
    } catch (err) {
      setError({ field: err instanceof ApiError ? err.field : undefined, message: (err as Error).message });
    }
  };
  const invalid = (field: string) => (error?.field === field ? { 'aria-invalid': true, 'aria-describedby': 'install-error' } : {});
  return (
    <>
      <h2>Install a certificate</h2>
      <form className="install" onSubmit={(e) => void install(e)}>
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value as Installable)}>
            <option value="platform">platform (the API server certificate, with its key)</option>
            <option value="ssl-ca">ssl-ca (a CA to trust)</option>
          </select>
        </label>
        <label>
          Certificate (PEM{type === 'platform' ? ': the server certificate, then its chain' : ''})
          <textarea value={certificate} onChange={(e) => setCertificate(e.target.value)} required rows={6} spellCheck={false} {...invalid('certificate')} />
        </label>
        {type === 'platform' && (
          <label>
            Private key (PEM)
            <textarea value={key} onChange={(e) => setKey(e.target.value)} required rows={4} spellCheck={false} {...invalid('key')} />
          </label>
        )}
        <p>
          <button type="submit" className="primary">
            Install
          </button>
        </p>
      </form>
      {message && <p role="status">{message}</p>}
      <div id="install-error">
        <ErrorText error={error && (error.field ? `${error.field}: ${error.message}` : error.message)} />
      </div>
    </>
  );
}
