import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api';
import { count, when } from '../format';
import { i18n, useT } from '../i18n';
import { DeadLetters } from './dead-letters';
import { ErrorText } from '../error-text';

type Counts = Record<
  'succeeded' | 'alreadyDone' | 'skipped' | 'deadLettered' | 'cancelled' | 'pending' | 'invalid',
  number
>;

interface BatchDetail {
  batchId: string;
  operation: 'create' | 'terminate';
  state: 'running' | 'paused' | 'cancelled' | 'finished' | 'awaitingApproval' | 'rejected';
  files: string[];
  allRowsIn: boolean;
  counts: Counts & { total: number };
  startedAt: string;
  finishedAt?: string;
  ratePerSecond: number;
  etaSeconds: number | null;
  limitPerSecond: number;
  createdBy?: { openId: string; name: string };
  replayOf?: string;
  approval?: {
    requestedBy: { openId: string; name: string };
    count: number;
    fileName: string;
    options: {
      defaults?: {
        termination_type?: number;
        termination_reason_list?: string[];
        termination_reason_note?: string;
      };
      leftOut?: number;
      existing?: 'adopt';
    };
    requestedAt: string;
    reason?: string;
    decidedBy?: { name: string };
    decidedAt?: string;
  };
  replayedInto?: string[];
  /** Failed rows left out on this page: how many, of which codes, why, by whom. */
  discarded?: { count: number; codes: string[]; reason: string; by: string; at: string }[];
  deadLetterGroups: {
    code: string;
    meaning: string;
    fix?: string;
    count: number;
    rows: { line: number; file?: string; message: string }[];
  }[];
}

interface Progress {
  jobs: number;
  done: number;
  state: BatchDetail['state'];
  counts: Omit<Counts, 'pending' | 'invalid'>;
}

type Action = 'pause' | 'resume' | 'cancel';

