/**
 * Scripted misbehaviour: a test queues faults, the next matching calls consume them. Faults live
 * in the database so a test talking to one gateway process can break the simulator in another;
 * each use decrements `remaining` under a row lock, so two calls never consume the same unit.
 */
import type { Queryable } from '../store/db.js';

export const FAULT_APIS = ['pay', 'inquiryPayment', 'cancel', 'refund', 'inquiryRefund', 'acceptDispute', 'supplyDefenseDocument', 'notify'] as const;
export type FaultApi = (typeof FAULT_APIS)[number];

export const FAULT_KINDS = ['unknown', 'timeout', 'http_500', 'bad_signature', 'fail', 'async'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  id: number;
  api: FaultApi;
  kind: FaultKind;
  code: string | null;
  remaining: number;
  delay_ms: number | null;
  created_at: number;
}

/** Which kinds make sense where: `async` is a refund that settles later; a notification can only be withheld. */
export function faultAllowed(api: FaultApi, kind: FaultKind): boolean {
  if (api === 'notify') return kind === 'fail';
  if (kind === 'async') return api === 'refund';
  return true;
}

export const DEFAULT_TIMEOUT_DELAY_MS = 20_000;
export const DEFAULT_ASYNC_REFUND_DELAY_MS = 200;

/**
 * On PGlite one process owns the store, so it knows when no fault can be pending for an API: it
 * looked and found none, and none was added since. A pay or refund then skips the look (a statement
 * each). `generation` moves with every fault added; an answer counts only if it did not move while
 * the statement ran. On PostgreSQL another process may add faults: always look.
 */
const noFaults = new WeakMap<object, { generation: number; emptyAt: Map<string, number> }>();

function faultState(q: Queryable) {
  let st = noFaults.get(q);
  if (!st) noFaults.set(q, (st = { generation: 0, emptyAt: new Map() }));
  return st;
}

const ownsTheStore = (q: Queryable) => (q as { kind?: string }).kind === 'pglite';

export async function addFault(
  q: Queryable,
  f: { api: FaultApi; kind: FaultKind; code?: string; times: number; delayMs?: number },
  now: number,
): Promise<Fault> {
  // Before and after: a look that ran while the insert did cannot conclude there is none.
  faultState(q).generation++;
  const rows = await q.query<Fault & Record<string, unknown>>(
    'INSERT INTO sim_faults (api, kind, code, remaining, delay_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
    [f.api, f.kind, f.code ?? null, f.times, f.delayMs ?? null, now],
  );
  faultState(q).generation++;
  return rows[0]!;
}

export async function clearFaults(q: Queryable): Promise<number> {
  const rows = await q.query('DELETE FROM sim_faults RETURNING id');
  return rows.length;
}

export function pendingFaults(q: Queryable): Promise<Fault[]> {
  return q.query<Fault & Record<string, unknown>>('SELECT * FROM sim_faults WHERE remaining > 0 ORDER BY id');
}

/** Consumes one unit of the oldest pending fault for `api`, if any. */
export async function takeFault(q: Queryable, api: FaultApi): Promise<Fault | undefined> {
  const st = ownsTheStore(q) ? faultState(q) : undefined;
  const generation = st?.generation;
  if (st && st.emptyAt.get(api) === generation) return undefined;
  // FOR UPDATE (not SKIP LOCKED): a concurrent caller waits and then sees the decremented count,
  // so `times: 2` means exactly two calls, however they race.
  const rows = await q.query<Fault & Record<string, unknown>>(
    `UPDATE sim_faults SET remaining = remaining - 1
      WHERE id = (SELECT id FROM sim_faults WHERE api = $1 AND remaining > 0 ORDER BY id LIMIT 1 FOR UPDATE)
        AND remaining > 0
      RETURNING *`,
    [api],
  );
  if (st && !rows[0] && st.generation === generation) st.emptyAt.set(api, generation!);
  return rows[0];
}
