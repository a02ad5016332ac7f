/**
 * The database a Redis URL names, as ioredis reads it (`?db=N` over the path's `/N`; 0 when
 * neither), or undefined when what names it is not a number. Call on a URL that parses.
 */
export function databaseOf(url: string): number | undefined {
  const parsed = new URL(url);
  const named = parsed.searchParams.get('db') ?? parsed.pathname.replace(/^\//, '');
  if (named === '') return 0;
  return /^\d+$/.test(named) ? Number(named) : undefined;
}
