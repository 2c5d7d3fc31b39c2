/**
 * Disputes (chargebacks, antom.md §9b): a buyer disputes a paid payment, Antom freezes the funds
 * and tells the merchant with a signed notifyDispute (`DISPUTE_CREATED`), then judges it and tells
 * again (`DISPUTE_JUDGED`). Opened and judged through the script API; every notification goes
 * through the same outbox, signature and retry schedule as notifyPayment.
 */
import { inflateSync } from 'node:zlib';
import type { SimContext } from './context.js';
import { upstreamId } from './antom-api.js';
import { enqueueNotification } from './payments.js';
import type { DisputeJudgedResult, DisputeRow, PaymentRow } from './store.js';
import { inTx, type Tx } from './tx.js';
import { failure, isoTime, SUCCESS, wireAmount, type Json } from './wire.js';

const DISPUTE_ID_MARK = '19401150';
/** How long the merchant has to defend: Antom's `defenseDueTime`; a week unless the script says otherwise. */
export const DEFAULT_DEFENSE_WINDOW_MS = 7 * 24 * 3_600_000;
export const DEFAULT_REASON_MSG = 'The buyer says the goods were not received.';

/** The body of a notifyDispute of this type, for the dispute as it now is. */
export function disputeNotificationBody(d: DisputeRow, p: PaymentRow, type: 'DISPUTE_CREATED' | 'DISPUTE_JUDGED' | 'DEFENSE_SUPPLIED'): Json {
  const body: Json = {
    paymentRequestId: p.payment_request_id,
    disputeId: d.dispute_id,
    paymentId: d.payment_id,
    disputeTime: isoTime(d.created_at),
    disputeAmount: wireAmount(d.currency, d.amount),
    disputeNotificationType: type,
    disputeReasonMsg: d.reason_msg,
    defenseDueTime: isoTime(d.defense_due_at),
    defendable: d.status === 'OPEN',
  };
  if (type === 'DISPUTE_JUDGED' && d.judged_at !== null && d.judged_result !== null) {
    body.disputeJudgedTime = isoTime(d.judged_at);
    body.disputeJudgedAmount = wireAmount(d.currency, d.amount);
    body.disputeJudgedResult = d.judged_result;
  }
  return body;
}

async function announce(tx: Tx, ctx: SimContext, d: DisputeRow, p: PaymentRow, type: 'DISPUTE_CREATED' | 'DISPUTE_JUDGED' | 'DEFENSE_SUPPLIED'): Promise<void> {
  // Antom sends it to the merchant's notification address; the simulator knows it from the payment.
  if (!p.notify_url) return;
  await enqueueNotification(tx, ctx, {
    clientId: d.client_id, kind: 'notifyDispute', notifyType: type, paymentId: d.payment_id, disputeId: d.dispute_id,
    url: p.notify_url, body: disputeNotificationBody(d, p, type),
  });
}

export type DisputeAnswer =
  | { ok: true; dispute: DisputeRow }
  | { ok: false; httpStatus: number; code: string; message: string };

export interface OpenDisputeInput {
  amount?: number;
  reason?: string;
  defenseWindowMs?: number;
}

/** Opens a dispute on a paid payment (one open dispute per payment) and queues DISPUTE_CREATED. */
export async function openDispute(ctx: SimContext, paymentId: string, input: OpenDisputeInput): Promise<DisputeAnswer> {
  return inTx(ctx, async (tx): Promise<DisputeAnswer> => {
    const p = (await tx.q.query<PaymentRow>('SELECT * FROM sim_payments WHERE payment_id = $1 FOR UPDATE', [paymentId]))[0];
    if (!p) return { ok: false, httpStatus: 404, code: 'payment_not_found', message: `No payment ${paymentId}.` };
    if (p.status !== 'SUCCESS') return { ok: false, httpStatus: 409, code: 'payment_not_paid', message: `Only a paid payment can be disputed; this one is ${p.status}.` };
    const amount = input.amount ?? p.amount;
    if (amount > p.amount) return { ok: false, httpStatus: 400, code: 'amount_too_large', message: `The dispute amount ${amount} is more than the payment's ${p.amount}.` };
    const open = await tx.q.query('SELECT 1 FROM sim_disputes WHERE payment_id = $1 AND status = $2', [paymentId, 'OPEN']);
    if (open.length > 0) return { ok: false, httpStatus: 409, code: 'dispute_open', message: 'This payment already has an open dispute.' };
    const now = ctx.clock.now();
    const rows = await tx.q.query<DisputeRow>(
      `INSERT INTO sim_disputes (dispute_id, client_id, payment_id, currency, amount, reason_msg, status, created_at, defense_due_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', $7, $8, $7) RETURNING *`,
      [upstreamId(now, DISPUTE_ID_MARK), p.client_id, p.payment_id, p.currency, amount, input.reason ?? DEFAULT_REASON_MSG, now,
        now + (input.defenseWindowMs ?? DEFAULT_DEFENSE_WINDOW_MS)],
    );
    const d = rows[0]!;
    await announce(tx, ctx, d, p, 'DISPUTE_CREATED');
    return { ok: true, dispute: d };
  });
}

