/**
 * Disputes (antom.md §9b): a buyer disputes a paid payment and Antom tells the merchant with a
 * signed notifyDispute. A chargeback (`DISPUTE_CREATED`: the funds are frozen) is defended or
 * accepted, withdrawn by the buyer (`DISPUTE_CANCELLED`), and judged (`DISPUTE_JUDGED`): when told
 * to by the script API, or, undefended, when its defence window ends (lost: ACCEPT_BY_MERCHANT).
 * `DEFENSE_DUE_ALERT` comes 24 h before an undefended dispute's `defenseDueTime`. A retrieval
 * request (wallet payments: retrieval request → escalation → chargeback) asks for documents only;
 * judged VALIDATE_SUCCESS it ends, VALIDATE_FAIL or escalated (or left unanswered past its window)
 * it becomes a chargeback with a new window. Every notification goes through the same outbox,
 * signature and retry schedule as notifyPayment; the timed ones are claimed by the worker with
 * SKIP LOCKED, so any number of processes may run it.
 */
import { inflateSync } from 'node:zlib';
import type { SimContext } from './context.js';
import { upstreamId } from './antom-api.js';
import { enqueueNotification } from './payments.js';
import type { DisputeJudgedResult, DisputeRow, DisputeType, PaymentRow } from './store.js';
import { inTx, type Tx } from './tx.js';
import { failure, isoTime, SUCCESS, wireAmount, type Json } from './wire.js';

const DISPUTE_ID_MARK = '19401150';
/** How long the merchant has to defend: Antom's `defenseDueTime`; a week unless the script says otherwise. */
export const DEFAULT_DEFENSE_WINDOW_MS = 7 * 24 * 3_600_000;
export const DEFAULT_REASON_MSG = 'The buyer says the goods were not received.';
/** DEFENSE_DUE_ALERT comes this long before defenseDueTime (antom.md §9b); a window shorter than twice it gets the alert halfway. */
export const DEFENSE_ALERT_BEFORE_MS = 24 * 3_600_000;

export type DisputeNotifyType = 'DISPUTE_CREATED' | 'DISPUTE_JUDGED' | 'DEFENSE_SUPPLIED' | 'DEFENSE_DUE_ALERT' | 'DISPUTE_CANCELLED';

/** When DEFENSE_DUE_ALERT is due for a window from `from` to `due`. */
export function alertTime(from: number, due: number): number {
  return due - from >= 2 * DEFENSE_ALERT_BEFORE_MS ? due - DEFENSE_ALERT_BEFORE_MS : from + Math.floor((due - from) / 2);
}

/** The body of a notifyDispute of this type, for the dispute as it now is. */
export function disputeNotificationBody(d: DisputeRow, p: PaymentRow, type: DisputeNotifyType): Json {
  const body: Json = {
    paymentRequestId: p.payment_request_id,
    disputeId: d.dispute_id,
    paymentId: d.payment_id,
    disputeTime: isoTime(d.created_at),
    disputeAmount: wireAmount(d.currency, d.amount),
    disputeNotificationType: type,
    disputeReasonMsg: d.reason_msg,
    disputeType: d.dispute_type,
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

async function announce(tx: Tx, ctx: SimContext, d: DisputeRow, type: DisputeNotifyType, payment?: PaymentRow): Promise<void> {
  const p = payment ?? (await tx.q.query<PaymentRow>('SELECT * FROM sim_payments WHERE payment_id = $1', [d.payment_id]))[0]!;
  // Antom sends it to the merchant's notification address; the simulator knows it from the payment.
  if (!p.notify_url) return;
  await enqueueNotification(tx, ctx, {
    clientId: d.client_id, kind: 'notifyDispute', notifyType: type, paymentId: d.payment_id, disputeId: d.dispute_id,
    url: p.notify_url, body: disputeNotificationBody(d, p, type),
  });
}

/** Sets the columns, returns the row as it now is. */
async function updateDispute(tx: Tx, disputeId: string, set: Record<string, unknown>): Promise<DisputeRow> {
  const cols = Object.keys(set);
  const rows = await tx.q.query<DisputeRow>(
    `UPDATE sim_disputes SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE dispute_id = $1 RETURNING *`,
    [disputeId, ...cols.map((c) => set[c])],
  );
  return rows[0]!;
}

export type DisputeAnswer =
  | { ok: true; dispute: DisputeRow }
  | { ok: false; httpStatus: number; code: string; message: string };

export interface OpenDisputeInput {
  amount?: number;
  reason?: string;
  defenseWindowMs?: number;
  /** A retrieval request rather than a chargeback. */
  retrieval?: boolean;
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
    const due = now + (input.defenseWindowMs ?? DEFAULT_DEFENSE_WINDOW_MS);
    const type: DisputeType = input.retrieval ? 'RETRIEVAL_REQUEST' : 'CHARGEBACK';
    const rows = await tx.q.query<DisputeRow>(
      `INSERT INTO sim_disputes (dispute_id, client_id, payment_id, currency, amount, reason_msg, status, created_at, defense_due_at, updated_at, dispute_type, alert_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', $7, $8, $7, $9, $10) RETURNING *`,
      [upstreamId(now, DISPUTE_ID_MARK), p.client_id, p.payment_id, p.currency, amount, input.reason ?? DEFAULT_REASON_MSG, now, due, type, alertTime(now, due)],
    );
    const d = rows[0]!;
    await announce(tx, ctx, d, 'DISPUTE_CREATED', p);
    return { ok: true, dispute: d };
  });
}

