/**
 * Close a dispute: the merchant accepts the loss (Stripe's `POST /v1/disputes/:id/close`), told to
 * Antom as acceptDispute. Antom's answer decides, outside any transaction; accepted, the dispute is
 * `lost` at once, and the DISPUTE_JUDGED Antom sends after it then changes nothing. Accepting again
 * is harmless on both sides (Antom answers REPEAT_REQUEST, read as accepted). Without an answer
 * nothing changes here and the request may be repeated.
 */
import { fail, invalid, ok, type Result } from '../errors.js';
import { disputeOpen, type DisputeRecord } from '../model.js';
import { inTx, recordEvent, requestFields, type CoreDeps, type RequestContext } from '../context.js';
import { disputeTransitionEvents, nextDisputeStatus } from './states.js';
import { disputeWithBalance } from './read.js';

export async function closeDispute(deps: CoreDeps, ctx: RequestContext, id: string): Promise<Result<DisputeRecord>> {
  const found = await deps.store.disputes.get(ctx.scope, id);
  if (!found) return fail({ kind: 'not_found', resource: 'dispute', id, param: 'dispute' });
  if (found.status === 'lost') return ok(found);
  if (found.status === 'warning_needs_response' || found.status === 'warning_under_review') {
    return fail(invalid('dispute_is_inquiry', `The dispute ${found.id} is an inquiry (a retrieval request): nothing was withdrawn and Alipay takes no acceptance of it. Submit the evidence it asks for, or refund the charge.`, 'dispute'));
  }
  if (!disputeOpen(found.status)) {
    return fail(invalid('dispute_already_closed', `The dispute ${found.id} is already closed (${found.status}); there is nothing to accept.`, 'dispute'));
  }
  const connector = deps.connector(ctx.scope.livemode);
  if (!connector) return fail({ kind: 'upstream_unavailable', message: `No Antom connection is configured for ${ctx.scope.livemode ? 'live' : 'test'} mode.` });
  const outcome = await connector.acceptDispute(found.upstream_dispute_id, requestFields(ctx));
  deps.log.debug({ ...requestFields(ctx), dispute: found.id, api: 'acceptDispute', outcome: outcome.status }, 'antom answered');
  if (outcome.status === 'unknown') return fail({ kind: 'upstream_unavailable', message: `Alipay did not answer whether it accepted the dispute (${outcome.reason}); nothing changed. Retry.` });
  if (outcome.status === 'refused') {
    if (outcome.code === 'TIME_EXCEEDS_LIMIT') {
      return fail(invalid('dispute_past_due', `The defence window of ${found.id} is over: Alipay no longer takes an answer to it and will judge it. (${outcome.message})`, 'dispute'));
    }
    return fail(invalid('dispute_already_closed', `Alipay refused to accept the dispute ${found.id}: ${outcome.code} ${outcome.message}`, 'dispute'));
  }
  return inTx(deps.store, async (s) => {
    // The charge first, as notifyDispute locks it: a judgement arriving meanwhile waits, then changes nothing.
    await s.charges.lockById(found.charge_id);
    const d = await s.disputes.lockByUpstreamId(found.livemode, found.upstream_dispute_id);
    if (!d) return fail({ kind: 'not_found', resource: 'dispute', id, param: 'dispute' });
    const to = nextDisputeStatus(d.status, 'lose');
    if (!to) return ok(d);
    const now = deps.clock.now();
    const next: DisputeRecord = { ...d, status: to, judged_result: 'ACCEPT_BY_MERCHANT', closed_at: outcome.resolvedAt ?? now, updated: now };
    await s.disputes.update(next);
    for (const type of disputeTransitionEvents('lose')) await recordEvent(s, deps, ctx, type, await disputeWithBalance(s, next, now), { status: d.status });
    return ok(next);
  });
}
