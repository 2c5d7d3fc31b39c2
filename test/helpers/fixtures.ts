/**
 * Test fixtures kept in the repository (test/fixtures/, see its README for where each came from),
 * so a clone builds and tests itself with nothing beside it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/helpers/, the fixtures stay in test/fixtures/ of the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

export function readFixture(name: string): string {
  return readFileSync(FIXTURES + name, 'utf8');
}
