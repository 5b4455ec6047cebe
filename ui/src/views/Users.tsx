/** Users and roles (admin): list, add (a password is generated when none is given), change role, delete. */
import { useState, type FormEvent } from 'react';
import { api, post } from '../api';
import { ActionButton } from '../components/ActionButton';
import { ErrorText, Table, when } from '../components/Bits';
import { useResource, type Role } from '../hooks';

interface User {
  name: string;
  role: Role;
  created_at: string;
}

const ROLES: Role[] = ['admin', 'operator', 'reader'];

export function Users() {
  const users = useResource<{ items: User[] }>('/users');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('reader');
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setMessage(undefined);
    try {
      const created = await post<{ name: string; generated_password?: string }>('/users', { name, role });
      setMessage(`Added ${created.name}; its password, shown once: ${created.generated_password ?? '(as given)'}`);
      setName('');
      users.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <ErrorText error={users.error} />
      <Table
        caption="Users and their roles"
        head={['Name', 'Role', 'Created', 'Actions']}
        rows={(users.data?.items ?? []).map((u) => [
          u.name,
          <select aria-label={`Role of ${u.name}`} value={u.role} onChange={(e) => void api('PATCH', `/users/${encodeURIComponent(u.name)}`, { role: e.target.value }).then(users.reload, (err: Error) => setError(err.message))}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>,
          when(u.created_at),
          <ActionButton label="Delete" danger confirm={`Delete user ${u.name}?`} run={() => api('DELETE', `/users/${encodeURIComponent(u.name)}`)} done={users.reload} />,
        ])}
      />
      <h2>Add a user</h2>
      <form className="filters" onSubmit={(e) => void add(e)}>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required pattern="[a-z][a-z0-9._-]*" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          Add user
        </button>
      </form>
      {message && <p role="status">{message}</p>}
      <ErrorText error={error} />
    </section>
  );
}
