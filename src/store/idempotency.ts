/**
 * Stored results of idempotent POSTs, keyed by (account, mode, Idempotency-Key). A key is claimed
 * before the request runs (so a concurrent twin sees it in progress) and completed with the
 * response; keys are kept at least 24 hours.
 *
 * A claim names the process that holds it (presence.ts). A live request keeps its key however long
 * it runs; a claim whose process died is taken over by the first retry, which then resumes the
 * work from the objects the dead request left (they carry the key: see core's create operations).
 * So is a claim of this process whose request has ended without saving its answer or letting go of
 * the key (the database went away at that moment): the process knows which of its requests run.
 *
 * Some operations claim the key in their own first transaction instead ({@link claimWrite}: the
 * claim commits with the object, one statement less); a key already there then fails that
 * transaction, and the request takes the usual path ({@link claimKey}).
 */
import type { IdempotencyClaim } from '../core/store.js';
import type { Db, Queryable } from './db.js';
import { combineWrites, type Deferred } from './deferred.js';
import type { Presence } from './presence.js';
import { Batcher } from './batch.js';

export interface IdempotencyRow {
  request_hash: string;
  method: string;
  path: string;
  state: 'in_progress' | 'done';
  locked_at: number;
  owner: string | null;
  request_id: string | null;
  response_status: number | null;
  response_body: string | null;
}

export interface IdempotencyScope {
  account_id: string;
  livemode: boolean;
  key: string;
}

export type Claim = { claimed: true } | { claimed: false; row: IdempotencyRow };

/**
 * Claims a key for this request, or returns what holds it. A claim held by a process that is gone
 * is taken over at once; one without an owner (written before owners were recorded) after `staleMs`.
 */
export async function claimKey(
  q: Queryable, c: IdempotencyClaim, staleMs: number, presence: Presence, running: ReadonlySet<string> = new Set(),
): Promise<Claim> {
  const inserted = await claimRow(q, c);
  if (inserted.length === 1) return { claimed: true };
  const rows = await q.query<IdempotencyRow & Record<string, unknown>>(
    'SELECT request_hash, method, path, state, locked_at, owner, request_id, response_status, response_body FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3',
    [c.account_id, c.livemode, c.key],
  );
  const row = rows[0];
  if (!row) return claimKey(q, c, staleMs, presence, running); // released between our two statements
  if (row.state === 'in_progress' && row.request_hash === c.request_hash && (await abandoned(row, c.at, staleMs, presence, running))) {
    const taken = await q.query(
      `UPDATE idempotency_keys SET locked_at = $4, request_id = $6, owner = $7
        WHERE account_id = $1 AND livemode = $2 AND key = $3 AND state = 'in_progress' AND locked_at = $5 AND owner IS NOT DISTINCT FROM $8
        RETURNING key`,
      [c.account_id, c.livemode, c.key, c.at, row.locked_at, c.request_id, c.owner, row.owner],
    );
    if (taken.length === 1) return { claimed: true };
  }
  return { claimed: false, row };
}

const CLAIM_COLUMNS = ['account_id', 'livemode', 'key', 'request_hash', 'method', 'path', 'state', 'locked_at', 'created', 'request_id', 'owner'];
const claimValues = (c: IdempotencyClaim) => [c.account_id, c.livemode, c.key, c.request_hash, c.method, c.path, 'in_progress', c.at, c.at, c.request_id, c.owner];

/**
 * The claim as a write of the operation's transaction (IdempotencyKeyRepo.claim): no ON CONFLICT,
 * so a key already there fails it. With the answer, a done key.
 */
export function claimWrite(c: IdempotencyClaim, answer?: { status: number; body: string }): Deferred {
  if (!answer) return { kind: 'insert', table: 'idempotency_keys', columns: CLAIM_COLUMNS, values: claimValues(c) };
  const values = claimValues(c);
  values[6] = 'done';
  return { kind: 'insert', table: 'idempotency_keys', columns: [...CLAIM_COLUMNS, 'response_status', 'response_body'], values: [...values, answer.status, answer.body] };
}

/**
 * The saved answer. An upsert: the claim may not have been committed (the operation refused
 * before its transaction), and then the answer is saved as a done key; a key some other request
 * holds now is left alone.
 */
function completionWrite(c: IdempotencyClaim, status: number, body: string): Deferred {
  return {
    ...(claimWrite(c, { status, body }) as Extract<Deferred, { kind: 'insert' }>),
    conflict: `ON CONFLICT (account_id, livemode, key) DO UPDATE SET state = 'done', response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body
      WHERE idempotency_keys.request_id = EXCLUDED.request_id`,
  };
}

/** The claim on its own: a key already there is left as it is (no row returned). */
function claimRow(q: Queryable, c: IdempotencyClaim) {
  const { sql, params } = combineWrites([{ ...(claimWrite(c) as Extract<Deferred, { kind: 'insert' }>), conflict: 'ON CONFLICT DO NOTHING RETURNING key' }]);
  return q.query(sql, params);
}

