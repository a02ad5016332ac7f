/** The few pages the server writes itself (before any script runs): a failed sign-in, an unknown address. */
import en from './messages/en.json';
import zh from './messages/zh-CN.json';

export type SignInProblem = keyof typeof zh.signIn &
  ('refused' | 'codeUsedOrExpired' | 'notAllowed' | 'misconfigured' | 'unavailable' | 'wrongState');

const escapeHtml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The page a failed sign-in lands on: what happened, in Chinese then English, and a way back. */
export function signInFailedPage(problem: SignInProblem): string {
  const line = (messages: Pick<typeof zh, 'signIn'>, lang: string) =>
    `<p lang="${lang}">${escapeHtml(messages.signIn[problem])}</p>`;
  return (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
    `<title>${escapeHtml(zh.signIn.failedTitle)} · ${escapeHtml(en.signIn.failedTitle)}</title></head><body>` +
    `<main><h1>${escapeHtml(zh.signIn.failedTitle)} <span lang="en">${escapeHtml(en.signIn.failedTitle)}</span></h1>` +
    line(zh, 'zh-CN') +
    line(en, 'en') +
    `<p><a href="/auth/login">${escapeHtml(zh.signIn.again)} · <span lang="en">${escapeHtml(en.signIn.again)}</span></a></p>` +
    '</main></body></html>'
  );
}

/** The page of an address the console does not have. */
export function notFoundPage(): string {
  return (
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(zh.page.notFound)} · ${escapeHtml(en.page.notFound)}</title></head>` +
    `<body><main><h1>${escapeHtml(zh.page.notFound)} <span lang="en">${escapeHtml(en.page.notFound)}</span></h1>` +
    `<p><a href="/">${escapeHtml(zh.page.back)} · <span lang="en">${escapeHtml(en.page.back)}</span></a></p></main></body></html>`
  );
}