/** A batch: its state in plain words, live progress, the controls behind a confirmation, the downloads, its failures. */
export function BatchPage({ me, batchId }: { me: Me; batchId: string }) {
  const t = useT();
  const [batch, setBatch] = useState<BatchDetail | undefined>();
  const [live, setLive] = useState<Progress | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [asking, setAsking] = useState<Action | undefined>();
  // Bumped when the batch is read again: its failed rows are read again with it.
  const [version, setVersion] = useState(0);
  const load = () =>
    api<BatchDetail>(`/batches/${encodeURIComponent(batchId)}?lang=${i18n.language}`)
      .then((answer) => {
        setBatch(answer);
        setVersion((v) => v + 1);
      })
      .catch((e: Error) => setError(e.message));
  useEffect(() => void load(), [batchId]);
  // Followed live once it has jobs: a batch waiting for approval has none yet, and an approval
  // given on this page starts it.
  const hasJobs = batch !== undefined && batch.state !== 'awaitingApproval' && batch.state !== 'rejected';
  useEffect(() => {
    if (!hasJobs) return;
    const events = new EventSource(`/api/v1/batches/${encodeURIComponent(batchId)}/events`);
    events.addEventListener('progress', (e) =>
      setLive(JSON.parse((e as MessageEvent<string>).data) as Progress),
    );
    events.addEventListener('end', () => {
      events.close();
      void load();
    });
    return () => events.close();
  }, [batchId, hasJobs]);

  if (error) return <ErrorText error={error} />;
  if (!batch) return <p aria-busy="true">{t('common.loading')}</p>;
  const state = live?.state ?? batch.state;
  const jobs = live?.jobs ?? batch.counts.total - batch.counts.invalid;
  const done = live?.done ?? jobs - batch.counts.pending;
  const pending = Math.max(0, jobs - done);
  const canWrite = me.role === 'operator' || me.role === 'admin';
  // A batch waiting for (or refused) its approval has nothing enqueued: nothing to download yet.
  const started = state !== 'awaitingApproval' && state !== 'rejected';
  const counts = { ...batch.counts, ...(live?.counts ?? {}) };
  const base = `/api/v1/batches/${encodeURIComponent(batchId)}`;
  return (
    <section>
      <hgroup>
        <h1>
          {t('batch.title', { id: batch.batchId })}{' '}
          <span class={`state state-${state}`}>{t(`states.${state}`)}</span>
        </h1>
        <p>
          {t(`operations.${batch.operation}`)} · {batch.files.join(', ') || t('batch.noFile')} ·{' '}
          {batch.createdBy ? t('batch.by', { name: batch.createdBy.name }) : t('batches.byCli')} ·{' '}
          {when(batch.startedAt)}
        </p>
      </hgroup>
      <p>{t(`batch.explain.${state}`)}</p>
      {batch.approval && state === 'rejected' && (
        <p>
          {t('approval.rejectedBecause', {
            reason:
              batch.approval.reason === 'expired' ? t('approval.expired') : (batch.approval.reason ?? ''),
          })}
        </p>
      )}
      {batch.approval && started && batch.approval.decidedBy && (
        <p>
          {t('approval.approvedBy', {
            requester: batch.approval.requestedBy.name,
            requestedAt: when(batch.approval.requestedAt),
            by: batch.approval.decidedBy.name,
            at: when(batch.approval.decidedAt),
          })}
        </p>
      )}
      {batch.approval && state === 'awaitingApproval' && (
        <Approve me={me} batchId={batchId} approval={batch.approval} onDone={() => void load()} />
      )}
      {batch.discarded?.map((d) => (
        <p>
          {t('batch.discarded', { by: d.by, count: d.count, codes: d.codes.join(', '), reason: d.reason })}{' '}
          <span class="muted">{when(d.at)}</span>
        </p>
      ))}
      {batch.replayOf && (
        <p>
          {t('batch.replayOf')}{' '}
          <a href={`/batches/${encodeURIComponent(batch.replayOf)}`}>{batch.replayOf}</a>
        </p>
      )}
      {batch.replayedInto && batch.replayedInto.length > 0 && (
        <p>
          {t('batch.replayedInto')}{' '}
          {batch.replayedInto.map((id) => (
            <>
              <a href={`/batches/${encodeURIComponent(id)}`}>{id}</a>{' '}
            </>
          ))}
        </p>
      )}
      <progress value={done} max={Math.max(jobs, 1)} aria-label={t('batch.progressLabel')} />
      <p role="status" aria-live="polite">
        {state === 'cancelled'
          ? t('batch.progressCancelled', {
              called: count(done - (counts.cancelled ?? 0)),
              cancelled: count(counts.cancelled ?? 0),
            })
          : t('batch.progress', { done: count(done), jobs: count(jobs), pending: count(pending) })}
        {batch.ratePerSecond > 0 ? ` · ${t('batch.rate', { rate: batch.ratePerSecond.toFixed(1) })}` : ''}
        {state === 'running' && pending > 0 && batch.etaSeconds !== null
          ? ` · ${eta(pending, batch.limitPerSecond)}`
          : ''}
      </p>
      <ul class="counts">
        {(['succeeded', 'alreadyDone', 'skipped', 'deadLettered', 'cancelled', 'invalid'] as const).map(
          (k) => (
            <li>
              <small class="muted">{t(`counts.${k}`)}</small>
              <br />
              <strong>{count(counts[k] ?? 0)}</strong>
            </li>
          ),
        )}
      </ul>
      {canWrite && (state === 'running' || state === 'paused') && (
        <div class="actions">
          {state === 'running' && (
            <button type="button" class="secondary" onClick={() => setAsking('pause')}>
              {t('batch.pause')}
            </button>
          )}
          {state === 'paused' && (
            <button type="button" onClick={() => setAsking('resume')}>
              {t('batch.resume')}
            </button>
          )}
          <button type="button" class="contrast" onClick={() => setAsking('cancel')}>
            {t('batch.cancel')}
          </button>
        </div>
      )}
      {asking && (
        <ConfirmAction
          action={asking}
          batchId={batchId}
          pending={pending}
          onDone={() => {
            setAsking(undefined);
            setLive(undefined);
            void load();
          }}
        />
      )}
      {started && (
        <>
          <h2>{t('batch.downloads')}</h2>
          <ul>
            <li>
              <a href={`${base}/results.xlsx?lang=${i18n.language}`} download>
                {t('batch.downloadAll')} (.xlsx)
              </a>{' '}
              ·{' '}
              <a href={`${base}/results.csv?lang=${i18n.language}`} download>
                .csv
              </a>
            </li>
            <li>
              <a href={`${base}/results.xlsx?status=deadLettered&lang=${i18n.language}`} download>
                {t('batch.downloadFailed')}
              </a>
            </li>
            <li>
              <a href={`${base}/results.xlsx?status=pending,cancelled&lang=${i18n.language}`} download>
                {t('batch.downloadUnprocessed')}
              </a>
            </li>
          </ul>
        </>
      )}
      <DeadLetters me={me} batchId={batchId} version={version} onChanged={() => void load()} />
    </section>
  );
}

/** How long the rows left need at the limit, in the unit a person reads best. */
function eta(pending: number, limitPerSecond: number): string {
  const seconds = Math.ceil(pending / limitPerSecond);
  return seconds < 60
    ? i18n.t('batch.etaSeconds', { seconds, limit: limitPerSecond })
    : i18n.t('batch.eta', { minutes: Math.ceil(seconds / 60), limit: limitPerSecond });
}

