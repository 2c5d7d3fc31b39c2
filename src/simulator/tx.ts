/**
 * Transactions that may leave work for the worker (a notification to send, a refund to settle).
 * Workers in this process are woken only after the commit, when the work is visible to them;
 * workers in other processes find it on their next tick, since the database is the only queue.
 */
import type { Db, Queryable } from '../store/db.js';
import type { SimContext } from './context.js';

export interface Tx {
  q: Queryable;
  /** Set when the transaction queued something the worker should look at now rather than at its next tick. */
  wakeWorkers: boolean;
}

interface Wakeable {
  kick(): void;
}

const workersByDb = new WeakMap<Db, Set<Wakeable>>();

export function registerWorker(db: Db, w: Wakeable): void {
  let set = workersByDb.get(db);
  if (!set) workersByDb.set(db, (set = new Set()));
  set.add(w);
}

export function unregisterWorker(db: Db, w: Wakeable): void {
  workersByDb.get(db)?.delete(w);
}

export function kickWorkers(db: Db): void {
  for (const w of workersByDb.get(db) ?? []) w.kick();
}

export async function inTx<T>(ctx: SimContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let tx: Tx | undefined;
  const out = await ctx.db.tx((q) => fn((tx = { q, wakeWorkers: false })));
  if (tx?.wakeWorkers) kickWorkers(ctx.db);
  return out;
}