const CHARGEBACK_RESULTS: readonly DisputeJudgedResult[] = ['ACCEPT_BY_CUSTOMER', 'ACCEPT_BY_MERCHANT'];

async function lockOpen(tx: Tx, disputeId: string): Promise<DisputeAnswer> {
  const d = (await tx.q.query<DisputeRow>('SELECT * FROM sim_disputes WHERE dispute_id = $1 FOR UPDATE', [disputeId]))[0];
  if (!d) return { ok: false, httpStatus: 404, code: 'dispute_not_found', message: `No dispute ${disputeId}.` };
  if (d.status !== 'OPEN') return { ok: false, httpStatus: 409, code: 'dispute_closed', message: `The dispute is already ${d.status}.` };
  return { ok: true, dispute: d };
}

/** Judges a locked open dispute and queues DISPUTE_JUDGED. */
async function judgeLocked(tx: Tx, ctx: SimContext, d: DisputeRow, judged: DisputeJudgedResult, accepted = false): Promise<DisputeRow> {
  const now = ctx.clock.now();
  const row = await updateDispute(tx, d.dispute_id, {
    status: 'JUDGED', judged_result: judged, judged_at: now, alert_at: null, updated_at: now, ...(accepted ? { accepted_at: now } : {}),
  });
  await announce(tx, ctx, row, 'DISPUTE_JUDGED');
  return row;
}

/**
 * A locked open retrieval request becomes a chargeback (Antom freezes the funds now) with a
 * defence window of its own: told by DISPUTE_JUDGED VALIDATE_FAIL when its documents failed, by a
 * DISPUTE_CREATED of disputeType CHARGEBACK otherwise.
 */
async function escalateLocked(tx: Tx, ctx: SimContext, d: DisputeRow, how: 'VALIDATE_FAIL' | 'DISPUTE_CREATED', windowMs?: number): Promise<DisputeRow> {
  const now = ctx.clock.now();
  const due = now + (windowMs ?? d.defense_due_at - d.created_at);
  const row = await updateDispute(tx, d.dispute_id, {
    dispute_type: 'CHARGEBACK', escalated_at: now, defense_due_at: due, alert_at: alertTime(now, due), defense_supplied_at: null, updated_at: now,
    ...(how === 'VALIDATE_FAIL' ? { judged_result: 'VALIDATE_FAIL', judged_at: now } : {}),
  });
  await announce(tx, ctx, row, how === 'VALIDATE_FAIL' ? 'DISPUTE_JUDGED' : 'DISPUTE_CREATED');
  return row;
}

/**
 * Judges an open dispute (`POST /simulator/v1/disputes/:id/judge`) and queues DISPUTE_JUDGED. A
 * chargeback takes ACCEPT_BY_CUSTOMER or ACCEPT_BY_MERCHANT, a retrieval request VALIDATE_SUCCESS
 * (it ends) or VALIDATE_FAIL (it becomes a chargeback). Judging a judged dispute again is refused.
 */
export async function judgeDispute(ctx: SimContext, disputeId: string, judged: DisputeJudgedResult): Promise<DisputeAnswer> {
  return inTx(ctx, async (tx): Promise<DisputeAnswer> => {
    const open = await lockOpen(tx, disputeId);
    if (!open.ok) return open;
    const d = open.dispute;
    const retrieval = d.dispute_type === 'RETRIEVAL_REQUEST';
    if (retrieval === CHARGEBACK_RESULTS.includes(judged)) {
      return { ok: false, httpStatus: 409, code: 'wrong_result', message: retrieval
        ? 'A retrieval request is judged VALIDATE_SUCCESS or VALIDATE_FAIL.' : 'A chargeback is judged ACCEPT_BY_CUSTOMER or ACCEPT_BY_MERCHANT.' };
    }
    if (judged === 'VALIDATE_FAIL') return { ok: true, dispute: await escalateLocked(tx, ctx, d, 'VALIDATE_FAIL') };
    return { ok: true, dispute: await judgeLocked(tx, ctx, d, judged) };
  });
}

