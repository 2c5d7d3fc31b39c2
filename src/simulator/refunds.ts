/** Refund rows as Antom shows them, and the settlement of refunds that finish asynchronously. */
import type { SimContext } from './context.js';
import { enqueueNotification } from './payments.js';
import type { RefundRow } from './store.js';
import { inTx, type Tx } from './tx.js';
import { isoTime, messageFor, result, SUCCESS, wireAmount, type Json } from './wire.js';

export function refundFields(r: RefundRow): Json {
  const out: Json = {
    refundRequestId: r.refund_request_id,
    refundId: r.refund_id,
    paymentId: r.payment_id,
    refundAmount: wireAmount(r.currency, r.amount),
  };
  if (r.status === 'SUCCESS' && r.refund_time !== null) out.refundTime = isoTime(r.refund_time);
  return out;
}

/** The answer to `refund` for a stored refund: the same on every repeat of the request. */
export function refundAnswer(r: RefundRow): Json {
  if (r.status === 'SUCCESS') return { result: SUCCESS, ...refundFields(r) };
  if (r.status === 'PROCESSING') return { result: result('U', 'REFUND_IN_PROCESS'), ...refundFields(r) };
  return { result: result('F', r.result_code ?? 'REFUND_FAILED', r.result_message ?? undefined), ...refundFields(r) };
}

/** Finishes a locked refund whose settlement time has come and queues its notifyRefund. */
export async function settleRefundLocked(tx: Tx, ctx: SimContext, r: RefundRow): Promise<RefundRow> {
  const now = ctx.clock.now();
  if (r.status !== 'PROCESSING' || (r.complete_at ?? 0) > now) return r;
  const failed = r.fail_code !== null;
  const rows = await tx.q.query<RefundRow>(
    `UPDATE sim_refunds SET status = $2, result_code = $3, result_message = $4, refund_time = $5
      WHERE refund_id = $1 AND status = 'PROCESSING' RETURNING *`,
    failed
      ? [r.refund_id, 'FAIL', r.fail_code, messageFor(r.fail_code!), null]
      : [r.refund_id, 'SUCCESS', 'SUCCESS', 'success', now],
  );
  const settled = rows[0];
  if (!settled) return r;
  if (settled.notify_url) {
    await enqueueNotification(tx, ctx, {
      clientId: settled.client_id, kind: 'notifyRefund', notifyType: 'REFUND_RESULT', paymentId: settled.payment_id,
      refundId: settled.refund_id, url: settled.notify_url,
      body: {
        notifyType: 'REFUND_RESULT',
        result: failed ? result('F', settled.result_code!, settled.result_message ?? undefined) : SUCCESS,
        refundStatus: settled.status,
        ...refundFields(settled),
      },
    });
  }
  return settled;
}

export async function settleIfDue(ctx: SimContext, r: RefundRow): Promise<RefundRow> {
  if (r.status !== 'PROCESSING' || (r.complete_at ?? 0) > ctx.clock.now()) return r;
  return inTx(ctx, async (tx) => {
    const rows = await tx.q.query<RefundRow>('SELECT * FROM sim_refunds WHERE refund_id = $1 FOR UPDATE', [r.refund_id]);
    return rows[0] ? settleRefundLocked(tx, ctx, rows[0]) : r;
  });
}

export async function settleDueRefunds(ctx: SimContext, limit = 50): Promise<number> {
  return inTx(ctx, async (tx) => {
    const due = await tx.q.query<RefundRow>(
      `SELECT * FROM sim_refunds WHERE status = 'PROCESSING' AND complete_at <= $1
        ORDER BY complete_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [ctx.clock.now(), limit],
    );
    for (const r of due) await settleRefundLocked(tx, ctx, r);
    return due.length;
  });
}
