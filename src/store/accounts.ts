/** Accounts and their API keys. Keys are stored as SHA-256 hashes; the key itself is shown once. */
import { createHash } from 'node:crypto';
import type { Db, Queryable } from './db.js';
import { newId, randomToken } from '../core/ids.js';
import { isMcc, type BusinessProfile } from '../core/catalog/prohibited-businesses.js';

export interface ApiKeyRow {
  id: string;
  account_id: string;
  kind: 'secret' | 'publishable';
  livemode: boolean;
  display: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** `sk_test_4eC3…` → `sk_test_…x7Qa`: enough to tell keys apart, useless to an attacker. */
export function displayKey(key: string): string {
  const prefix = key.slice(0, key.indexOf('_', 3) + 1);
  return `${prefix}…${key.slice(-4)}`;
}

export function generateKey(kind: 'secret' | 'publishable', livemode: boolean): string {
  return `${kind === 'secret' ? 'sk' : 'pk'}_${livemode ? 'live' : 'test'}_${randomToken(32)}`;
}

/** Finds a key in use (not revoked) by its plain text. */
export async function findKey(q: Queryable, key: string): Promise<ApiKeyRow | undefined> {
  const rows = await q.query<ApiKeyRow & Record<string, unknown>>(
    'SELECT id, account_id, kind, livemode, display FROM api_keys WHERE hash = $1 AND revoked IS NULL',
    [hashKey(key)],
  );
  return rows[0];
}

/** Bumped by every change to a store's keys seen by this process, so caches of it start over. */
const keyGenerations = new WeakMap<object, number>();

function keysChanged(q: Queryable): void {
  keyGenerations.set(q, (keyGenerations.get(q) ?? 0) + 1);
}

/** The channel a change to API keys is announced on (at its commit), for every process's cache. */
const KEYS_CHANNEL = 'opencashier_keys';

/**
 * On PostgreSQL, listens for key changes made by any process (the CLI, another gateway) and
 * clears this process's caches of `db` when one commits. Returns what stops listening.
 */
export async function watchKeyChanges(db: Db, connectionString: string | undefined): Promise<() => Promise<void>> {
  if (db.kind !== 'postgres' || !connectionString) return async () => undefined;
  const pg = (await import('pg')).default;
  let client: InstanceType<typeof pg.Client> | undefined;
  let closing = false;
  let retry: NodeJS.Timeout | undefined;
  const listen = async (): Promise<void> => {
    const c = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
    let lost = false;
    // A lost connection may have missed a change: forget everything (the TTL covers the gap), and
    // listen again once the database is back.
    const onLost = () => {
      if (lost || closing) return;
      lost = true;
      keysChanged(db);
      void c.end().catch(() => undefined);
      retry = setTimeout(() => void listen().catch(() => undefined), KEYS_RELISTEN_MS);
      retry.unref();
    };
    c.on('error', onLost);
    c.on('end', onLost);
    c.on('notification', () => keysChanged(db));
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${KEYS_CHANNEL}`);
    } catch (err) {
      onLost();
      throw err;
    }
    // Changes made while it was not listening.
    keysChanged(db);
  };
  await listen();
  return async () => {
    closing = true;
    if (retry) clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
}

/** How soon a lost LISTEN connection is made again. */
const KEYS_RELISTEN_MS = 1_000;

/**
 * The keys every API request presents, remembered for `ttlMs`: authenticating is then no
 * statement at all. A key rolled or revoked through this process (the dashboard, the CLI on the
 * same store object) is forgotten at once; one revoked by another process stops working within
 * `ttlMs`. Only keys found are kept, so unknown keys cannot fill the memory.
 */
export class ApiKeyCache {
  private readonly known = new Map<string, { row: ApiKeyRow; at: number }>();
  private readonly looking = new Map<string, Promise<ApiKeyRow | undefined>>();
  private generation = 0;

  constructor(private readonly db: Queryable, private readonly ttlMs = 1_000, private readonly max = 10_000) {}

  async find(key: string, now = Date.now()): Promise<ApiKeyRow | undefined> {
    const gen = keyGenerations.get(this.db) ?? 0;
    if (gen !== this.generation) {
      this.known.clear();
      this.looking.clear();
      this.generation = gen;
    }
    const hit = this.known.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.row;
    // Requests that arrive together with one key look it up once.
    let looking = this.looking.get(key);
    if (!looking) {
      const generation = this.generation;
      looking = findKey(this.db, key).then((row) => {
        this.looking.delete(key);
        if ((keyGenerations.get(this.db) ?? 0) !== generation) return row; // changed meanwhile: do not keep
        if (!row) this.known.delete(key);
        else {
          if (this.known.size >= this.max) this.known.clear();
          this.known.set(key, { row, at: now });
        }
        return row;
      }, (err: unknown) => {
        this.looking.delete(key);
        throw err;
      });
      this.looking.set(key, looking);
    }
    return looking;
  }
}

async function addKey(q: Queryable, accountId: string, key: string, now: number): Promise<void> {
  await q.query(`SELECT pg_notify('${KEYS_CHANNEL}', '')`);
  const kind = key.startsWith('sk_') ? 'secret' : 'publishable';
  const livemode = key.includes('_live_');
  // The same key named again (a restart with the same environment) is already there.
  const existing = await q.query('SELECT account_id FROM api_keys WHERE hash = $1', [hashKey(key)]);
  if (existing[0]) {
    if (existing[0].account_id !== accountId) throw new Error('That API key already belongs to another account.');
    await q.query('UPDATE api_keys SET revoked = NULL WHERE hash = $1', [hashKey(key)]);
    return;
  }
  const revoked = await q.query<{ id: string }>(
    'UPDATE api_keys SET revoked = $1 WHERE account_id = $2 AND kind = $3 AND livemode = $4 AND revoked IS NULL RETURNING id',
    [now, accountId, kind, livemode],
  );
  // Whoever signed in to the dashboard with a key that is now revoked is signed out with it.
  if (revoked.length > 0) await q.query('DELETE FROM dashboard_sessions WHERE api_key_id = ANY($1::text[])', [revoked.map((r) => r.id)]);
  await q.query(
    'INSERT INTO api_keys (id, account_id, kind, livemode, hash, display, created) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [newId('apiKey'), accountId, kind, livemode, hashKey(key), displayKey(key), now],
  );
}

export interface Bootstrap {
  accountId: string;
  accountName: string;
  /** True on the very first start of an empty store. */
  created: boolean;
  /** Plain keys, known only when just generated or given in the environment. */
  secretKey?: string;
  publishableKey?: string;
  secretDisplay: string;
  publishableDisplay: string;
}

/**
 * First start on an empty store creates the test-mode account and its keys. Keys given in the
 * environment become the account's keys (replacing earlier ones), so scripts can know them.
 */
export async function bootstrapAccount(db: Db, opts: { name: string; secretKey?: string; publishableKey?: string; now: number }): Promise<Bootstrap> {
  keysChanged(db);
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(7106214343)');
    const accounts = await q.query<{ id: string; name: string }>('SELECT id, name FROM accounts ORDER BY created LIMIT 1');
    let account = accounts[0];
    const created = !account;
    if (!account) {
      account = { id: newId('account'), name: opts.name };
      await q.query('INSERT INTO accounts (id, name, created) VALUES ($1, $2, $3)', [account.id, account.name, opts.now]);
    }
    let secretKey = opts.secretKey;
    let publishableKey = opts.publishableKey;
    if (created) {
      secretKey ??= generateKey('secret', false);
      publishableKey ??= generateKey('publishable', false);
    }
    if (secretKey) await addKey(q, account.id, secretKey, opts.now);
    if (publishableKey) await addKey(q, account.id, publishableKey, opts.now);
    const keys = await q.query<{ kind: string; display: string }>(
      'SELECT kind, display FROM api_keys WHERE account_id = $1 AND livemode = false AND revoked IS NULL ORDER BY created DESC',
      [account.id],
    );
    return {
      accountId: account.id,
      accountName: account.name,
      created,
      secretKey,
      publishableKey,
      secretDisplay: keys.find((k) => k.kind === 'secret')?.display ?? '(none)',
      publishableDisplay: keys.find((k) => k.kind === 'publishable')?.display ?? '(none)',
    };
  });
}

/** Replaces the account's key of one kind and mode with a fresh one, returned in plain text once. */
export async function rollKey(db: Db, accountId: string, kind: 'secret' | 'publishable', livemode: boolean, now: number): Promise<string> {
  const key = generateKey(kind, livemode);
  await db.tx((q) => addKey(q, accountId, key, now));
  keysChanged(db);
  return key;
}

/** The account's keys in use in one mode, newest first (secret keys only as their display). */
export async function listKeys(q: Queryable, accountId: string, livemode: boolean): Promise<(ApiKeyRow & { created: number })[]> {
  return q.query<ApiKeyRow & { created: number } & Record<string, unknown>>(
    'SELECT id, account_id, kind, livemode, display, created FROM api_keys WHERE account_id = $1 AND livemode = $2 AND revoked IS NULL ORDER BY kind DESC, created DESC',
    [accountId, livemode],
  );
}

/**
 * A secret key beside the account's own, which keeps working: for a command that acts as the
 * merchant for a while (seed) without taking away the key the merchant's scripts use. The caller
 * revokes it when done ({@link revokeKey}).
 */
export async function addExtraKey(db: Db, accountId: string, livemode: boolean, now: number): Promise<string> {
  const key = generateKey('secret', livemode);
  await db.query(
    'INSERT INTO api_keys (id, account_id, kind, livemode, hash, display, created) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [newId('apiKey'), accountId, 'secret', livemode, hashKey(key), displayKey(key), now],
  );
  return key;
}

export async function revokeKey(db: Db, key: string, now: number): Promise<void> {
  await db.tx(async (q) => {
    await q.query('UPDATE api_keys SET revoked = $2 WHERE hash = $1 AND revoked IS NULL', [hashKey(key), now]);
    await q.query(`SELECT pg_notify('${KEYS_CHANNEL}', '')`);
  });
  keysChanged(db);
}

export async function accountName(q: Queryable, accountId: string): Promise<string> {
  const rows = await q.query<{ name: string }>('SELECT name FROM accounts WHERE id = $1', [accountId]);
  return rows[0]?.name ?? '';
}

export async function getSetting<T>(q: Queryable, key: string): Promise<T | undefined> {
  const rows = await q.query<{ value: T }>('SELECT value FROM settings WHERE key = $1', [key]);
  return rows[0]?.value;
}

/** Stores a setting unless one exists; returns whichever is stored (safe when processes race). */
export async function putSettingOnce<T>(q: Queryable, key: string, value: T): Promise<T> {
  await q.query('INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING', [key, JSON.stringify(value)]);
  return (await getSetting<T>(q, key)) as T;
}

/** The account's business profile (core/catalog/prohibited-businesses.ts); empty when unset. */
export async function businessProfile(q: Queryable, accountId: string): Promise<BusinessProfile> {
  const rows = await q.query<{ business_mcc: string | null; business_category: string | null }>(
    'SELECT business_mcc, business_category FROM accounts WHERE id = $1', [accountId],
  );
  return { mcc: rows[0]?.business_mcc ?? null, category: rows[0]?.business_category ?? null };
}

/** Why a business profile cannot be stored (the CLI and the dashboard say it as it is). */
export class BusinessProfileError extends Error {
  override readonly name = 'BusinessProfileError';
}

/**
 * Sets what is given of the account's business profile (null clears that part; undefined keeps
 * it) and answers the profile now stored. Payments read it in their own transaction, so the
 * change holds for the next confirmation in every process.
 */
export async function setBusinessProfile(q: Queryable, accountId: string, change: Partial<BusinessProfile>): Promise<BusinessProfile> {
  const mcc = change.mcc?.trim();
  if (mcc !== undefined && mcc !== '' && !isMcc(mcc)) {
    throw new BusinessProfileError(`"${mcc.slice(0, 40)}" is not a merchant category code: an MCC is four digits, such as 5411 (grocery stores).`);
  }
  const category = change.category?.trim();
  if (category !== undefined && category.length > 200) throw new BusinessProfileError('A business category is at most 200 characters.');
  if (category !== undefined && /[\u0000-\u001f\u007f]/.test(category)) throw new BusinessProfileError('A business category cannot contain control characters.');
  const rows = await q.query<{ business_mcc: string | null; business_category: string | null }>(
    `UPDATE accounts SET
       business_mcc = CASE WHEN $2::boolean THEN $3 ELSE business_mcc END,
       business_category = CASE WHEN $4::boolean THEN $5 ELSE business_category END
     WHERE id = $1 RETURNING business_mcc, business_category`,
    [accountId, change.mcc !== undefined, mcc || null, change.category !== undefined, category || null],
  );
  if (!rows[0]) throw new BusinessProfileError(`There is no account ${accountId}.`);
  return { mcc: rows[0].business_mcc, category: rows[0].business_category };
}
