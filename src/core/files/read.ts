/** Files as the API reads them, scoped to the caller. */
import { fail, ok, pageOr, type Result } from '../errors.js';
import type { CoreDeps } from '../context.js';
import type { ListQuery, Page, Scope } from '../store.js';
import type { FileRecord } from './file.js';

export async function getFile(deps: CoreDeps, scope: Scope, id: string): Promise<Result<FileRecord>> {
  const f = await deps.store.files.get(scope, id);
  return f ? ok(f) : fail({ kind: 'not_found', resource: 'file', id, param: 'file' });
}

export async function fileContents(deps: CoreDeps, scope: Scope, id: string): Promise<Result<{ file: FileRecord; bytes: Uint8Array }>> {
  const f = await deps.store.files.contents(scope, id);
  return f ? ok(f) : fail({ kind: 'not_found', resource: 'file', id, param: 'file' });
}

export async function listFiles(deps: CoreDeps, scope: Scope, q: ListQuery & { purpose?: string }): Promise<Result<Page<FileRecord>>> {
  return pageOr(await deps.store.files.list(scope, q), q);
}