/** Judges an open dispute and queues DISPUTE_JUDGED; judging a judged dispute again is refused. */
export async function judgeDispute(ctx: SimContext, disputeId: string, judged: DisputeJudgedResult): Promise<DisputeAnswer> {
  return inTx(ctx, async (tx): Promise<DisputeAnswer> => {
    const d = (await tx.q.query<DisputeRow>('SELECT * FROM sim_disputes WHERE dispute_id = $1 FOR UPDATE', [disputeId]))[0];
    if (!d) return { ok: false, httpStatus: 404, code: 'dispute_not_found', message: `No dispute ${disputeId}.` };
    if (d.status !== 'OPEN') return { ok: false, httpStatus: 409, code: 'dispute_closed', message: `The dispute is already ${d.status}.` };
    const now = ctx.clock.now();
    const rows = await tx.q.query<DisputeRow>(
      `UPDATE sim_disputes SET status = 'JUDGED', judged_result = $2, judged_at = $3, updated_at = $3 WHERE dispute_id = $1 RETURNING *`,
      [disputeId, judged, now],
    );
    const p = (await tx.q.query<PaymentRow>('SELECT * FROM sim_payments WHERE payment_id = $1', [d.payment_id]))[0]!;
    await announce(tx, ctx, rows[0]!, p, 'DISPUTE_JUDGED');
    return { ok: true, dispute: rows[0]! };
  });
}

/**
 * acceptDispute (antom.md §9b): the merchant accepts the loss, so Antom judges the dispute
 * ACCEPT_BY_MERCHANT now and says so with DISPUTE_JUDGED. A repeat is REPEAT_REQUEST; after the
 * defence window, TIME_EXCEEDS_LIMIT.
 */
export async function acceptDispute(ctx: SimContext, clientId: string, body: Json): Promise<Json> {
  const disputeId = typeof body.disputeId === 'string' && body.disputeId.length > 0 && body.disputeId.length <= 64 ? body.disputeId : undefined;
  if (!disputeId) return failure('PARAM_ILLEGAL', 'disputeId is required (at most 64 characters).');
  return inTx(ctx, async (tx): Promise<Json> => {
    const d = (await tx.q.query<DisputeRow>('SELECT * FROM sim_disputes WHERE dispute_id = $1 AND client_id = $2 FOR UPDATE', [disputeId, clientId]))[0];
    if (!d) return failure('PARAM_ILLEGAL', `No dispute ${disputeId}.`);
    const answer = (at: number): Json => ({ result: SUCCESS, disputeId, disputeResolutionTime: isoTime(at) });
    if (d.accepted_at !== null) return { ...failure('REPEAT_REQUEST', 'The dispute was already accepted.'), disputeId, disputeResolutionTime: isoTime(d.accepted_at) };
    if (d.status !== 'OPEN') return failure('PARAM_ILLEGAL', `The dispute is already ${d.status}.`);
    const now = ctx.clock.now();
    if (now > d.defense_due_at) return failure('TIME_EXCEEDS_LIMIT', 'The defence window of this dispute is over.');
    const rows = await tx.q.query<DisputeRow>(
      `UPDATE sim_disputes SET status = 'JUDGED', judged_result = 'ACCEPT_BY_MERCHANT', judged_at = $2, accepted_at = $2, updated_at = $2
        WHERE dispute_id = $1 RETURNING *`, [disputeId, now]);
    const p = (await tx.q.query<PaymentRow>('SELECT * FROM sim_payments WHERE payment_id = $1', [d.payment_id]))[0]!;
    await announce(tx, ctx, rows[0]!, p, 'DISPUTE_JUDGED');
    return answer(now);
  });
}

const MAX_EVIDENCE_CHARS = 1_000_000;

/** The document's format, from its bytes: Antom describes defence documents as PDF (or Word) files. */
export function defenceFormat(bytes: Buffer): 'PDF' | 'TEXT' {
  return bytes.subarray(0, 5).toString('latin1') === '%PDF-' ? 'PDF' : 'TEXT';
}

