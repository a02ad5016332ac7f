import i18next from 'i18next';
import { useEffect, useState } from 'preact/hooks';
import en from './messages/en.json';
import zh from './messages/zh-CN.json';

export type Language = 'zh-CN' | 'en';

const KEY = 'hire-queue.language';

/** Chinese first; English for whoever chose it on this browser (kept across visits). */
export function savedLanguage(): Language {
  return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN';
}

export const i18n = i18next.createInstance();
void i18n.init({
  lng: savedLanguage(),
  fallbackLng: 'zh-CN',
  resources: { 'zh-CN': { translation: zh }, en: { translation: en } },
  // Preact escapes every value it renders as text: i18next must not escape it first.
  interpolation: { escapeValue: false },
  initAsync: false,
  showSupportNotice: false,
});

export function setLanguage(language: Language): void {
  localStorage.setItem(KEY, language);
  document.documentElement.lang = language;
  void i18n.changeLanguage(language);
}

/** `t` that re-renders its component when the language changes. */
export function useT() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const changed = () => setTick((n) => n + 1);
    i18n.on('languageChanged', changed);
    return () => i18n.off('languageChanged', changed);
  }, []);
  return i18n.t.bind(i18n);
}
