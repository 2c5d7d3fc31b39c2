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

export interface Presence {
  /** This process, as written into its claims. */
  readonly id: string;
  /** False only when the process named `owner` is certainly gone. */
  alive(owner: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function openPresence(db: Db, pg?: { connectionString: string }): Promise<Presence> {
  if (db.kind === 'pglite' || !pg) {
    const id = `lite:${randomInt(0, 2 ** 31)}`;
    return { id, alive: async (owner) => owner === id, close: async () => undefined };
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
    close: () => client.end(),
  };
}