async function abandoned(row: IdempotencyRow, now: number, staleMs: number, presence: Presence, running: ReadonlySet<string>): Promise<boolean> {
  if (row.owner === null) return row.locked_at < now - staleMs;
  if (row.owner === presence.id) return row.request_id === null || !running.has(row.request_id);
  return !(await presence.alive(row.owner));
}

/**
 * Claims of concurrent requests, a statement for many ({@link Batcher}): every request with an
 * Idempotency-Key pays for one, so under load they share the round trips. A claim that does not go
 * through at once (the key is held or done) takes {@link claimKey}'s path. Saved answers are
 * writes that wait for the store's next shared statement (db.ts's group commit), so they travel
 * with other requests' creates.
 */
export class IdempotencyKeys {
  private readonly claims: Batcher<IdempotencyClaim, boolean>;
  /** Request ids of this process's requests that hold a claim and have not yet answered. */
  private readonly running = new Set<string>();

  constructor(private readonly db: Db, private readonly presence: Presence, private readonly staleMs: number) {
    this.claims = new Batcher(async (items) => {
      // One row per key: a twin in the same batch is not inserted, and learns its fate below.
      const first = new Map<string, number>();
      items.forEach((it, i) => {
        const k = keyOf(it);
        if (!first.has(k)) first.set(k, i);
      });
      const rows = [...first.values()].map((i) => items[i]!);
      // Alone, the plain statement: unnest() costs PGlite more to plan than it saves for one row.
      if (items.length === 1) {
        return [(await claimRow(db, items[0]!)).length === 1];
      }
      const inserted = await db.query<{ account_id: string; livemode: boolean; key: string }>(
        `INSERT INTO idempotency_keys (account_id, livemode, key, request_hash, method, path, state, locked_at, created, request_id, owner)
         SELECT a, l, k, h, m, p, 'in_progress', t, t, r, o
           FROM unnest($1::text[], $2::bool[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[]) AS v(a, l, k, h, m, p, t, r, o)
         ON CONFLICT DO NOTHING RETURNING account_id, livemode, key`,
        [rows.map((r) => r.account_id), rows.map((r) => r.livemode), rows.map((r) => r.key), rows.map((r) => r.request_hash),
          rows.map((r) => r.method), rows.map((r) => r.path), rows.map((r) => r.at), rows.map((r) => r.request_id), rows.map((r) => r.owner)],
      );
      const won = new Set(inserted.map((r) => keyOf(r)));
      return items.map((it, i) => first.get(keyOf(it)) === i && won.has(keyOf(it)));
    });
  }

  /** What this process claims for a request. */
  claimFor(scope: IdempotencyScope, req: { hash: string; method: string; path: string; requestId: string }, now: number): IdempotencyClaim {
    return { ...scope, request_hash: req.hash, method: req.method, path: req.path, request_id: req.requestId, owner: this.presence.id, at: now };
  }

  /** Claims the key for `c`'s request (the caller then holds it: {@link hold}). */
  async claim(c: IdempotencyClaim): Promise<Claim> {
    if (await this.claims.add(c)) return { claimed: true };
    return claimKey(this.db, c, this.staleMs, this.presence, this.running);
  }

  /**
   * A request of this process holds (or may hold) `c` until `ended` fires: until then its claim is
   * never taken over in this process; afterwards, one it left (its answer or release could not be
   * written) is, by the request's retry.
   */
  hold(c: IdempotencyClaim, ended: { once(event: 'close', f: () => void): unknown }): void {
    if (this.running.has(c.request_id)) return;
    this.running.add(c.request_id);
    ended.once('close', () => this.running.delete(c.request_id));
  }

  /** Saves the answer; resolves once it is committed (the answer is sent after). */
  complete(c: IdempotencyClaim, status: number, body: string): Promise<void> {
    return this.db.tx(async (q) => q.defer(completionWrite(c, status, body)));
  }

  /** Forgets this request's claim. */
  release(c: IdempotencyClaim): Promise<void> {
    return releaseKey(this.db, c);
  }
}

function keyOf(s: { account_id: string; livemode: boolean; key: string }): string {
  return `${s.account_id}\u0000${s.livemode}\u0000${s.key}`;
}

/**
 * Forgets a request's claim: the request never started executing (bad parameters) or may safely
 * run again. Only that request's: another may hold the key by now.
 */
export async function releaseKey(q: Queryable, c: IdempotencyClaim): Promise<void> {
  await q.query(
    `DELETE FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3 AND state = 'in_progress' AND request_id = $4`,
    [c.account_id, c.livemode, c.key, c.request_id],
  );
}

export async function pruneKeys(q: Queryable, olderThan: number): Promise<number> {
  const rows = await q.query('DELETE FROM idempotency_keys WHERE created < $1 RETURNING key', [olderThan]);
  return rows.length;
}
