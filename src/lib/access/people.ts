import type { RedisClient } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';

/** What someone may do in the console: admins give and take the other two. */
export type Role = 'admin' | 'operator' | 'viewer';
export const grantableRoles = ['operator', 'viewer'] as const;
export type GrantableRole = (typeof grantableRoles)[number];

export interface Person {
  openId: string;
  name: string;
  role: Role | null;
  lastSeenAt: string;
}

interface StoredPerson {
  name: string;
  role?: GrantableRole;
  lastSeenAt: string;
  /** The pages' language the person chose (Chinese when never chosen). */
  language?: 'zh-CN' | 'en';
}

/**
 * Everyone who signed in to the console, with the role an admin gave them. Admins are named by
 * configuration (`HIRE_CONSOLE_ADMINS`), never stored: taking someone off that list takes the role.
 */
export class People {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly admins: ReadonlySet<string>,
  ) {}

  private async stored(openId: string): Promise<StoredPerson | undefined> {
    const raw = await this.redis.hget(this.keys.console.people, openId);
    return raw === null ? undefined : (JSON.parse(raw) as StoredPerson);
  }

  private roleOf(openId: string, stored: StoredPerson | undefined): Role | null {
    if (this.admins.has(openId)) return 'admin';
    return stored?.role ?? null;
  }

  /** Someone signed in: remembered (by name, for the admins' list) with when. */
  async signedIn(openId: string, name: string): Promise<Person> {
    const before = await this.stored(openId);
    const now = new Date().toISOString();
    const person: StoredPerson = { ...(before ?? {}), name, lastSeenAt: now };
    await this.redis.hset(this.keys.console.people, openId, JSON.stringify(person));
    return { openId, name, role: this.roleOf(openId, person), lastSeenAt: now };
  }

  /** The person's role now (read at every request: a role taken back takes effect at once). */
  async role(openId: string): Promise<Role | null> {
    return this.roleOf(openId, await this.stored(openId));
  }

  /** The language the person chose for the pages, if any. */
  async language(openId: string): Promise<'zh-CN' | 'en' | undefined> {
    return (await this.stored(openId))?.language;
  }

  /** Keeps the person's choice of language, wherever they sign in next. */
  async setLanguage(openId: string, language: 'zh-CN' | 'en'): Promise<void> {
    const stored = await this.stored(openId);
    if (!stored) return;
    await this.redis.hset(this.keys.console.people, openId, JSON.stringify({ ...stored, language }));
  }

  async list(): Promise<Person[]> {
    const all = await this.redis.hgetall(this.keys.console.people);
    return Object.entries(all)
      .map(([openId, raw]) => {
        const stored = JSON.parse(raw) as StoredPerson;
        return {
          openId,
          name: stored.name,
          role: this.roleOf(openId, stored),
          lastSeenAt: stored.lastSeenAt,
        };
      })
      .sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
  }

  /**
   * Gives `role` (or takes any back, with null). Only someone who signed in once can be given one;
   * an admin's role comes from configuration and is not changed here. Resolves with the role before,
   * or undefined when there is no such person.
   */
  async setRole(
    openId: string,
    role: GrantableRole | null,
  ): Promise<{ before: Role | null; person: Person } | undefined> {
    const stored = await this.stored(openId);
    if (!stored) return undefined;
    const before = this.roleOf(openId, stored);
    const { role: _old, ...rest } = stored;
    const next: StoredPerson = role === null ? rest : { ...rest, role };
    await this.redis.hset(this.keys.console.people, openId, JSON.stringify(next));
    return {
      before,
      person: { openId, name: next.name, role: this.roleOf(openId, next), lastSeenAt: next.lastSeenAt },
    };
  }
}
