import { createHmac } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import type { Config } from '../../config.js';
import { hashToken } from '../../common/tokens.js';

/**
 * Failed logins, counted the same way whether or not an account has the identifier (ADR 0096):
 * - per (identifier, client): the guide's rule, LOCKOUT_ATTEMPTS failures lock for
 *   LOCKOUT_MINUTES. The client is the browser when it is one the account has logged in from
 *   (its device cookie), otherwise the address; a stranger elsewhere locks only themselves.
 * - per identifier, for clients the account has never logged in from: a ceiling of
 *   ACCOUNT_CEILING_FACTOR times as many failures, whatever their addresses, locks out every such
 *   client for ACCOUNT_LOCK_FACTOR times as long, so guessing from many addresses stays slow
 *   while the person's own browsers still get in.
 * An attempt is counted before its password is verified, in one statement that matches only an
 * unlocked counter (ADR 0010): concurrent guesses serialise on the row, none past the limit is
 * verified.
 */

export const DEVICE_COOKIE = 'emage_device';
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 86_400;
/** A browser not used to log in for this long counts as unknown again. */
const DEVICE_TRUST_DAYS = 180;
const ACCOUNT_CEILING_FACTOR = 10;
const ACCOUNT_LOCK_FACTOR = 12;
/** A client's failures are forgotten after this long without a new one. */
const CLIENT_MEMORY_HOURS = 24;
/** The row of a counter that belongs to the identifier rather than to one client. */
const ACCOUNT_CLIENT = '*';

const keys = new WeakMap<object, Promise<Buffer>>();

/** The database's key for identifier hashes (Migration20261205160000_LoginThrottle), read once per ORM. */
function throttleKey(deps: Pick<AppDeps, 'orm'>): Promise<Buffer> {
  let key = keys.get(deps.orm);
  if (!key) {
    key = deps.orm.em
      .fork()
      .execute<{ value: string }[]>(`select value from server_secret where name = 'login-throttle'`)
      .then((rows) => {
        if (!rows[0]) throw new Error('server_secret has no login-throttle key: run the migrations');
        return Buffer.from(rows[0].value, 'hex');
      });
    key.catch(() => keys.delete(deps.orm));
    keys.set(deps.orm, key);
  }
  return key;
}

/** The keyed hash that stands for a login identifier (a normalised e-mail) in the throttle tables. */
export async function loginSubject(deps: Pick<AppDeps, 'orm'>, email: string): Promise<string> {
  return keyedHash(await throttleKey(deps), `login:${email}`);
}

