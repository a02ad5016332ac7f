import { useEffect, useState } from 'preact/hooks';
import { api, type Me } from '../api';
import { when } from '../format';
import { useT } from '../i18n';

interface Person {
  openId: string;
  name: string;
  role: 'admin' | 'operator' | 'viewer' | null;
  lastSeenAt: string;
}

/** Everyone who signed in once, and their role (admins give and take operator and viewer). */
export function PeoplePage({ me }: { me: Me }) {
  const t = useT();
  const [people, setPeople] = useState<Person[] | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const load = () =>
    api<Person[]>('/people')
      .then(setPeople)
      .catch((e: Error) => setMessage(e.message));
  useEffect(() => void load(), []);
  if (me.role !== 'admin') return <p>{t('people.adminsOnly')}</p>;
  const change = async (person: Person, role: string) => {
    try {
      await api(`/people/${encodeURIComponent(person.openId)}/role`, {
        method: 'PUT',
        json: { role: role === '' ? null : role },
      });
      setMessage(t('people.changed', { name: person.name, role: t(`roles.${role || 'none'}`) }));
      await load();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  return (
    <section>
      <h1>{t('people.title')}</h1>
      <p class="muted">{t('people.explain')}</p>
      <p role="status" aria-live="polite">
        {message}
      </p>
      {!people ? (
        <p aria-busy="true">{t('common.loading')}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('people.name')}</th>
                <th scope="col">{t('people.role')}</th>
                <th scope="col">{t('people.lastSeen')}</th>
              </tr>
            </thead>
            <tbody>
              {people.map((person) => (
                <tr>
                  <td>
                    {person.name} <small class="muted">{person.openId}</small>
                  </td>
                  <td>
                    {person.role === 'admin' ? (
                      t('roles.admin')
                    ) : (
                      <select
                        aria-label={t('people.roleOf', { name: person.name })}
                        value={person.role ?? ''}
                        onChange={(e) => void change(person, e.currentTarget.value)}
                      >
                        <option value="">{t('roles.none')}</option>
                        <option value="operator">{t('roles.operator')}</option>
                        <option value="viewer">{t('roles.viewer')}</option>
                      </select>
                    )}
                  </td>
                  <td>{when(person.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
