/**
 * Which gateway processes are alive, as the database sees them: work a process claimed (an
 * Idempotency-Key in progress) names the process, and a claim whose process is gone can be taken
 * over at once instead of after a timeout.
 *
 * - PGlite: one process owns the data folder, so any owner other than this process is dead.
 * - PostgreSQL: each process holds a session-scoped advisory lock on a connection of its own for its
 *   whole life. PostgreSQL releases it the moment that connection ends — a crash, a SIGKILL, a lost
 *   machine — so "is its lock still held" is the liveness check, with no heartbeat to tune.
 */
import { randomInt } from 'node:crypto';
import type { Db } from './db.js';

/** Advisory lock class of process presence (two-int form, so it cannot meet the migration lock). */
const PRESENCE_CLASS = 0x4f43;
/** Advisory lock class of {@link Presence.exclusive}: one process at a time runs a named task. */
const EXCLUSIVE_CLASS = 0x4f44;

export interface Presence {
  /** This process, as written into its claims. */
  readonly id: string;
  /** False only when the process named `owner` is certainly gone. */
  alive(owner: string): Promise<boolean>;
  /**
   * Runs `task` unless another process is running the task of that name right now (then resolves
   * undefined at once): for background work whose rows cannot be claimed one by one. On PostgreSQL
   * a session advisory lock on this process's own connection, so a process that dies lets go.
   */
  exclusive<T>(name: string, task: () => Promise<T>): Promise<T | undefined>;
  close(): Promise<void>;
}

/** `pg.scope` tells apart gateways sharing one database in different schemas (advisory locks are per database). */
export async function openPresence(db: Db, pg?: { connectionString: string; scope?: string }): Promise<Presence> {
  if (db.kind === 'pglite' || !pg) {
    const id = `lite:${randomInt(0, 2 ** 31)}`;
    // One process owns the data folder; within it each task runs one pass at a time already.
    return { id, alive: async (owner) => owner === id, exclusive: (_name, task) => task(), close: async () => undefined };
  }
  const pgmod = (await import('pg')).default;
  const client = new pgmod.Client({ connectionString: pg.connectionString });
  client.on('error', () => undefined);
  await client.connect();
  let objid = 0;
  for (;;) {
    objid = randomInt(1, 2 ** 31);
    const [row] = (await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS got', [PRESENCE_CLASS, objid])).rows;
    if (row?.got) break;
  }
  const id = `pg:${objid}`;
  return {
    id,
    alive: async (owner) => {
      if (owner === id) return true;
      const m = /^pg:(\d+)$/.exec(owner);
      if (!m) return false;
      const rows = await db.query(
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted",
        [PRESENCE_CLASS, Number(m[1])],
      );
      return rows.length > 0;
    },
    exclusive: async (name, task) => {
      const key = `${pg.scope ?? ''}:${name}`;
      const [row] = (await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [EXCLUSIVE_CLASS, key])).rows;
      if (!row?.got) return undefined;
      try {
        return await task();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [EXCLUSIVE_CLASS, key]).catch(() => undefined);
      }
    },
    close: () => client.end(),
  };
}
