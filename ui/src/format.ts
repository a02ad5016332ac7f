import { i18n } from './i18n';

/** A time as people of the page's language write it. */
export function when(iso: string | undefined): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString(i18n.language === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
}

export function count(n: number): string {
  return n.toLocaleString(i18n.language === 'en' ? 'en-GB' : 'zh-CN');
}
