/**
 * One process per embedded data folder. PGlite is a database inside this process: a second process
 * opening the same folder (a second `npm start`, or `opencashier keys roll` beside a running
 * gateway) would write behind the first one's back, and the first would overwrite it later. So the
 * folder carries a lock file naming its process; a second process refuses at once and says who
 * holds it and what to do. A lock whose process is gone (killed, crashed) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** `holder` names the process in the way, so a command can say what to do about it in its own words. */
export class DataFolderBusy extends Error {
  constructor(message: string, readonly holder?: Holder) {
    super(message);
  }
}

export interface Holder {
  pid: number;
  host: string;
  started: string;
  what: string;
}

const FILE = 'opencashier.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/**
 * Takes the folder's lock for this process, or throws {@link DataFolderBusy} with a message for a
 * person. `what` says what this process is ("the gateway", "keys roll"), for the other's message.
 * Returns the release function (also run at exit).
 */
export function lockDataFolder(dir: string, what: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, FILE);
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(path, 'wx');
      const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), what };
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
      };
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      // Another machine's process (a shared folder) cannot be checked: it counts as alive.
      if (holder && (holder.host !== hostname() || alive(holder.pid))) {
        throw new DataFolderBusy(
          `${holder.what === 'the gateway' ? 'A gateway is' : `"${holder.what}" is`} already running on the data folder ${dir} ` +
          `(pid ${holder.pid}, since ${holder.started}). The embedded database takes one process at a time: stop it first ` +
          '(Ctrl-C in its terminal), or point this one at another DATA_DIR — or use PostgreSQL (DATABASE_URL) to run several processes.',
          holder,
        );
      }
      // Its process is gone (killed or crashed): the lock is stale.
      rmSync(path, { force: true });
    }
  }
  throw new DataFolderBusy(`Could not take the lock of the data folder ${dir}; another process keeps taking it.`);
}
