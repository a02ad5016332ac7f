import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { count } from '../format';
import { useT } from '../i18n';
import { ErrorText } from '../error-text';

export type Verdict = 'wouldSucceed' | 'alreadyDone' | 'wouldFail' | 'skipped' | 'unchecked';
export type LeavableVerdict = 'alreadyDone' | 'wouldFail' | 'skipped';
const verdictOrder: Verdict[] = ['wouldSucceed', 'alreadyDone', 'wouldFail', 'skipped', 'unchecked'];
export const leavable: LeavableVerdict[] = ['alreadyDone', 'wouldFail', 'skipped'];

export interface CheckState {
  state: 'running' | 'done' | 'stopped';
  checked: number;
  total: number;
  verdicts: Record<Verdict, number>;
  rows: {
    line: number;
    verdict: Verdict;
    code?: string;
    reason: string;
    applicationId?: string;
    why?: 'notFound' | 'terminated' | 'moved' | 'duplicate' | 'unknownReason' | 'refused';
  }[];
}

/**
 * The optional check against Feishu (预检) between preview and confirm: its cost stated before it
 * starts, its progress, what it found, and which of those rows to leave out.
 */
export function UploadCheck({
  operation,
  adopting,
  uploadId,
  rows,
  estimateSeconds,
  maxRows,
  leaveOut,
  onLeaveOut,
  onCheck,
}: {
  operation: 'terminate' | 'create';
  /** Creates: duplicates will be adopted, so they are not offered to leave out. */
  adopting: boolean;
  uploadId: string;
  rows: number;
  estimateSeconds: number;
  maxRows: number;
  leaveOut: LeavableVerdict[];
  onLeaveOut: (verdicts: LeavableVerdict[]) => void;
  onCheck: (check: CheckState | undefined) => void;
}) {
  const t = useT();
  const [check, setCheck] = useState<CheckState | undefined>();
  const [error, setError] = useState<string | undefined>();
  const update = (next: CheckState | undefined) => {
    setCheck(next);
    onCheck(next);
  };

  // While it runs: ask again as soon as the server has news (it answers at the end, or each second).
  useEffect(() => {
    if (check?.state !== 'running') return;
    let live = true;
    api<CheckState>(`/uploads/${encodeURIComponent(uploadId)}/check?waitMs=1000`)
      .then((next) => live && update(next))
      .catch((problem: Error) => live && setError(problem.message));
    return () => {
      live = false;
    };
  }, [check]);

  const start = async () => {
    setError(undefined);
    try {
      const first = check === undefined;
      update(await api<CheckState>(`/uploads/${encodeURIComponent(uploadId)}/check`, { method: 'POST' }));
      // Everything found is left out unless the person keeps it; a check run again keeps their choice.
      if (first) onLeaveOut(leavable);
    } catch (problem) {
      setError((problem as Error).message);
    }
  };

  // Duplicates taken as the rows' own (adopting) are not among the rows a person may leave out.
  const duplicates = adopting ? (check?.rows.filter((row) => row.why === 'duplicate').length ?? 0) : 0;
  const leavableCount = (v: LeavableVerdict) =>
    (check?.verdicts[v] ?? 0) - (v === 'wouldFail' ? duplicates : 0);
  const withExisting = check?.rows.some((row) => row.applicationId !== undefined) ?? false;
  // In the page's language first; Feishu's own words beside it.
  const why = (row: CheckState['rows'][number]) =>
    row.verdict === 'unchecked'
      ? t('newBatch.check.why.unchecked')
      : t(`newBatch.check.why.${row.why ?? 'refused'}`, {
          id: row.applicationId ?? '',
          code: row.code ?? '',
        });
  const stop = async () => {
    try {
      update(
        await api<CheckState>(`/uploads/${encodeURIComponent(uploadId)}/check/stop`, { method: 'POST' }),
      );
    } catch (problem) {
      setError((problem as Error).message);
    }
  };
  const duration =
    estimateSeconds >= 90
      ? t('newBatch.check.minutes', { count: Math.round(estimateSeconds / 60) })
      : t('newBatch.check.seconds', { count: Math.max(1, estimateSeconds) });

  return (
    <section aria-labelledby="check-title">
      <h2 id="check-title">{t('newBatch.check.title')}</h2>
      <p>{t('newBatch.check.explain')}</p>
      {operation === 'create' && <p class="muted">{t('newBatch.check.createLimit')}</p>}
      {rows > maxRows ? (
        <p>{t('newBatch.check.tooMany', { max: count(maxRows) })}</p>
      ) : (
        <>
          {check?.state !== 'running' && <p>{t('newBatch.check.cost', { count: rows, duration })}</p>}
          {check?.state !== 'running' && (
            <button type="button" class="secondary" onClick={() => void start()}>
              {check ? t('newBatch.check.again') : t('newBatch.check.start')}
            </button>
          )}
        </>
      )}
      <ErrorText error={error} />
      {check && (
        <div role="status">
          {check.state === 'running' && (
            <>
              <p>
                {t('newBatch.check.running', { checked: count(check.checked), total: count(check.total) })}
              </p>
              <progress
                value={check.checked}
                max={Math.max(check.total, 1)}
                aria-label={t('newBatch.check.title')}
              />
            </>
          )}
          {check.state === 'stopped' && (
            <p>{t('newBatch.check.stopped', { checked: count(check.checked), total: count(check.total) })}</p>
          )}
          {check.state === 'done' && <p>{t('newBatch.check.done', { total: count(check.total) })}</p>}
        </div>
      )}
      {check?.state === 'running' && (
        <>
          <p class="muted">{t('newBatch.check.runningHint')}</p>
          <button type="button" class="secondary" onClick={() => void stop()}>
            {t('newBatch.check.stop')}
          </button>
        </>
      )}
      {check && check.state !== 'running' && (
        <>
          <ul class="verdicts">
            {verdictOrder
              .filter((v) => v === 'wouldSucceed' || check.verdicts[v] > 0)
              .map((v) => (
                <li data-verdict={v}>
                  {t(`newBatch.check.verdicts.${v}`)}: <strong>{count(check.verdicts[v])}</strong>
                </li>
              ))}
          </ul>
          {check.rows.length > 0 && (
            <>
              <h3>{t('newBatch.check.rowsTitle')}</h3>
              <div class="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('batch.line')}</th>
                      <th scope="col">{t('newBatch.check.verdict')}</th>
                      <th scope="col">{t('newBatch.check.code')}</th>
                      <th scope="col">{t('newBatch.problem')}</th>
                      {withExisting && <th scope="col">{t('newBatch.check.existing')}</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {check.rows.slice(0, 500).map((row) => (
                      <tr data-verdict={row.verdict}>
                        <td>{row.line}</td>
                        <td>{t(`newBatch.check.verdicts.${row.verdict}`)}</td>
                        <td>{row.code ?? ''}</td>
                        <td>
                          {why(row)}
                          <br />
                          <small class="muted">{row.reason}</small>
                        </td>
                        {withExisting && <td>{row.applicationId ?? ''}</td>}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          {check.state === 'done' &&
            leavable
              .filter((v) => leavableCount(v) > 0)
              .map((v) => (
                <label>
                  <input
                    type="checkbox"
                    name={`leave-out-${v}`}
                    checked={leaveOut.includes(v)}
                    onChange={(e) =>
                      onLeaveOut(
                        e.currentTarget.checked ? [...leaveOut, v] : leaveOut.filter((other) => other !== v),
                      )
                    }
                  />
                  {t(`newBatch.check.leaveOutBy.${v}`, { count: leavableCount(v) })}
                </label>
              ))}
          {check.state === 'done' && check.rows.length > 0 && (
            <small>{t('newBatch.check.leaveOutNote')}</small>
          )}
        </>
      )}
    </section>
  );
}
