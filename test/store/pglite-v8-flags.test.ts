/**
 * The V8 flags a PGlite process sets for its memory (store/db.ts PGLITE_V8_FLAGS): set unless the
 * command line says otherwise about the same flag, in whichever spelling. That `serve` sets them
 * and logs it is checked in test/cli.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPgliteV8Flags, PGLITE_V8_FLAGS } from '../../src/store/db.js';

test('with nothing about them on the command line, every flag is set', () => {
  assert.deepEqual(applyPgliteV8Flags(['--cpu-prof', '--cpu-prof-dir=/tmp/p', '--max-old-space-size=512']), [...PGLITE_V8_FLAGS]);
});

test('a flag given on the command line, either way and in either spelling, is left as given', () => {
  assert.deepEqual(applyPgliteV8Flags(['--liftoff']), ['--heap-growing-percent=100']);
  assert.deepEqual(applyPgliteV8Flags(['--no-liftoff']), ['--heap-growing-percent=100']);
  assert.deepEqual(applyPgliteV8Flags(['--heap_growing_percent=0']), ['--no-liftoff']);
  assert.deepEqual(applyPgliteV8Flags(['--heap-growing-percent=30', '--liftoff']), []);
});
