import { useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api';
import { count } from '../format';
import { i18n, useT } from '../i18n';
import { UploadCheck, type CheckState, type LeavableVerdict } from './upload-check';
import { ErrorText } from '../error-text';

type Operation = 'terminate' | 'create';

interface Preview {
  uploadId: string;
  operation: Operation;
  fileName: string;
  total: number;
  valid: number;
  invalid: { line: number; errors: string[] }[];
  invalidCount: number;
  columns: string[];
  mapping: Record<string, string | null>;
  stale?: { jobId: string; olderThanDays: number; cutoff: string; listedMs: number };
  rowsWithoutType: number;
  check: { estimateSeconds: number; maxRows: number };
}

interface Reason {
  id: string;
  name: { zh_cn?: string; en_us?: string };
  termination_type?: number;
  active_status?: number;
}

/** A new batch in steps: operation and file, the mapping when needed, the preview, the confirmation. */
export function NewBatchPage({ me }: { me: Me }) {
  const t = useT();
  const location = useLocation();
  const [operation, setOperation] = useState<Operation>('terminate');
  const [file, setFile] = useState<File | undefined>();
  const [source, setSource] = useState<'file' | 'stale'>('file');
  const [jobId, setJobId] = useState('');
  const [days, setDays] = useState('30');
  const [encoding, setEncoding] = useState('');
  const [mapping, setMapping] = useState<
    | { columns: string[]; fields: string[]; chosen: Record<string, string | null>; saved?: boolean }
    | undefined
  >();
  const [preview, setPreview] = useState<Preview | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  if (me.role !== 'operator' && me.role !== 'admin') return <p>{t('newBatch.operatorsOnly')}</p>;

  const listStale = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setPreview(
        await api<Preview>('/uploads/stale', {
          method: 'POST',
          json: { jobId: jobId.trim(), olderThanDays: Number(days) },
        }),
      );
    } catch (problem) {
      setError((problem as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const upload = async (chosen?: Record<string, string | null>) => {
    if (source === 'stale') return listStale();
    if (!file) return;
    setBusy(true);
    setError(undefined);
    const form = new FormData();
    form.append('operation', operation);
    if (chosen) form.append('mapping', JSON.stringify(chosen));
    if (encoding) form.append('encoding', encoding);
    form.append('file', file);
    try {
      setPreview(await api<Preview>('/uploads', { method: 'POST', form }));
      setMapping(undefined);
    } catch (problem) {
      if (problem instanceof ApiError && problem.code === 'MAPPING_NEEDED') {
        // The server names the operation's fields: the page keeps no list of its own.
        const body = problem.body as {
          columns: string[];
          fields: string[];
          mapping: Record<string, string | null>;
          saved?: boolean;
        };
        setMapping({
          columns: body.columns,
          fields: body.fields,
          chosen: body.mapping,
          saved: body.saved === true,
        });
      } else setError((problem as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>{t('newBatch.title')}</h1>
      {!preview && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void upload(mapping?.chosen);
          }}
        >
          <fieldset>
            <legend>{t('newBatch.operation')}</legend>
            {(['terminate', 'create'] as const).map((op) => (
              <label>
                <input
                  type="radio"
                  name="operation"
                  value={op}
                  checked={operation === op}
                  onChange={() => {
                    setOperation(op);
                    setMapping(undefined);
                    if (op === 'create') setSource('file');
                  }}
                />
                {t(`newBatch.operations.${op}`)}
              </label>
            ))}
          </fieldset>
          {operation === 'terminate' && (
            <fieldset>
              <legend>{t('newBatch.source')}</legend>
              <label>
                <input
                  type="radio"
                  name="source"
                  checked={source === 'file'}
                  onChange={() => setSource('file')}
                />
                {t('newBatch.fromSpreadsheet')}
              </label>
              <label>
                <input
                  type="radio"
                  name="source"
                  checked={source === 'stale'}
                  onChange={() => setSource('stale')}
                />
                {t('newBatch.fromStale')}
              </label>
            </fieldset>
          )}
          {operation === 'terminate' && source === 'stale' ? (
            <div class="grid">
              <label>
                {t('newBatch.jobId')}
                <input type="text" required value={jobId} onInput={(e) => setJobId(e.currentTarget.value)} />
              </label>
              <label>
                {t('newBatch.olderThanDays')}
                <input
                  type="number"
                  min={1}
                  required
                  value={days}
                  onInput={(e) => setDays(e.currentTarget.value)}
                />
              </label>
            </div>
          ) : (
            <label>
              {t('newBatch.file')}
              <input
                type="file"
                name="file"
                accept=".csv,.xlsx,.ndjson,.json"
                required
                onChange={(e) => {
                  setFile(e.currentTarget.files?.[0]);
                  setMapping(undefined);
                }}
              />
              <small>{t('newBatch.fileHint')}</small>
            </label>
          )}
          {!(operation === 'terminate' && source === 'stale') && (
            <label>
              {t('newBatch.encoding')}
              <select value={encoding} onChange={(e) => setEncoding(e.currentTarget.value)}>
                <option value="">{t('newBatch.encodingAuto')}</option>
                <option value="utf-8">UTF-8</option>
                <option value="gb18030">GBK / GB18030</option>
                <option value="utf16le">UTF-16</option>
              </select>
            </label>
          )}
          {mapping && (
            <fieldset>
              <legend>{t('newBatch.mapping')}</legend>
              <p>{t('newBatch.mappingExplain')}</p>
              {mapping.saved && <p>{t('newBatch.mappingSaved')}</p>}
              {mapping.columns.map((column, i) => (
                <>
                  {/* Named by the column alone (a wrapping label would take the options' text too). */}
                  <label for={`column-${i}`}>{column}</label>
                  <select
                    id={`column-${i}`}
                    value={mapping.chosen[column] ?? ''}
                    onChange={(e) =>
                      setMapping({
                        ...mapping,
                        chosen: { ...mapping.chosen, [column]: e.currentTarget.value || null },
                      })
                    }
                  >
                    <option value="">{t('newBatch.skipColumn')}</option>
                    {mapping.fields.map((field) => (
                      <option value={field}>
                        {t(`fields.${field}`)} ({field})
                      </option>
                    ))}
                  </select>
                </>
              ))}
            </fieldset>
          )}
          <ErrorText error={error} />
          <button
            type="submit"
            aria-busy={busy}
            disabled={busy || (source === 'stale' && operation === 'terminate' ? jobId.trim() === '' : !file)}
          >
            {source === 'stale' && operation === 'terminate'
              ? t('newBatch.findStale')
              : mapping
                ? t('newBatch.readWithMapping')
                : t('newBatch.read')}
          </button>
        </form>
      )}
      {preview && (
        <Confirm
          me={me}
          preview={preview}
          onBack={() => {
            // A check still running reads for nothing once the person goes back.
            void api(`/uploads/${encodeURIComponent(preview.uploadId)}/check/stop`, { method: 'POST' }).catch(
              () => undefined,
            );
            setPreview(undefined);
          }}
          onStarted={(batchId) => location.route(`/batches/${encodeURIComponent(batchId)}`)}
        />
      )}
    </section>
  );
}

/** The preview (counts and the rows left out) and the confirmation that states what will be written. */
function Confirm({
  me,
  preview,
  onBack,
  onStarted,
}: {
  me: Me;
  preview: Preview;
  onBack: () => void;
  onStarted: (batchId: string) => void;
}) {
  const t = useT();
  const [reasons, setReasons] = useState<Reason[]>([]);
  const [reasonId, setReasonId] = useState('');
  const [terminationType, setTerminationType] = useState('');
  const [note, setNote] = useState('');
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [check, setCheck] = useState<CheckState | undefined>();
  const [leaveOut, setLeaveOut] = useState<LeavableVerdict[]>([]);
  const [adopt, setAdopt] = useState(false);
  const terminate = preview.operation === 'terminate';
  // Left out only once the check is done: what it found, of the kinds the person chose.
  const leaving = check?.state === 'done' ? leaveOut.filter((v) => check.verdicts[v] > 0) : [];
  // Adopting wins over leaving out: the talent's existing application is taken, not skipped.
  const duplicates =
    !terminate && adopt ? (check?.rows.filter((row) => row.why === 'duplicate').length ?? 0) : 0;
  const leftOutCount =
    leaving.reduce((sum, v) => sum + (check?.verdicts[v] ?? 0), 0) -
    (leaving.includes('wouldFail') ? duplicates : 0);
  const toWrite = preview.valid - leftOutCount;
  useEffect(() => {
    if (terminate)
      api<{ reasons: Reason[] }>('/termination-reasons')
        .then((answer) => setReasons(answer.reasons))
        .catch(() => setReasons([]));
  }, [terminate]);
  const mustType = toWrite > me.confirmRows;
  const needsType = preview.rowsWithoutType > 0;
  // "3,000" or "3 000" is the number a person reads on the page.
  const typedCount = Number(typed.replace(/[,，\s]/g, ''));
  const ready =
    toWrite > 0 &&
    check?.state !== 'running' &&
    (!mustType || typedCount === toWrite) &&
    (!needsType || terminationType !== '');
  // Only reasons Feishu still offers, and of the type chosen.
  const offered = reasons.filter(
    (r) =>
      r.active_status !== 2 &&
      (terminationType === '' ||
        r.termination_type === undefined ||
        r.termination_type === Number(terminationType)),
  );
  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api<{ batchId: string }>('/batches', {
        method: 'POST',
        json: {
          uploadId: preview.uploadId,
          ...(mustType ? { confirmCount: typedCount } : {}),
          ...(leaving.length > 0 ? { leaveOut: leaving } : {}),
          ...(!terminate && adopt ? { existing: 'adopt' } : {}),
          ...(terminate && terminationType ? { terminationType: Number(terminationType) } : {}),
          ...(terminate && reasonId ? { terminationReasonIds: [reasonId] } : {}),
          ...(terminate && note.trim() ? { note: note.trim() } : {}),
        },
      });
      onStarted(answer.batchId);
    } catch (problem) {
      setError((problem as Error).message);
      setBusy(false);
    }
  };
  const reasonName = (r: Reason) =>
    (i18n.language === 'en' ? r.name.en_us : r.name.zh_cn) ?? r.name.zh_cn ?? r.id;
  return (
    <form onSubmit={(e) => void start(e)}>
      <h2>{t('newBatch.preview')}</h2>
      {preview.stale && (
        <p>
          {t('newBatch.staleSummary', {
            jobId: preview.stale.jobId,
            days: preview.stale.olderThanDays,
            count: preview.total,
            seconds: (preview.stale.listedMs / 1000).toFixed(1),
          })}
        </p>
      )}
      <p>
        {t('newBatch.summary', {
          file: preview.fileName,
          total: count(preview.total),
          valid: count(preview.valid),
          invalid: count(preview.invalidCount),
        })}
      </p>
      {needsType && !preview.stale && (
        <p>
          <strong>{t('newBatch.withoutType', { count: preview.rowsWithoutType })}</strong>
        </p>
      )}
      {preview.invalidCount > 0 && (
        <>
          <h3>{t('newBatch.invalidRows', { count: preview.invalidCount })}</h3>
          <p>{t('newBatch.leftOut', { count: preview.invalidCount })}</p>
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('batch.line')}</th>
                  <th scope="col">{t('newBatch.problem')}</th>
                </tr>
              </thead>
              <tbody>
                {preview.invalid.map((row) => (
                  <tr>
                    <td>{row.line}</td>
                    <td>{row.errors.join('; ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {preview.valid > 0 && (
        <UploadCheck
          operation={preview.operation}
          adopting={!terminate && adopt}
          uploadId={preview.uploadId}
          rows={preview.valid}
          estimateSeconds={preview.check.estimateSeconds}
          maxRows={preview.check.maxRows}
          leaveOut={leaveOut}
          onLeaveOut={setLeaveOut}
          onCheck={setCheck}
        />
      )}
      <h2>{t('newBatch.confirm')}</h2>
      {terminate && (
        <>
          <label>
            {t('newBatch.terminationType')}
            <select
              value={terminationType}
              required={needsType}
              onChange={(e) => setTerminationType(e.currentTarget.value)}
            >
              <option value="">{needsType ? t('newBatch.choose') : t('newBatch.fromFile')}</option>
              {['1', '22', '27'].map((type) => (
                <option value={type}>{t(`terminationTypes.${type}`)}</option>
              ))}
            </select>
          </label>
          <label>
            {t('newBatch.reason')}
            <select value={reasonId} onChange={(e) => setReasonId(e.currentTarget.value)}>
              <option value="">{t('newBatch.fromFile')}</option>
              {offered.map((reason) => (
                <option value={reason.id}>{reasonName(reason)}</option>
              ))}
            </select>
          </label>
          <label>
            {t('newBatch.note')}
            <input type="text" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
            <small>{t('newBatch.fillsOnly')}</small>
          </label>
        </>
      )}
      {!terminate && (
        <label>
          <input type="checkbox" checked={adopt} onChange={(e) => setAdopt(e.currentTarget.checked)} />
          {t('newBatch.adoptExisting')}
        </label>
      )}
      {leftOutCount > 0 && <p>{t('newBatch.check.leavingOut', { count: leftOutCount })}</p>}
      {me.approvalRows !== undefined && toWrite > me.approvalRows && (
        <p>
          <strong>{t('newBatch.needsApproval', { max: me.approvalRows })}</strong>
        </p>
      )}
      <p>
        <strong>
          {toWrite === 0 && preview.valid > 0
            ? t('newBatch.nothingToWrite')
            : duplicates > 0
              ? t('newBatch.consequence.createAdopting', {
                  valid: count(toWrite),
                  create: count(toWrite - duplicates),
                  adopt: count(duplicates),
                })
              : t(`newBatch.consequence.${preview.operation}`, {
                  count: toWrite,
                  valid: count(toWrite),
                })}
        </strong>
      </p>
      {mustType && (
        <label>
          {t('newBatch.typeCount', { valid: toWrite })}
          <input
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </label>
      )}
      <ErrorText error={error} />
      <div class="actions">
        <button type="button" class="secondary" onClick={onBack}>
          {t('newBatch.back')}
        </button>
        <button type="submit" aria-busy={busy} disabled={busy || !ready}>
          {t('newBatch.start', { valid: count(toWrite) })}
        </button>
      </div>
    </form>
  );
}
