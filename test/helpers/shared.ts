/** The team's shared folder (seeds, specs) beside the project: `../shared`, or OPENCASHIER_SHARED. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findShared(): string {
  if (process.env.OPENCASHIER_SHARED) return process.env.OPENCASHIER_SHARED;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared', 'specs');
    if (existsSync(candidate)) return join(dir, 'shared');
    const parent = dirname(dir);
    if (parent === dir) throw new Error('shared/specs not found beside the project: set OPENCASHIER_SHARED to the shared folder');
    dir = parent;
  }
}

export const SHARED_DIR = resolve(findShared());

export function readSpec(name: string): string {
  return readFileSync(join(SHARED_DIR, 'specs', name), 'utf8');
}
