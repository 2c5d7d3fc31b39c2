/** Update a refund: only its metadata may change. */
import { fail, ok, type Result } from '../errors.js';
import type { Metadata, RefundRecord } from '../model.js';
import { inTx, type CoreDeps, type RequestContext } from '../context.js';
import { mergeMetadata } from '../payment-intents/update.js';

export async function updateRefund(deps: CoreDeps, ctx: RequestContext, id: string, p: { metadata?: Record<string, string | null> | null }): Promise<Result<RefundRecord>> {
  return inTx(deps.store, async (s) => {
    const found = await s.refunds.lock(ctx.scope, id);
    if (!found) return fail({ kind: 'not_found', resource: 'refund', id, param: 'refund' });
    const metadata: Metadata = p.metadata === null ? {} : p.metadata ? mergeMetadata(found.metadata, p.metadata) : found.metadata;
    const next = { ...found, metadata, updated: deps.clock.now() };
    await s.refunds.update(next);
    return ok(next);
  });
}
