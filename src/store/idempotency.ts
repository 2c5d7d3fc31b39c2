/**
 * Stored results of idempotent POSTs, keyed by (account, mode, Idempotency-Key). A key is claimed
 * before the request runs (so a concurrent twin sees it in progress) and completed with the
 * response; keys are kept at least 24 hours.
 *
 * A claim names the process that holds it (presence.ts). A live request keeps its key however long
 * it runs; a claim whose process died is taken over by the first retry, which then resumes the
 * work from the objects the dead request left (they carry the key: see core's create operations).
 */
import type { Queryable } from './db.js';
import type { Presence } from './presence.js';
import { Batcher } from './batch.js';

export interface IdempotencyRow {
  request_hash: string;
  method: string;
  path: string;
  state: 'in_progress' | 'done';
  locked_at: number;
  owner: string | null;
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
  q: Queryable, s: IdempotencyScope, req: { hash: string; method: string; path: string; requestId: string },
  now: number, staleMs: number, presence: Presence,
): Promise<Claim> {
  const inserted = await claimRow(q, s, req, now, presence.id);
  if (inserted.length === 1) return { claimed: true };
  const rows = await q.query<IdempotencyRow & Record<string, unknown>>(
    'SELECT request_hash, method, path, state, locked_at, owner, response_status, response_body FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3',
    [s.account_id, s.livemode, s.key],
  );
  const row = rows[0];
  if (!row) return claimKey(q, s, req, now, staleMs, presence); // released between our two statements
  if (row.state === 'in_progress' && row.request_hash === req.hash && (await abandoned(row, now, staleMs, presence))) {
    const taken = await q.query(
      `UPDATE idempotency_keys SET locked_at = $4, request_id = $6, owner = $7
        WHERE account_id = $1 AND livemode = $2 AND key = $3 AND state = 'in_progress' AND locked_at = $5 AND owner IS NOT DISTINCT FROM $8
        RETURNING key`,
      [s.account_id, s.livemode, s.key, now, row.locked_at, req.requestId, presence.id, row.owner],
    );
    if (taken.length === 1) return { claimed: true };
  }
  return { claimed: false, row };
}

function claimRow(q: Queryable, s: IdempotencyScope, req: { hash: string; method: string; path: string; requestId: string }, now: number, owner: string) {
  return q.query(
    `INSERT INTO idempotency_keys (account_id, livemode, key, request_hash, method, path, state, locked_at, created, request_id, owner)
     VALUES ($1, $2, $3, $4, $5, $6, 'in_progress', $7, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING key`,
    [s.account_id, s.livemode, s.key, req.hash, req.method, req.path, now, req.requestId, owner],
  );
}

async function abandoned(row: IdempotencyRow, now: number, staleMs: number, presence: Presence): Promise<boolean> {
  if (row.owner === null) return row.locked_at < now - staleMs;
  return row.owner !== presence.id && !(await presence.alive(row.owner));
}

interface ClaimRequest {
  scope: IdempotencyScope;
  req: { hash: string; method: string; path: string; requestId: string };
  now: number;
}

/**
 * Claims and saved answers of concurrent requests, a statement for many ({@link Batcher}): every
 * request with an Idempotency-Key pays for both, so under load they share the round trips. A claim
 * that does not go through at once (the key is held or done) takes {@link claimKey}'s path.
 */
export class IdempotencyKeys {
  private readonly claims: Batcher<ClaimRequest, boolean>;
  private readonly completions: Batcher<{ scope: IdempotencyScope; status: number; body: string }, void>;

