import { LocationProvider, Route, Router } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api, useCsrfToken, type Me } from './api';
import { Layout } from './layout';
import { savedLanguage, setLanguage, useT } from './i18n';
import { AuditPage } from './pages/audit-page';
import { BatchPage } from './pages/batch-page';
import { BatchesPage } from './pages/batches-page';
import { NewBatchPage } from './pages/new-batch-page';
import { PeoplePage } from './pages/people-page';

/** Who is signed in, then the page the address names (every page answers a bookmark or a link). */
export function App() {
  const t = useT();
  const [me, setMe] = useState<Me | undefined>();
  const [failed, setFailed] = useState<string | undefined>();
  useEffect(() => {
    api<Me>('/me')
      .then((answer) => {
        useCsrfToken(answer.csrfToken);
        // The person's own choice, kept with them: the same on every browser they sign in on.
        if (answer.language && answer.language !== savedLanguage()) setLanguage(answer.language);
        setMe(answer);
      })
      .catch((error: Error) => setFailed(error.message));
  }, []);
  if (failed)
    return (
      <main class="container">
        <p role="alert">{t('common.loadFailed', { reason: failed })}</p>
      </main>
    );
  if (!me)
    return (
      <main class="container" aria-busy="true">
        {t('common.loading')}
      </main>
    );
  return (
    <LocationProvider>
      <Layout me={me}>
        {me.role === null ? (
          <section>
            <h1>{t('noRole.title')}</h1>
            <p>{t('noRole.body', { name: me.name })}</p>
          </section>
        ) : (
          <Router>
            <Route path="/" component={() => <BatchesPage me={me} />} />
            <Route path="/new" component={() => <NewBatchPage me={me} />} />
            <Route
              path="/batches/:id"
              component={({ id }: { id: string }) => <BatchPage me={me} batchId={id} />}
            />
            <Route path="/people" component={() => <PeoplePage me={me} />} />
            <Route path="/audit" component={() => <AuditPage />} />
            <Route default component={() => <p>{t('common.notFound')}</p>} />
          </Router>
        )}
      </Layout>
    </LocationProvider>
  );
}
