import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { when } from '../format';
import { useT } from '../i18n';
import { ErrorText } from '../error-text';

interface Entry {
  at: string;
  actor: { openId: string; name: string };
  action: string;
  batchId?: string;
  detail: Record<string, unknown>;
}

/** Who did what, newest first; one batch's entries when searched. */
export function AuditPage() {
  const t = useT();
  const [batchId, setBatchId] = useState('');
  const [entries, setEntries] = useState<Entry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const query = batchId.trim() ? `?batchId=${encodeURIComponent(batchId.trim())}` : '';
    api<{ entries: Entry[] }>(`/audit${query}`)
      .then((answer) => setEntries(answer.entries))
      .catch((e: Error) => setError(e.message));
  }, [batchId]);
  return (
    <section>
      <h1>{t('audit.title')}</h1>
      <label>
        {t('audit.batch')}
        <input type="search" value={batchId} onChange={(e) => setBatchId(e.currentTarget.value)} />
      </label>
      <ErrorText error={error} />
      {!entries ? (
        <p aria-busy="true">{t('common.loading')}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col" class="nowrap">
                  {t('audit.at')}
                </th>
                <th scope="col">{t('audit.who')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.batchColumn')}</th>
                <th scope="col">{t('audit.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr>
                  <td class="nowrap">{when(entry.at)}</td>
                  <td class="nowrap">{entry.actor.name}</td>
                  <td class="nowrap">{t(`audit.actions.${entry.action}`, { defaultValue: entry.action })}</td>
                  <td>
                    {entry.batchId ? (
                      <a href={`/batches/${encodeURIComponent(entry.batchId)}`}>{entry.batchId}</a>
                    ) : (
                      ''
                    )}
                  </td>
                  <td class="detail">{describe(entry.detail, t)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Ids only a machine reads, and values that say nothing happened: not shown. */
const hiddenKeys = new Set(['uploadId', 'listedMs', 'openId']);

/** An entry's detail as text a person reads: `label: value` pairs in the page's language. */
function describe(detail: Record<string, unknown>, t: ReturnType<typeof useT>): string {
  return Object.entries(detail)
    .filter(
      ([key, value]) => !hiddenKeys.has(key) && value !== 0 && !(Array.isArray(value) && value.length === 0),
    )
    .map(([key, value]) => {
      const label = t(`audit.keys.${key}`, { defaultValue: key });
      const text =
        key === 'operation' && typeof value === 'string'
          ? t(`operations.${value}`, { defaultValue: value })
          : key === 'from' || key === 'to'
            ? value === null
              ? t('roles.none')
              : t(`roles.${String(value)}`, { defaultValue: String(value) })
            : Array.isArray(value)
              ? value.join(', ')
              : typeof value === 'string'
                ? value
                : JSON.stringify(value);
      return `${label}: ${text}`;
    })
    .join(' · ');
}