  constructor(private readonly q: Queryable, private readonly presence: Presence, private readonly staleMs: number) {
    this.claims = new Batcher(async (items) => {
      // One row per key: a twin in the same batch is not inserted, and learns its fate below.
      const first = new Map<string, number>();
      items.forEach((it, i) => {
        const k = keyOf(it.scope);
        if (!first.has(k)) first.set(k, i);
      });
      const rows = [...first.values()].map((i) => items[i]!);
      // Alone, the plain statement: unnest() costs PGlite more to plan than it saves for one row.
      if (items.length === 1) {
        const [it] = items as [ClaimRequest];
        return [(await claimRow(q, it.scope, it.req, it.now, presence.id)).length === 1];
      }
      const inserted = await q.query<{ account_id: string; livemode: boolean; key: string }>(
        `INSERT INTO idempotency_keys (account_id, livemode, key, request_hash, method, path, state, locked_at, created, request_id, owner)
         SELECT a, l, k, h, m, p, 'in_progress', t, t, r, $9
           FROM unnest($1::text[], $2::bool[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[]) AS v(a, l, k, h, m, p, t, r)
         ON CONFLICT DO NOTHING RETURNING account_id, livemode, key`,
        [rows.map((r) => r.scope.account_id), rows.map((r) => r.scope.livemode), rows.map((r) => r.scope.key), rows.map((r) => r.req.hash),
          rows.map((r) => r.req.method), rows.map((r) => r.req.path), rows.map((r) => r.now), rows.map((r) => r.req.requestId), presence.id],
      );
      const won = new Set(inserted.map((r) => keyOf(r)));
      return items.map((it, i) => first.get(keyOf(it.scope)) === i && won.has(keyOf(it.scope)));
    });
    this.completions = new Batcher<{ scope: IdempotencyScope; status: number; body: string }, void>(async (items) => {
      // The last answer for a key wins (one request holds a claim; a twin here would be a bug).
      const byKey = new Map(items.map((it) => [keyOf(it.scope), it]));
      const rows = [...byKey.values()];
      if (rows.length === 1) {
        await completeKey(q, rows[0]!.scope, rows[0]!.status, rows[0]!.body);
        return items.map(() => undefined);
      }
      await q.query(
        `UPDATE idempotency_keys k SET state = 'done', response_status = v.s, response_body = v.b
           FROM unnest($1::text[], $2::bool[], $3::text[], $4::int[], $5::text[]) AS v(a, l, key, s, b)
          WHERE k.account_id = v.a AND k.livemode = v.l AND k.key = v.key`,
        [rows.map((r) => r.scope.account_id), rows.map((r) => r.scope.livemode), rows.map((r) => r.scope.key), rows.map((r) => r.status), rows.map((r) => r.body)],
      );
      return items.map(() => undefined);
    });
  }

  async claim(scope: IdempotencyScope, req: ClaimRequest['req'], now: number): Promise<Claim> {
    if (await this.claims.add({ scope, req, now })) return { claimed: true };
    return claimKey(this.q, scope, req, now, this.staleMs, this.presence);
  }

  /** Saves the answer; resolves once it is committed (the answer is sent after). */
  complete(scope: IdempotencyScope, status: number, body: string): Promise<void> {
    return this.completions.add({ scope, status, body });
  }

  release(scope: IdempotencyScope): Promise<void> {
    return releaseKey(this.q, scope);
  }
}

function keyOf(s: { account_id: string; livemode: boolean; key: string }): string {
  return `${s.account_id}\u0000${s.livemode}\u0000${s.key}`;
}

export async function completeKey(q: Queryable, s: IdempotencyScope, status: number, body: string): Promise<void> {
  await q.query(
    `UPDATE idempotency_keys SET state = 'done', response_status = $4, response_body = $5 WHERE account_id = $1 AND livemode = $2 AND key = $3`,
    [s.account_id, s.livemode, s.key, status, body],
  );
}

/** Forgets a claim: the request never started executing (bad parameters) or may safely run again. */
export async function releaseKey(q: Queryable, s: IdempotencyScope): Promise<void> {
  await q.query(`DELETE FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3 AND state = 'in_progress'`, [s.account_id, s.livemode, s.key]);
}

export async function pruneKeys(q: Queryable, olderThan: number): Promise<number> {
  const rows = await q.query('DELETE FROM idempotency_keys WHERE created < $1 RETURNING key', [olderThan]);
  return rows.length;
}
