import type { ComponentChildren } from 'preact';
import { api, signOut, type Me } from './api';
import { i18n, setLanguage, useT } from './i18n';

export function Layout({ me, children }: { me: Me; children: ComponentChildren }) {
  const t = useT();
  const other = i18n.language === 'en' ? 'zh-CN' : 'en';
  return (
    <>
      <header class="container">
        <nav aria-label={t('nav.label')}>
          <ul>
            <li>
              <strong>{t('app.title')}</strong>
            </li>
          </ul>
          <ul>
            {me.role !== null && (
              <li>
                <a href="/">{t('nav.batches')}</a>
              </li>
            )}
            {(me.role === 'operator' || me.role === 'admin') && (
              <li>
                <a href="/new">{t('nav.new')}</a>
              </li>
            )}
            {me.role === 'admin' && (
              <li>
                <a href="/people">{t('nav.people')}</a>
              </li>
            )}
            {me.role !== null && (
              <li>
                <a href="/audit">{t('nav.audit')}</a>
              </li>
            )}
            <li class="who">
              {me.name} · {t(`roles.${me.role ?? 'none'}`)}
            </li>
            <li>
              <button
                type="button"
                class="outline secondary"
                lang={other}
                onClick={() => {
                  setLanguage(other);
                  void api('/me/language', { method: 'PUT', json: { language: other } }).catch(
                    () => undefined,
                  );
                }}
              >
                {other === 'en' ? 'English' : '中文'}
              </button>
            </li>
            <li>
              <button type="button" class="secondary" onClick={() => void signOut()}>
                {t('nav.signOut')}
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main class="container">{children}</main>
    </>
  );
}
