import { useEffect, useState } from 'preact/hooks';
import { api, type Me } from '../api';
import { count, when } from '../format';
import { useT } from '../i18n';
import { ErrorText } from '../error-text';

interface BatchSummary {
  batchId: string;
  operation: 'create' | 'terminate';
  state: string;
  rows: number;
  jobs: number;
  done: number;
  createdAt: string;
  createdBy?: { openId: string; name: string };
}

/** The batches, newest first, with the filters and a search by batch id. */
export function BatchesPage({ me }: { me: Me }) {
  const t = useT();
  const [batches, setBatches] = useState<BatchSummary[] | undefined>();
  const [state, setState] = useState('');
  const [operation, setOperation] = useState('');
  const [mine, setMine] = useState(false);
  const [search, setSearch] = useState('');
  const [candidateKind, setCandidateKind] = useState<'applicationId' | 'talentId'>('applicationId');
  const [candidate, setCandidate] = useState('');
  // The candidate searched for: set when the person asks, not at every key (the server reads rows).
  const [touching, setTouching] = useState<{ kind: 'applicationId' | 'talentId'; id: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const query = new URLSearchParams();
    if (state) query.set('state', state);
    if (operation) query.set('operation', operation);
    if (mine) query.set('createdBy', me.openId);
    if (touching) query.set(touching.kind, touching.id);
    setBatches(undefined);
    api<{ batches: BatchSummary[] }>(`/batches?${query}`)
      .then((answer) => setBatches(answer.batches))
      .catch((e: Error) => setError(e.message));
  }, [state, operation, mine, me.openId, touching]);
  const shown = (batches ?? []).filter((b) => b.batchId.toLowerCase().includes(search.trim().toLowerCase()));
  return (
    <section>
      <h1>{t('batches.title')}</h1>
      <form role="search" aria-label={t('batches.filters')} onSubmit={(e) => e.preventDefault()} class="grid">
        <label>
          {t('batches.search')}
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <label>
          {t('batches.state')}
          <select value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">{t('common.all')}</option>
            {['running', 'paused', 'cancelled', 'finished', 'awaitingApproval', 'rejected'].map((s) => (
              <option value={s}>{t(`states.${s}`)}</option>
            ))}
          </select>
        </label>
        <label>
          {t('batches.operation')}
          <select value={operation} onChange={(e) => setOperation(e.currentTarget.value)}>
            <option value="">{t('common.all')}</option>
            <option value="terminate">{t('operations.terminate')}</option>
            <option value="create">{t('operations.create')}</option>
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            role="switch"
            checked={mine}
            onChange={(e) => setMine(e.currentTarget.checked)}
          />
          {t('batches.mine')}
        </label>
      </form>
      {/* Named, not role=search: Pico draws a search role as one pill, which a select and a button break. */}
      <form
        aria-label={t('batches.candidateSearch')}
        class="grid candidate-search"
        onSubmit={(e) => {
          e.preventDefault();
          setTouching(candidate.trim() ? { kind: candidateKind, id: candidate.trim() } : undefined);
        }}
      >
        <label>
          {t('batches.candidateKind')}
          <select
            value={candidateKind}
            onChange={(e) => setCandidateKind(e.currentTarget.value as 'applicationId' | 'talentId')}
          >
            <option value="applicationId">{t('batches.byApplication')}</option>
            <option value="talentId">{t('batches.byTalent')}</option>
          </select>
        </label>
        <label>
          {t('batches.candidate')}
          <input type="search" value={candidate} onInput={(e) => setCandidate(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('batches.find')}</button>
      </form>
      {touching && <p role="status">{t('batches.touched', { id: touching.id })}</p>}
      <ErrorText error={error} />
      {!batches ? (
        <p aria-busy="true">{t('common.loading')}</p>
      ) : shown.length === 0 ? (
        <p>{touching ? t('batches.noneForCandidate', { id: touching.id }) : t('batches.none')}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('batches.batch')}</th>
                <th scope="col">{t('batches.operation')}</th>
                <th scope="col">{t('batches.state')}</th>
                <th scope="col">{t('batches.progress')}</th>
                <th scope="col">{t('batches.createdAt')}</th>
                <th scope="col">{t('batches.createdBy')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((b) => (
                <tr>
                  <td>
                    <a href={`/batches/${encodeURIComponent(b.batchId)}`}>{b.batchId}</a>
                  </td>
                  <td>{t(`operations.${b.operation}`)}</td>
                  <td>
                    <span class={`state state-${b.state}`}>{t(`states.${b.state}`)}</span>
                  </td>
                  <td>{t('batches.doneOf', { done: count(b.done), jobs: count(b.jobs) })}</td>
                  <td>{when(b.createdAt)}</td>
                  <td>{b.createdBy?.name ?? t('batches.byCli')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
