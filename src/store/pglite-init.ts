/**
 * `node pglite-init.js <dataDir>`: creates a PGlite data folder (initdb) and exits. Run as a
 * short-lived child by openPglite (db.ts): initdb leaves a PGlite process at about twice the memory
 * it needs to open an existing folder, for the rest of its life, so the gateway lets a child do it
 * and opens the finished folder itself. The parent holds the folder's lock meanwhile.
 */
import { PGlite } from '@electric-sql/pglite';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: pglite-init.js <dataDir>\n');
  process.exit(2);
}
/** Emscripten's errno numbers (PGlite's file system throws these as plain objects). */
const ERRNO: Record<number, string> = {
  2: 'EACCES, permission denied', 20: 'EEXIST, a file is in the way', 31: 'EISDIR, a folder is in the way', 44: 'ENOENT, no such file',
  51: 'ENOSPC, no space left on the device', 54: 'ENOTDIR, a file is where a folder should be', 63: 'EPERM, not permitted', 69: 'EROFS, read-only file system',
};

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  const e = err as { name?: unknown; errno?: unknown } | null;
  if (e && typeof e === 'object' && typeof e.errno === 'number') return `${String(e.name ?? 'error')} ${ERRNO[e.errno] ?? `errno ${e.errno}`}`;
  return String(err);
}

// The gateway that asked is gone (killed): nobody will open the folder, and its lock is free again.
process.on('disconnect', () => process.exit(1));

try {
  const pg = new PGlite(dataDir);
  await pg.waitReady;
  await pg.close();
  process.exit(0); // the IPC channel would keep this process alive
} catch (err) {
  process.stderr.write(`${describe(err)}\n`);
  process.exit(1);
}
