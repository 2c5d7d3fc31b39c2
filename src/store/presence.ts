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
import { statementError, type Db } from './db.js';

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
  type Client = InstanceType<typeof pgmod.Client>;
  let objid = 0;
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;
  let closed = false;
  /**
   * The presence connection, holding this process's lock. A lost connection (the database
   * restarted) is made again on next use, and takes the same lock again, so the process keeps its
   * id; while it was gone, others may have taken over its claims, as after a crash.
   */
  const open = async (): Promise<Client> => {
    const c = new pgmod.Client({ connectionString: pg.connectionString, connectionTimeoutMillis: 5_000 });
    const lost = () => {
      if (client === c) client = undefined;
    };
    c.on('error', lost);
    c.on('end', lost);
    try {
      await c.connect();
      const lock = async (n: number) => (await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS got', [PRESENCE_CLASS, n])).rows[0]?.got === true;
      if (objid !== 0) {
        // Again after a lost connection: the same lock, so the process keeps its id.
        if (await lock(objid)) return c;
        throw new Error(`this process's presence lock (${objid}) is held by another session`);
      }
      // The first time: a number no live process holds.
      for (;;) {
        const n = randomInt(1, 2 ** 31);
        if (await lock(n)) {
          objid = n;
          return c;
        }
      }
    } catch (err) {
      await c.end().catch(() => undefined);
      throw statementError(err);
    }
  };
  const current = (): Promise<Client> => {
    if (closed) return Promise.reject(new Error('presence is closed'));
    if (client) return Promise.resolve(client);
    connecting ??= open().then((c) => {
      if (closed) {
        void c.end().catch(() => undefined);
        throw new Error('presence is closed');
      }
      client = c;
      return c;
    }).finally(() => {
      connecting = undefined;
    });
    return connecting;
  };
  await current();
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
      const c = await current();
      const [row] = (await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [EXCLUSIVE_CLASS, key]).catch((err: unknown) => {
        throw statementError(err);
      })).rows;
      if (!row?.got) return undefined;
      try {
        return await task();
      } finally {
        await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [EXCLUSIVE_CLASS, key]).catch(() => undefined);
      }
    },
    close: async () => {
      closed = true;
      await client?.end().catch(() => undefined);
    },
  };
}
