/**
 * Who may open the dashboard: a holder of the account's secret key, or of the dashboard password
 * (generated on first start and printed once, changed with `opencashier dashboard password`).
 * Sessions live in the store, so any gateway process serves any signed-in browser; the cookie
 * holds a random token and the table only its hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, Queryable } from './db.js';
import { hashKey } from './accounts.js';
import { hashPassword, verifyPassword } from './tp-accounts.js';

const PASSWORD_SETTING = 'dashboard.password';

/** Sign-in attempts one address may make per window, counted whether they succeed or not. */
export const LOGIN_ATTEMPTS_PER_WINDOW = 10;
export const LOGIN_WINDOW_MS = 5 * 60_000;
const LOGIN_BUCKET = 'dashboard-login:';

export interface DashboardSession {
  account_id: string;
  csrf: string;
  created: number;
  expires: number;
  via: 'password' | 'secret_key';
}

interface StoredPassword {
  account_id: string;
  hash: string;
  set_at: number;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A password a person can type and read back from a terminal: five groups of four, ~100 bits. */
export function generateDashboardPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(20);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/**
 * Makes sure the account has a dashboard password. Returns the plain password when it was just
 * generated or given (so the start banner can show it once), else undefined.
 */
export async function bootstrapDashboardPassword(db: Db, opts: { accountId: string; password?: string; now: number }): Promise<string | undefined> {
  const stored = (await db.query<{ value: StoredPassword }>('SELECT value FROM settings WHERE key = $1', [PASSWORD_SETTING]))[0]?.value;
  if (opts.password !== undefined) {
    if (stored && stored.account_id === opts.accountId && (await verifyPassword(opts.password, stored.hash))) return opts.password;
    await setDashboardPassword(db, opts.accountId, opts.password, opts.now);
    return opts.password;
  }
  if (stored) return undefined;
  const password = generateDashboardPassword();
  const value: StoredPassword = { account_id: opts.accountId, hash: await hashPassword(password), set_at: opts.now };
  // Two processes starting at once: the first one's password is the one kept and shown.
  const inserted = await db.query('INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING RETURNING key', [PASSWORD_SETTING, JSON.stringify(value)]);
  return inserted.length > 0 ? password : undefined;
}

export async function setDashboardPassword(q: Queryable, accountId: string, password: string, now: number): Promise<void> {
  const value: StoredPassword = { account_id: accountId, hash: await hashPassword(password), set_at: now };
  await q.query(
    'INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
    [PASSWORD_SETTING, JSON.stringify(value)],
  );
  // A new password signs everyone out who came in with the old one.
  await q.query("DELETE FROM dashboard_sessions WHERE via = 'password'");
}

/**
 * Counts one sign-in attempt from `source` and says whether it may proceed. Counted before the
 * secret is checked, so a burst of parallel guesses cannot all slip in under the limit.
 */
export async function admitLoginAttempt(q: Queryable, source: string, now: number): Promise<{ ok: boolean; retryAfterMs: number }> {
  const windowStart = Math.floor(now / LOGIN_WINDOW_MS) * LOGIN_WINDOW_MS;
  const rows = await q.query<{ count: number }>(
    `INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1)
     ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`,
    [LOGIN_BUCKET + source, windowStart],
  );
  const count = Number(rows[0]!.count);
  return { ok: count <= LOGIN_ATTEMPTS_PER_WINDOW, retryAfterMs: windowStart + LOGIN_WINDOW_MS - now };
}

/** Login windows outlive the API's one-second ones; the worker prunes each kind at its own age. */
export function isLoginBucket(bucket: string): boolean {
  return bucket.startsWith(LOGIN_BUCKET);
}

/** The account a typed secret opens: its secret key (test or live, not revoked) or the dashboard password. */
export async function checkLoginSecret(q: Queryable, secret: string): Promise<{ accountId: string; via: DashboardSession['via']; keyId?: string } | undefined> {
  if (/^sk_(test|live)_/.test(secret)) {
    const rows = await q.query<{ id: string; account_id: string }>(
      "SELECT id, account_id FROM api_keys WHERE hash = $1 AND kind = 'secret' AND revoked IS NULL", [hashKey(secret)],
    );
    return rows[0] ? { accountId: rows[0].account_id, via: 'secret_key', keyId: rows[0].id } : undefined;
  }
  const stored = (await q.query<{ value: StoredPassword }>('SELECT value FROM settings WHERE key = $1', [PASSWORD_SETTING]))[0]?.value;
  if (!stored || secret.length === 0 || secret.length > 200) return undefined;
  return (await verifyPassword(secret, stored.hash)) ? { accountId: stored.account_id, via: 'password' } : undefined;
}

export async function createSession(q: Queryable, opts: { accountId: string; via: DashboardSession['via']; keyId?: string; now: number; ttlMs: number }): Promise<{ token: string; session: DashboardSession }> {
  const token = randomBytes(32).toString('base64url');
  const session: DashboardSession = { account_id: opts.accountId, csrf: randomBytes(24).toString('base64url'), created: opts.now, expires: opts.now + opts.ttlMs, via: opts.via };
  await q.query(
    'INSERT INTO dashboard_sessions (token_hash, account_id, csrf, created, expires, via, api_key_id) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [sha256(token), session.account_id, session.csrf, session.created, session.expires, session.via, opts.keyId ?? null],
  );
  return { token, session };
}

export async function findSession(q: Queryable, token: string, now: number): Promise<DashboardSession | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const rows = await q.query<DashboardSession & Record<string, unknown>>(
    'SELECT account_id, csrf, created, expires, via FROM dashboard_sessions WHERE token_hash = $1 AND expires > $2', [sha256(token), now],
  );
  const r = rows[0];
  return r ? { account_id: r.account_id, csrf: r.csrf, created: Number(r.created), expires: Number(r.expires), via: r.via } : undefined;
}

export async function endSession(q: Queryable, token: string): Promise<void> {
  await q.query('DELETE FROM dashboard_sessions WHERE token_hash = $1', [sha256(token)]);
}

export async function pruneSessions(q: Queryable, now: number): Promise<void> {
  await q.query('DELETE FROM dashboard_sessions WHERE expires <= $1', [now]);
}

/** Constant-time comparison of a submitted token with the expected one. */
export function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
