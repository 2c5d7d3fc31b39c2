/** Disputes as the API reads them, scoped to the caller. */
import { fail, ok, pageOr, type Result } from '../errors.js';
import { disputePublic, type DisputeRecord } from '../model.js';
import type { CoreDeps } from '../context.js';
import type { ListQuery, Page, Scope, StoreTx } from '../store.js';

export async function getDispute(deps: CoreDeps, scope: Scope, id: string): Promise<Result<DisputeRecord>> {
  const d = await deps.store.disputes.get(scope, id);
  return d ? ok(d) : fail({ kind: 'not_found', resource: 'dispute', id, param: 'dispute' });
}

export async function listDisputes(deps: CoreDeps, scope: Scope, q: ListQuery & { payment_intent?: string; charge?: string }): Promise<Result<Page<DisputeRecord>>> {
  return pageOr(await deps.store.disputes.list(scope, q), q);
}

/** The dispute as Stripe shows it, with its balance transactions as they are now (in `s`'s transaction, or committed). */
export async function disputeWithBalance(s: Pick<StoreTx, 'balanceTransactions'>, d: DisputeRecord, now: number) {
  return disputePublic(d, now, await s.balanceTransactions.forSource(d.id));
}