/** A retrieval request escalated to a chargeback (`POST /simulator/v1/disputes/:id/escalate`): DISPUTE_CREATED of disputeType CHARGEBACK. */
export async function escalateDispute(ctx: SimContext, disputeId: string, windowMs?: number): Promise<DisputeAnswer> {
  return inTx(ctx, async (tx): Promise<DisputeAnswer> => {
    const open = await lockOpen(tx, disputeId);
    if (!open.ok) return open;
    const d = open.dispute;
    if (d.dispute_type !== 'RETRIEVAL_REQUEST') return { ok: false, httpStatus: 409, code: 'not_a_retrieval', message: 'Only a retrieval request escalates; this is a chargeback.' };
    return { ok: true, dispute: await escalateLocked(tx, ctx, d, 'DISPUTE_CREATED', windowMs) };
  });
}

/** The buyer withdraws a chargeback (`POST /simulator/v1/disputes/:id/cancel`): DISPUTE_CANCELLED, the funds unfrozen. A retrieval request has no cancellation at Antom. */
export async function cancelDispute(ctx: SimContext, disputeId: string): Promise<DisputeAnswer> {
  return inTx(ctx, async (tx): Promise<DisputeAnswer> => {
    const open = await lockOpen(tx, disputeId);
    if (!open.ok) return open;
    const d = open.dispute;
    if (d.dispute_type !== 'CHARGEBACK') return { ok: false, httpStatus: 409, code: 'not_a_chargeback', message: 'A retrieval request cannot be cancelled; judge or escalate it.' };
    const now = ctx.clock.now();
    const row = await updateDispute(tx, disputeId, { status: 'CANCELLED', cancelled_at: now, alert_at: null, updated_at: now });
    await announce(tx, ctx, row, 'DISPUTE_CANCELLED');
    return { ok: true, dispute: row };
  });
}

const DUE_BATCH = 50;

/**
 * The worker's share of disputes, claimed with SKIP LOCKED: DEFENSE_DUE_ALERT for undefended open
 * disputes whose alert time came; then the undefended ones past their window: a chargeback is
 * judged ACCEPT_BY_MERCHANT (the merchant did not answer, so it loses), a retrieval request
 * escalates to a chargeback. A defended dispute waits for its judgement (`…/judge`). Returns the
 * number of disputes handled.
 */
export async function runDueDisputes(ctx: SimContext): Promise<number> {
  return inTx(ctx, async (tx) => {
    const now = ctx.clock.now();
    const alerts = await tx.q.query<DisputeRow>(
      `SELECT * FROM sim_disputes WHERE status = 'OPEN' AND alert_at IS NOT NULL AND alert_at <= $1 AND defense_supplied_at IS NULL
        ORDER BY alert_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [now, DUE_BATCH]);
    for (const d of alerts) await announce(tx, ctx, await updateDispute(tx, d.dispute_id, { alert_at: null }), 'DEFENSE_DUE_ALERT');
    // Past due is after defenseDueTime, as acceptDispute and supplyDefenseDocument count it.
    const lapsed = await tx.q.query<DisputeRow>(
      `SELECT * FROM sim_disputes WHERE status = 'OPEN' AND defense_supplied_at IS NULL AND defense_due_at < $1
        ORDER BY defense_due_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [now, DUE_BATCH]);
    for (const d of lapsed) {
      if (d.dispute_type === 'RETRIEVAL_REQUEST') await escalateLocked(tx, ctx, d, 'DISPUTE_CREATED');
      else await judgeLocked(tx, ctx, d, 'ACCEPT_BY_MERCHANT');
    }
    return alerts.length + lapsed.length;
  });
}

/** When the next dispute falls due (an alert, a window's end), for the worker's sleep. */
export const DISPUTE_DUE_SQL = `SELECT LEAST(
    (SELECT MIN(alert_at) FROM sim_disputes WHERE status = 'OPEN' AND alert_at IS NOT NULL AND defense_supplied_at IS NULL),
    (SELECT MIN(defense_due_at) + 1 FROM sim_disputes WHERE status = 'OPEN' AND defense_supplied_at IS NULL))`;

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
    if (d.dispute_type !== 'CHARGEBACK') return failure('PARAM_ILLEGAL', 'A retrieval request cannot be accepted: supply the documents asked for.');
    await judgeLocked(tx, ctx, d, 'ACCEPT_BY_MERCHANT', true);
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
    const row = await updateDispute(tx, disputeId, { defense_document: doc, defense_supplied_at: now, alert_at: null, updated_at: now });
    await announce(tx, ctx, row, 'DEFENSE_SUPPLIED');
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