function keyedHash(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/**
 * Which lock an attempt ran into: this client's own (the guide's 3 failures), or the
 * identifier's, which holds every client it has never logged in from.
 */
export type LockScope = 'CLIENT' | 'NEW_CLIENTS';
export interface Lock {
  until: Date;
  scope: LockScope;
}

export type Reservation =
  | { allowed: true; remainingAttempts: number; lock: Lock | null }
  | { allowed: false; lock: Lock };

interface Counter {
  limit: number;
  lockMs: number;
  forgetMs: number;
}

export class LoginThrottle {
  private constructor(
    private readonly em: EntityManager,
    private readonly config: Config,
    readonly subject: string,
    private readonly client: string,
    /** The browser is one this identifier has logged in from: the identifier's ceiling does not apply. */
    readonly knownDevice: boolean,
  ) {}

  static async for(em: EntityManager, deps: Pick<AppDeps, 'orm' | 'config'>, email: string, from: { ip: string | null; device: string | undefined }): Promise<LoginThrottle> {
    const key = await throttleKey(deps);
    const subject = keyedHash(key, `login:${email}`);
    const deviceHash = from.device && from.device.length <= 200 ? hashToken(from.device) : null;
    const known = deviceHash
      ? (
          await em.execute<unknown[]>(
            `select 1 from login_device where subject = ? and device = ? and last_login_at > now() - (? || ' days')::interval`,
            [subject, deviceHash, String(DEVICE_TRUST_DAYS)],
          )
        ).length > 0
      : false;
    const client = known ? `device:${deviceHash}` : `ip:${keyedHash(key, `ip:${from.ip ?? '?'}`)}`;
    return new LoginThrottle(em, deps.config, subject, client, known);
  }

  private get perClient(): Counter {
    return { limit: this.config.lockoutAttempts, lockMs: this.config.lockoutMinutes * 60_000, forgetMs: CLIENT_MEMORY_HOURS * 3_600_000 };
  }

  private get perAccount(): Counter {
    const lockMs = this.config.lockoutMinutes * 60_000 * ACCOUNT_LOCK_FACTOR;
    return { limit: this.config.lockoutAttempts * ACCOUNT_CEILING_FACTOR, lockMs, forgetMs: lockMs };
  }

  /** Counts this attempt as failed, unless a counter it falls under is locked: then it must not be verified. */
  async reserve(): Promise<Reservation> {
    if (Math.random() < 0.01) await this.purge();
    const client = await this.count(this.client, this.perClient);
    if (!client) return { allowed: false, lock: { until: await this.lockedUntil(this.client, this.perClient), scope: 'CLIENT' } };
    let lock: Lock | null = client.lockedUntil && { until: client.lockedUntil, scope: 'CLIENT' };
    if (!this.knownDevice) {
      const account = await this.count(ACCOUNT_CLIENT, this.perAccount);
      if (!account) return { allowed: false, lock: { until: await this.lockedUntil(ACCOUNT_CLIENT, this.perAccount), scope: 'NEW_CLIENTS' } };
      if (account.lockedUntil && (!lock || account.lockedUntil > lock.until)) lock = { until: account.lockedUntil, scope: 'NEW_CLIENTS' };
    }
    return { allowed: true, remainingAttempts: Math.max(0, this.perClient.limit - client.failures), lock };
  }

  /**
   * The reserved attempt was right: this client starts afresh, and the identifier's count loses
   * the failure it was booked as. The browser becomes one the identifier has logged in from.
   */
  async succeeded(device: string): Promise<void> {
    await this.em.execute(`delete from login_throttle where subject = ? and client = ?`, [this.subject, this.client]);
    if (!this.knownDevice) {
      await this.em.execute(
        `update login_throttle set failures = greatest(failures - 1, 0),
           locked_until = case when failures - 1 < ? then null else locked_until end
         where subject = ? and client = ?`,
        [this.perAccount.limit, this.subject, ACCOUNT_CLIENT],
      );
    }
    await this.em.execute(
      `insert into login_device (subject, device, last_login_at) values (?, ?, now())
       on conflict (subject, device) do update set last_login_at = now()`,
      [this.subject, hashToken(device)],
    );
  }

  /**
   * The reserved attempt's password was right but the login waits for its second factor: the
   * attempt is no failure, yet nothing is trusted until the second factor is right too.
   */
  async release(): Promise<void> {
    const counters: Array<[string, Counter]> = [[this.client, this.perClient]];
    if (!this.knownDevice) counters.push([ACCOUNT_CLIENT, this.perAccount]);
    for (const [client, c] of counters) {
      await this.em.execute(
        `update login_throttle set failures = greatest(failures - 1, 0),
           locked_until = case when failures - 1 < ? then null else locked_until end
         where subject = ? and client = ?`,
        [c.limit, this.subject, client],
      );
    }
  }

  private async count(client: string, c: Counter): Promise<{ failures: number; lockedUntil: Date | null } | undefined> {
    const restart = `t.locked_until <= now() or t.last_failure_at < now() - (? || ' milliseconds')::interval`;
    const rows = await this.em.execute<{ failures: number; locked_until: Date | null }[]>(
      `insert into login_throttle as t (subject, client, failures, locked_until, last_failure_at)
       values (?, ?, 1, case when 1 >= ? then now() + (? || ' milliseconds')::interval end, now())
       on conflict (subject, client) do update set
         failures = case when ${restart} then 1 else t.failures + 1 end,
         locked_until = case when (case when ${restart} then 1 else t.failures + 1 end) >= ? then now() + (? || ' milliseconds')::interval end,
         last_failure_at = now()
       where t.locked_until is null or t.locked_until <= now()
       returning failures, locked_until`,
      [this.subject, client, c.limit, String(c.lockMs), String(c.forgetMs), String(c.forgetMs), c.limit, String(c.lockMs)],
    );
    const row = rows[0];
    return row && { failures: row.failures, lockedUntil: row.locked_until ? new Date(row.locked_until) : null };
  }

  private async lockedUntil(client: string, c: Counter): Promise<Date> {
    const rows = await this.em.execute<{ locked_until: Date | null }[]>(
      `select locked_until from login_throttle where subject = ? and client = ?`,
      [this.subject, client],
    );
    // The lock ended between the two statements: the caller tries again in a moment.
    return rows[0]?.locked_until ? new Date(rows[0].locked_until) : new Date(Date.now() + Math.min(c.lockMs, 1_000));
  }

  private async purge(): Promise<void> {
    await this.em.execute(
      `delete from login_throttle where last_failure_at < now() - (? || ' milliseconds')::interval and (locked_until is null or locked_until < now())`,
      [String(Math.max(this.perClient.forgetMs, this.perAccount.forgetMs))],
    );
    await this.em.execute(`delete from login_device where last_login_at < now() - (? || ' days')::interval`, [String(DEVICE_TRUST_DAYS)]);
  }
}

/** The latest lock still running on each of these identifiers' counters (administrators' view). */
export async function locksOf(em: EntityManager, subjects: string[]): Promise<Map<string, Date>> {
  if (subjects.length === 0) return new Map();
  const rows = await em.execute<{ subject: string; until: Date }[]>(
    `select subject, max(locked_until) as until from login_throttle
      where subject in (${subjects.map(() => '?').join(', ')}) and locked_until > now() group by subject`,
    subjects,
  );
  return new Map(rows.map((r) => [r.subject, new Date(r.until)]));
}

/** Lifts every lock and forgets every failure of an identifier (a password reset, an administrator). */
export async function clearFailures(em: EntityManager, subject: string): Promise<void> {
  await em.execute(`delete from login_throttle where subject = ?`, [subject]);
}
