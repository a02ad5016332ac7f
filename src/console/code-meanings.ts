import type { BatchReport } from '../lib/batches/batch-report';
import { ruleForCode } from '../lib/feishu/code-rules';
import zh from './messages/zh-CN.json';

export type PageLanguage = 'zh-CN' | 'en';

const zhMeanings: Readonly<Record<string, string>> = zh.codes;

/** What a code means, in the page's language: the code table's words, or their Chinese. */
export function meaningOf(code: string | undefined, language: PageLanguage): string {
  if (code === undefined || code === '' || code === '0') return '';
  if (language === 'zh-CN' && zhMeanings[code] !== undefined) return zhMeanings[code];
  return ruleForCode(code)?.meaning ?? '';
}

/** The page's language from `?lang=` (the toggle), else the browser's, Chinese first. */
export function languageOf(query: unknown, acceptLanguage: string | undefined): PageLanguage {
  if (query === 'en' || query === 'zh-CN') return query;
  return /^en\b/i.test(acceptLanguage ?? '') ? 'en' : 'zh-CN';
}

/** A batch's dead letters by code, with what the code means and the fix, in the page's language. */
export function groupDeadLetters(
  letters: readonly BatchReport['deadLetters'][number][],
  language: PageLanguage,
): {
  code: string;
  meaning: string;
  fix?: string;
  count: number;
  rows: { line: number; file?: string; message: string }[];
}[] {
  const groups = new Map<string, { line: number; file?: string; message: string }[]>();
  for (const letter of letters) {
    const rows = groups.get(letter.code) ?? [];
    rows.push({
      line: letter.line,
      ...(letter.file !== undefined ? { file: letter.file } : {}),
      message: letter.message,
    });
    groups.set(letter.code, rows);
  }
  return [...groups.entries()]
    .sort(([, a], [, b]) => b.length - a.length)
    .map(([code, rows]) => {
      const fix = ruleForCode(code)?.fix;
      return { code, meaning: meaningOf(code, language), ...(fix ? { fix } : {}), count: rows.length, rows };
    });
}
