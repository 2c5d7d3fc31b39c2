/** Refunds as the API reads them, scoped to the caller. */
import { fail, ok, pageOr, type Result } from '../errors.js';
import type { RefundRecord } from '../model.js';
import type { CoreDeps } from '../context.js';
import type { ListQuery, Page, Scope } from '../store.js';

export async function getRefund(deps: CoreDeps, scope: Scope, id: string): Promise<Result<RefundRecord>> {
  const r = await deps.store.refunds.get(scope, id);
  return r ? ok(r) : fail({ kind: 'not_found', resource: 'refund', id, param: 'refund' });
}

export async function listRefunds(deps: CoreDeps, scope: Scope, q: ListQuery & { payment_intent?: string; charge?: string }): Promise<Result<Page<RefundRecord>>> {
  return pageOr(await deps.store.refunds.list(scope, q), q);
}
