/**
 * A new PGlite data folder is created (initdb) by a short-lived child process, then opened in this
 * one: initdb in the gateway's own process would leave it at more than twice the memory for its
 * whole life. The folder's lock is this process's throughout, and a child that fails says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPgliteFolder, openPglite, PgliteInitError } from '../../src/store/db.js';

test('a new data folder is initialised by a child process before this process opens it, under this process\'s lock', { timeout: 240_000 }, async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'opencashier-initdb-')), 'pglite');
  try {
    const seen: { pid: number; initialised: boolean; lockedBy: number }[] = [];
    const db = await openPglite(dir, 'the test', {
      onInitdb: (pid) => seen.push({
        pid, initialised: isPgliteFolder(dir), lockedBy: (JSON.parse(readFileSync(join(dir, 'opencashier.lock'), 'utf8')) as { pid: number }).pid,
      }),
    });
    try {
      assert.equal(seen.length, 1, 'initdb ran once, in a child');
      assert.notEqual(seen[0]!.pid, process.pid);
      assert.ok(seen[0]!.initialised, 'the folder was a database before this process opened it');
      assert.equal(seen[0]!.lockedBy, process.pid, 'this process held the lock while the child worked');
      assert.deepEqual(await db.query('SELECT 41 + 1 AS n'), [{ n: 42 }]);
    } finally {
      await db.close();
    }
    // An existing folder is opened in-process at once.
    const again = await openPglite(dir, 'the test', { onInitdb: () => assert.fail('no initdb for an existing folder') });
    await again.close();
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('a child that cannot create the database fails the open with a message saying what to check, and releases the lock', { timeout: 240_000 }, async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'opencashier-initdb-')), 'pglite');
  try {
    // A file where initdb needs a folder: fails for root too, where a read-only folder would not.
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'base'), 'in the way');
    await assert.rejects(openPglite(dir, 'the test'), (err: unknown) => {
      assert.ok(err instanceof PgliteInitError, String(err));
      assert.match(err.message, new RegExp(`Could not create the embedded database in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ErrnoError ENOTDIR`));
      assert.match(err.message, /DATA_DIR/);
      return true;
    });
    assert.ok(!isPgliteFolder(dir));
    assert.ok(!existsSync(join(dir, 'opencashier.lock')), 'the lock is released');
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});