/** The confirmation of a pause, resume or cancel: the count and the consequence, then the change. */
function ConfirmAction({
  action,
  batchId,
  pending,
  onDone,
}: {
  action: Action;
  batchId: string;
  pending: number;
  onDone: () => void;
}) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => dialog.current?.showModal(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api(`/batches/${encodeURIComponent(batchId)}/${action}`, {
        method: 'POST',
        json: action === 'cancel' ? { reason } : {},
      });
      // Closing tells the page (onClose), which reads the batch again.
      dialog.current?.close();
    } catch (problem) {
      setError(problem instanceof ApiError ? problem.message : String(problem));
      setBusy(false);
    }
  };
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onClose={onDone}>
      <article>
        <form onSubmit={(e) => void submit(e)}>
          <h2 id="confirm-title">{t(`confirm.${action}.title`, { id: batchId })}</h2>
          <p>{t(`confirm.${action}.body`, { count: pending, pending: count(pending) })}</p>
          {action === 'cancel' && (
            <label>
              {t('confirm.reason')}
              <textarea required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </label>
          )}
          <ErrorText error={error} />
          <footer class="actions">
            <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
              {t('confirm.back')}
            </button>
            <button
              type="submit"
              aria-busy={busy}
              disabled={busy || (action === 'cancel' && reason.trim() === '')}
            >
              {t(`confirm.${action}.go`)}
            </button>
          </footer>
        </form>
      </article>
    </dialog>
  );
}

/** Approve or reject a batch another person confirmed: stated with its count, a rejection with why. */
function Approve({
  me,
  batchId,
  approval,
  onDone,
}: {
  me: Me;
  batchId: string;
  approval: NonNullable<BatchDetail['approval']>;
  onDone: () => void;
}) {
  const t = useT();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const mayDecide =
    (me.role === 'operator' || me.role === 'admin') && me.openId !== approval.requestedBy.openId;
  const decide = async (action: 'approve' | 'reject') => {
    setBusy(true);
    setError(undefined);
    try {
      await api(`/batches/${encodeURIComponent(batchId)}/${action}`, {
        method: 'POST',
        json: action === 'reject' ? { reason } : {},
      });
      onDone();
    } catch (problem) {
      setError((problem as Error).message);
    } finally {
      setBusy(false);
    }
  };
  // What the confirm step filled in for every row that lacked it, in the page's words.
  const filled = approval.options.defaults ?? {};
  // Reasons by their names in Feishu, as the confirmer picked them.
  const [reasonNames, setReasonNames] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!filled.termination_reason_list?.length) return;
    api<{ reasons: { id: string; name: { zh_cn?: string; en_us?: string } }[] }>('/termination-reasons')
      .then((answer) =>
        setReasonNames(
          Object.fromEntries(
            answer.reasons.map((r) => [
              r.id,
              (i18n.language === 'en' ? r.name.en_us : r.name.zh_cn) ?? r.name.zh_cn ?? r.id,
            ]),
          ),
        ),
      )
      .catch(() => undefined);
  }, [batchId]);
  const defaultsText = [
    filled.termination_type !== undefined
      ? `${t('fields.termination_type')}: ${t(`terminationTypes.${filled.termination_type}`)}`
      : '',
    filled.termination_reason_list?.length
      ? `${t('approval.reasonLabel')}: ${filled.termination_reason_list.map((id) => reasonNames[id] ?? id).join(', ')}`
      : '',
    filled.termination_reason_note
      ? `${t('fields.termination_reason_note')}: ${filled.termination_reason_note}`
      : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <article>
      <p>{t('approval.waiting', { name: approval.requestedBy.name, count: approval.count })}</p>
      <p>
        {t('approval.details', { file: approval.fileName })}{' '}
        <a href={`/api/v1/batches/${encodeURIComponent(batchId)}/approval-file`} download>
          {t('approval.download')}
        </a>
      </p>
      {defaultsText && <p>{t('approval.defaults', { what: defaultsText })}</p>}
      {(approval.options.leftOut ?? 0) > 0 && (
        <p>{t('approval.leftOut', { count: approval.options.leftOut })}</p>
      )}
      {approval.options.existing === 'adopt' && <p>{t('newBatch.adoptExisting')}</p>}
      {!mayDecide && <p class="muted">{t('approval.notYou')}</p>}
      {mayDecide && (
        <>
          <label>
            {t('approval.reason')}
            <input type="text" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <div class="actions">
            <button type="button" aria-busy={busy} disabled={busy} onClick={() => void decide('approve')}>
              {t('approval.approve', { count: approval.count })}
            </button>
            <button
              type="button"
              class="secondary"
              disabled={busy || reason.trim() === ''}
              onClick={() => void decide('reject')}
            >
              {t('approval.reject')}
            </button>
          </div>
        </>
      )}
      <ErrorText error={error} />
    </article>
  );
}