/**
 * The text a PDF carries as an attached file (the gateway attaches the evidence text exactly, as
 * `evidence.txt`): the first embedded file's stream, inflated. Undefined when there is none.
 */
export function attachedText(pdf: Buffer): string | undefined {
  const m = /\/Type \/EmbeddedFile\b[\s\S]*?\/Length (\d+)[\s\S]*?>>\s*stream\r?\n/.exec(pdf.toString('latin1'));
  if (!m) return undefined;
  const start = m.index + m[0].length;
  const data = pdf.subarray(start, start + Number(m[1]));
  try {
    return /\/FlateDecode/.test(m[0]) ? inflateSync(data).toString('utf8') : data.toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Why a Base64 defence document is not one: it must decode, exactly (canonical Base64, so no
 * character was lost), to a document — a PDF complete to its %%EOF, or UTF-8 text.
 */
function defenceProblem(doc: string): string | undefined {
  const bytes = Buffer.from(doc, 'base64');
  if (bytes.length === 0 || bytes.toString('base64') !== doc) return 'is not canonical Base64';
  if (defenceFormat(bytes) === 'PDF') {
    return /%%EOF\s*$/.test(bytes.subarray(-1024).toString('latin1')) ? undefined : 'is a PDF that does not end with %%EOF (cut short?)';
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return undefined;
  } catch {
    return 'is neither a PDF nor UTF-8 text';
  }
}

/**
 * supplyDefenseDocument (antom.md §9b): the merchant's defence, Base64, kept with the dispute and
 * announced back with DEFENSE_SUPPLIED; after the defence window TIME_EXCEEDS_LIMIT.
 */
export async function supplyDefenseDocument(ctx: SimContext, clientId: string, body: Json): Promise<Json> {
  const disputeId = typeof body.disputeId === 'string' && body.disputeId.length > 0 && body.disputeId.length <= 64 ? body.disputeId : undefined;
  if (!disputeId) return failure('PARAM_ILLEGAL', 'disputeId is required (at most 64 characters).');
  const doc = body.disputeEvidence;
  if (typeof doc !== 'string' || doc.length === 0 || doc.length > MAX_EVIDENCE_CHARS || !/^[A-Za-z0-9+/]+={0,2}$/.test(doc)) {
    return failure('PARAM_ILLEGAL', `disputeEvidence must be Base64, at most ${MAX_EVIDENCE_CHARS} characters.`);
  }
  const problem = defenceProblem(doc);
  if (problem) return failure('PARAM_ILLEGAL', `disputeEvidence ${problem}.`);
  return inTx(ctx, async (tx): Promise<Json> => {
    const d = (await tx.q.query<DisputeRow>('SELECT * FROM sim_disputes WHERE dispute_id = $1 AND client_id = $2 FOR UPDATE', [disputeId, clientId]))[0];
    if (!d) return failure('PARAM_ILLEGAL', `No dispute ${disputeId}.`);
    if (d.status !== 'OPEN') return failure('PARAM_ILLEGAL', `The dispute is already ${d.status}.`);
    const now = ctx.clock.now();
    if (now > d.defense_due_at) return failure('TIME_EXCEEDS_LIMIT', 'The defence window of this dispute is over.');
    const rows = await tx.q.query<DisputeRow>(
      'UPDATE sim_disputes SET defense_document = $2, defense_supplied_at = $3, updated_at = $3 WHERE dispute_id = $1 RETURNING *', [disputeId, doc, now]);
    const p = (await tx.q.query<PaymentRow>('SELECT * FROM sim_payments WHERE payment_id = $1', [d.payment_id]))[0]!;
    await announce(tx, ctx, rows[0]!, p, 'DEFENSE_SUPPLIED');
    return { result: SUCCESS, disputeId, disputeResolutionTime: isoTime(now) };
  });
}

export function findDispute(ctx: SimContext, disputeId: string): Promise<DisputeRow | undefined> {
  return ctx.db.query<DisputeRow>('SELECT * FROM sim_disputes WHERE dispute_id = $1', [disputeId]).then((r) => r[0]);
}

/** The successful payment of a merchant order (the gateway's PaymentIntent id is Antom's referenceOrderId). */
export async function paidPaymentOfOrder(ctx: SimContext, referenceOrderId: string): Promise<PaymentRow | undefined> {
  const rows = await ctx.db.query<PaymentRow>(
    "SELECT * FROM sim_payments WHERE reference_order_id = $1 ORDER BY (status = 'SUCCESS') DESC, created_at DESC LIMIT 1", [referenceOrderId]);
  return rows[0];
}
