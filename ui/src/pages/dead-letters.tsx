import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api';
import { count } from '../format';
import { i18n, useT } from '../i18n';
import { ErrorText } from '../error-text';

interface Letter {
  line: number | null;
  file?: string;
  input: Record<string, unknown>;
  message: string;
  logId?: string;
}

interface Group {
  code: string;
  meaning: string;
  fix?: string;
  count: number;
  rows: Letter[];
}

/** Failed rows listed per code on the page; the download has every one. */
const SHOWN_ROWS = 50;

type Ask =
  | { kind: 'replay'; group: Group; edits?: Record<string, unknown> }
  | { kind: 'discard'; group: Group }
  | { kind: 'row'; group: Group; letter: Letter };

/**
 * A batch's failed rows by code, with the meaning and the fix, and what an operator does with them:
 * send a group again (as it is, or with a field changed for all), fix one row, or leave them out
 * with a reason. Each behind a confirmation that states the count; a replay is a new batch.
 */
export function DeadLetters({
  me,
  batchId,
  version,
  onChanged,
}: {
  me: Me;
  batchId: string;
  version: number;
  /** Told after a replay or a discard: the batch's page reads the batch again (its links, its discards). */
  onChanged: () => void;
}) {
  const t = useT();
  const [groups, setGroups] = useState<Group[] | undefined>();
  const [ask, setAsk] = useState<Ask | undefined>();
  const [done, setDone] = useState<{ text: string; batchId?: string } | undefined>();
  const load = () =>
    api<{ groups: Group[] }>(`/batches/${encodeURIComponent(batchId)}/dead-letters?lang=${i18n.language}`)
      .then((answer) => setGroups(answer.groups))
      .catch(() => setGroups([]));
  // Read again in the other language when the person switches (the meanings come from the server).
  useEffect(() => void load(), [batchId, version, i18n.language]);
  if (!groups || groups.length === 0) return done ? <Done done={done} /> : null;
  const canWrite = me.role === 'operator' || me.role === 'admin';
  return (
    <>
      <h2>{t('batch.failures')}</h2>
      {done && <Done done={done} />}
      {groups.map((group) => (
        <details open={groups.length === 1}>
          <summary>
            {t('batch.group', { code: group.code, meaning: group.meaning, count: group.count })}
          </summary>
          {group.fix && <p>{t('batch.fix', { fix: group.fix })}</p>}
          <p>
            <a
              href={`/api/v1/batches/${encodeURIComponent(batchId)}/dead-letters.xlsx?code=${encodeURIComponent(group.code)}`}
              download
            >
              {t('letters.download', { count: group.count })}
            </a>
          </p>
          {canWrite && (
            <div class="actions">
              <button type="button" onClick={() => setAsk({ kind: 'replay', group })}>
                {t('letters.replayAll', { count: group.count })}
              </button>
              <button type="button" class="secondary" onClick={() => setAsk({ kind: 'discard', group })}>
                {t('letters.discardAll', { count: group.count })}
              </button>
            </div>
          )}
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('batch.line')}</th>
                  <th scope="col">{t('letters.row')}</th>
                  <th scope="col">{t('batch.message')}</th>
                  {canWrite && <th scope="col">{t('letters.fix')}</th>}
                </tr>
              </thead>
              <tbody>
                {group.rows.slice(0, SHOWN_ROWS).map((letter) => (
                  <tr>
                    <td>{letter.file ? `${letter.file}:${letter.line ?? ''}` : (letter.line ?? '')}</td>
                    <td>
                      <code>{describe(letter.input)}</code>
                    </td>
                    <td>{letter.message}</td>
                    {canWrite && (
                      <td>
                        {letter.line !== null && (
                          <button
                            type="button"
                            class="outline"
                            onClick={() => setAsk({ kind: 'row', group, letter })}
                          >
                            {t('letters.edit')}
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {group.rows.length > SHOWN_ROWS && (
            <p class="muted">{t('batch.moreRows', { count: group.rows.length - SHOWN_ROWS })}</p>
          )}
        </details>
      ))}
      {ask && (
        <LetterAction
          batchId={batchId}
          ask={ask}
          onClose={(result) => {
            setAsk(undefined);
            if (result) {
              setDone(result);
              onChanged();
            } else void load();
          }}
        />
      )}
    </>
  );
}

function Done({ done }: { done: { text: string; batchId?: string } }) {
  const t = useT();
  return (
    <p role="status">
      {done.text}{' '}
      {done.batchId && (
        <a href={`/batches/${encodeURIComponent(done.batchId)}`}>
          {t('letters.openBatch', { id: done.batchId })}
        </a>
      )}
    </p>
  );
}

/** A row's fields as one line a person reads. */
function describe(input: Record<string, unknown>): string {
  return Object.entries(input)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join('|') : String(v)}`)
    .join(' · ');
}

/** The confirmation of a replay (as it is, with a field changed for all, or one row fixed) or a discard. */
function LetterAction({
  batchId,
  ask,
  onClose,
}: {
  batchId: string;
  ask: Ask;
  onClose: (done?: { text: string; batchId?: string }) => void;
}) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const [field, setField] = useState('');
  const [value, setValue] = useState('');
  const [row, setRow] = useState<Record<string, string>>(
    ask.kind === 'row'
      ? Object.fromEntries(
          Object.entries(ask.letter.input).map(([k, v]) => [k, Array.isArray(v) ? v.join('|') : String(v)]),
        )
      : {},
  );
  const [reason, setReason] = useState('');
  // A duplicate's group may take the application that is there (its rows end "already done").
  const [adopt, setAdopt] = useState(false);
  const duplicates = ask.group.code === '1002206';
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  // The edited row checked as it is typed (after a pause), as the replay will check it.
  const [rowErrors, setRowErrors] = useState<string[]>([]);
  useEffect(() => {
    if (ask.kind !== 'row') return;
    let live = true;
    const timer = setTimeout(() => {
      api<{ ok: boolean; errors: string[] }>(
        `/batches/${encodeURIComponent(batchId)}/dead-letters/validate`,
        { method: 'POST', json: { input: row } },
      )
        .then((answer) => live && setRowErrors(answer.errors))
        .catch(() => undefined);
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [row]);
  const result = useRef<{ text: string; batchId?: string } | undefined>(undefined);
  useEffect(() => dialog.current?.showModal(), []);
  const fields = Object.keys(ask.group.rows[0]?.input ?? {});
  const base = `/batches/${encodeURIComponent(batchId)}/dead-letters`;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (ask.kind === 'discard') {
        const answer = await api<{ discarded: number }>(`${base}/discard`, {
          method: 'POST',
          json: { code: ask.group.code, reason },
        });
        result.current = { text: t('letters.discarded', { count: answer.discarded }) };
      } else {
        const json =
          ask.kind === 'row'
            ? { lines: [ask.letter.line], rows: [{ line: ask.letter.line, input: row }] }
            : {
                code: ask.group.code,
                ...(field ? { edits: { [field]: value } } : {}),
                ...(duplicates && adopt ? { existing: 'adopt' } : {}),
              };
        const answer = await api<{ batchId: string; accepted: number }>(`${base}/replay`, {
          method: 'POST',
          json,
        });
        result.current = { text: t('letters.replayed', { count: answer.accepted }), batchId: answer.batchId };
      }
      dialog.current?.close();
    } catch (problem) {
      const rows =
        problem instanceof ApiError
          ? (problem.body.rows as { line: number; errors: string[] }[] | undefined)
          : undefined;
      setError(
        rows
          ? `${t('letters.invalidEdit')} ${rows.map((r) => `${t('batch.line')} ${r.line}: ${r.errors.join('; ')}`).join(' / ')}`
          : (problem as Error).message,
      );
      setBusy(false);
    }
  };
  const n = ask.kind === 'row' ? 1 : ask.group.count;
  return (
    <dialog ref={dialog} aria-labelledby="letter-title" onClose={() => onClose(result.current)}>
      <article>
        <form onSubmit={(e) => void submit(e)}>
          <h2 id="letter-title">
            {ask.kind === 'discard'
              ? t('letters.discardTitle', { count: n, code: ask.group.code })
              : t('letters.replayTitle', { count: n, code: ask.group.code })}
          </h2>
          {ask.kind === 'replay' && (
            <>
              <p>{t('letters.replayBody', { count: n, rows: count(n) })}</p>
              {duplicates && (
                <label>
                  <input
                    type="checkbox"
                    checked={adopt}
                    onChange={(e) => setAdopt(e.currentTarget.checked)}
                  />
                  {t('newBatch.adoptExisting')}
                </label>
              )}
              <div class="grid">
                <label>
                  {t('letters.changeField')}
                  <select value={field} onChange={(e) => setField(e.currentTarget.value)}>
                    <option value="">{t('letters.noChange')}</option>
                    {fields.map((f) => (
                      <option value={f}>
                        {t(`fields.${f}`, { defaultValue: f })} ({f})
                      </option>
                    ))}
                  </select>
                </label>
                {field && (
                  <label>
                    {t('letters.newValue')}
                    <input
                      type="text"
                      required
                      value={value}
                      onInput={(e) => setValue(e.currentTarget.value)}
                    />
                  </label>
                )}
              </div>
            </>
          )}
          {ask.kind === 'row' &&
            Object.keys(row).map((f) => {
              // An error names its field first ("termination_type: ..."): shown under that field.
              const fieldErrors = rowErrors.filter((e) => e.startsWith(`${f}:`) || e.startsWith(`${f} `));
              return (
                <label>
                  {t(`fields.${f}`, { defaultValue: f })} ({f})
                  <input
                    type="text"
                    value={row[f]}
                    aria-invalid={fieldErrors.length > 0 ? 'true' : undefined}
                    aria-describedby={fieldErrors.length > 0 ? `row-error-${f}` : undefined}
                    onInput={(e) => setRow({ ...row, [f]: e.currentTarget.value })}
                  />
                  {fieldErrors.length > 0 && <small id={`row-error-${f}`}>{fieldErrors.join('; ')}</small>}
                </label>
              );
            })}
          {ask.kind === 'row' &&
            rowErrors
              .filter((e) => !Object.keys(row).some((f) => e.startsWith(`${f}:`) || e.startsWith(`${f} `)))
              .map((e) => (
                <p role="alert" class="error-text">
                  {e}
                </p>
              ))}
          {ask.kind === 'discard' && (
            <>
              <p>{t('letters.discardBody', { count: n, rows: count(n) })}</p>
              <label>
                {t('letters.reason')}
                <textarea required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
              </label>
            </>
          )}
          <ErrorText error={error} />
          <footer class="actions">
            <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
              {t('confirm.back')}
            </button>
            <button
              type="submit"
              aria-busy={busy}
              disabled={
                busy ||
                (ask.kind === 'discard' && reason.trim() === '') ||
                (ask.kind === 'row' && rowErrors.length > 0)
              }
            >
              {ask.kind === 'discard'
                ? t('letters.discardGo', { count: n, rows: count(n) })
                : t('letters.replayGo', { count: n, rows: count(n) })}
            </button>
          </footer>
        </form>
      </article>
    </dialog>
  );
}
