/**
 * The five Antom calls the gateway makes, as business logic: a parsed, authenticated request in,
 * the answer object out (signing and faults are the route's job). Rules and codes follow
 * docs/antom-protocol.md §3–§8; idempotency is by (Client-Id, request id) with canonical-JSON comparison.
 */
import { randomBytesPooled } from '../core/ids.js';
import { CURRENCIES, WALLETS, walletsFor, formatAmount } from '../core/money.js';
import { settlementFields } from './rates.js';
import { isUniqueViolation } from '../store/db.js';
import type { SimContext } from './context.js';
import { DEFAULT_ASYNC_REFUND_DELAY_MS, type Fault } from './faults.js';
import { expireLocked, loadPayment, paymentFields, shopperUrls } from './payments.js';
import { refundAnswer, refundFields, settleIfDue } from './refunds.js';
import { findPayment, findRefund, listRefunds, type PaymentRow, type RefundRow } from './store.js';
import { acceptDispute, supplyDefenseDocument } from './disputes.js';
import { inTx } from './tx.js';
import {
  cancelDeadline, canonicalJson, failure, gmt8Date, isObject, isoTime, isWebUrl, parseRequestTime, readAmount,
  REFUND_WINDOW_MS, result, str, SUCCESS, wireAmount, type Json,
} from './wire.js';

export const API_NAMES = ['pay', 'inquiryPayment', 'cancel', 'refund', 'inquiryRefund', 'acceptDispute', 'supplyDefenseDocument'] as const;
export type ApiName = (typeof API_NAMES)[number];

export function isApiName(s: string): s is ApiName {
  return (API_NAMES as readonly string[]).includes(s);
}

export type ApiHandler = (ctx: SimContext, clientId: string, body: Json, fault: Fault | undefined) => Promise<Json>;

export const API_HANDLERS: Readonly<Record<ApiName, ApiHandler>> = { pay, inquiryPayment, cancel, refund, inquiryRefund, acceptDispute, supplyDefenseDocument };

const TERMINAL_TYPES = ['WEB', 'WAP', 'APP'];

interface PayInput {
  paymentRequestId: string;
  referenceOrderId: string;
  description: string;
  currency: string;
  amount: number;
  method: string;
  terminalType: string;
  redirectUrl: string;
  notifyUrl: string | undefined;
  userRegion: string | undefined;
  expiresAt: number | undefined;
}

type Checked<T> = { ok: true; value: T } | { ok: false; answer: Json };

const illegal = (detail: string): { ok: false; answer: Json } => ({ ok: false, answer: failure('PARAM_ILLEGAL', detail) });

function requiredString(v: unknown, field: string, max: number): string | { problem: string } {
  if (typeof v !== 'string' || v.length === 0) return { problem: `${field} is required.` };
  if (v.length > max) return { problem: `${field} must be at most ${max} characters.` };
  return v;
}

function optionalUrl(v: unknown, field: string, max: number): string | undefined | { problem: string } {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max || !isWebUrl(v)) return { problem: `${field} must be an http(s) URL of at most ${max} characters.` };
  return v;
}

function validatePay(body: Json, now: number): Checked<PayInput> {
  if (body.productCode === undefined) return illegal('productCode is required.');
  if (body.productCode !== 'CASHIER_PAYMENT') return illegal('productCode must be CASHIER_PAYMENT: the simulator offers the cashier payment product only.');
  const paymentRequestId = requiredString(body.paymentRequestId, 'paymentRequestId', 64);
  if (typeof paymentRequestId !== 'string') return illegal(paymentRequestId.problem);
  const order = body.order;
  if (!isObject(order)) return illegal('order is required.');
  const referenceOrderId = requiredString(order.referenceOrderId, 'order.referenceOrderId', 64);
  if (typeof referenceOrderId !== 'string') return illegal(referenceOrderId.problem);
  const description = requiredString(order.orderDescription, 'order.orderDescription', 256);
  if (typeof description !== 'string') return illegal(description.problem);
  const orderAmount = readAmount(order.orderAmount, 'order.orderAmount');
  if ('problem' in orderAmount) return illegal(orderAmount.problem);
  const amount = readAmount(body.paymentAmount, 'paymentAmount');
  if ('problem' in amount) return illegal(amount.problem);
  const method = isObject(body.paymentMethod) ? str(body.paymentMethod.paymentMethodType) : undefined;
  if (!method) return illegal('paymentMethod.paymentMethodType is required.');
  const redirectUrl = optionalUrl(body.paymentRedirectUrl, 'paymentRedirectUrl', 2048);
  if (redirectUrl === undefined) return illegal('paymentRedirectUrl is required.');
  if (typeof redirectUrl !== 'string') return illegal(redirectUrl.problem);
  const notifyUrl = optionalUrl(body.paymentNotifyUrl, 'paymentNotifyUrl', 2048);
  if (typeof notifyUrl === 'object') return illegal(notifyUrl.problem);
  const settlement = body.settlementStrategy;
  if (!isObject(settlement)) return illegal('settlementStrategy is required.');
  if (settlement.settlementCurrency !== undefined && !(typeof settlement.settlementCurrency === 'string' && /^[A-Z]{3}$/.test(settlement.settlementCurrency))) {
    return illegal('settlementStrategy.settlementCurrency must be a three-letter ISO 4217 code.');
  }
  // Older Antom examples put env under order (docs/antom-protocol.md §3).
  const env = isObject(body.env) ? body.env : isObject(order.env) ? order.env : undefined;
  if (!env) return illegal('env is required.');
  const terminalType = env.terminalType;
  if (typeof terminalType !== 'string' || !TERMINAL_TYPES.includes(terminalType)) return illegal('env.terminalType must be WEB, WAP or APP.');
  let expiresAt: number | undefined;
  if (body.paymentExpiryTime !== undefined) {
    const v = body.paymentExpiryTime;
    const t = typeof v === 'string' && v.includes('T') ? parseRequestTime(v) : undefined;
    if (t === undefined) return illegal('paymentExpiryTime must be an ISO-8601 time with an offset.');
    if (t <= now) return illegal('paymentExpiryTime must be in the future.');
    expiresAt = t;
  }
  const userRegion = str(body.userRegion);
  return {
    ok: true,
    value: {
      paymentRequestId, referenceOrderId, description, currency: amount.currency, amount: amount.amount, method, terminalType,
      redirectUrl, notifyUrl, userRegion, expiresAt,
    },
  };
}

/** The business checks on a well-formed pay: is the method known, does it serve this currency and amount. */
function checkPayable(p: PayInput): Json | undefined {
  const info = CURRENCIES[p.currency];
  if (!info) return failure('CURRENCY_NOT_SUPPORT', `${p.currency} is not a currency Antom presents.`);
  if (p.method !== 'ALIPAY_CN' && p.method !== 'CONNECT_WALLET' && !(p.method in WALLETS)) {
    return failure('PAYMENT_METHOD_NOT_SUPPORTED', `paymentMethod.paymentMethodType ${p.method} is not offered.`);
  }
  const options = walletsFor(p.method, p.currency, p.amount);
  if (options.length === 0) return failure('CURRENCY_NOT_SUPPORT', `${p.method} does not pay in ${p.currency}.`);
  if (info.wholeUnitsOnly && p.amount % 10 ** info.exponent !== 0) {
    return failure('PARAM_ILLEGAL', `paymentAmount.value for ${p.currency} must end in ${'0'.repeat(info.exponent)} (whole units).`);
  }
  if (!options.some((o) => o.available)) {
    const least = Math.min(...options.map((o) => o.minimum));
    return failure('PARAM_ILLEGAL', `paymentAmount.value is below the smallest amount ${p.method} accepts (${formatAmount(least, p.currency)}).`);
  }
  return undefined;
}

/** What `pay` answers for a stored payment: the redirect while it is open, the final result once it is not. */
function payAnswer(ctx: SimContext, p: PaymentRow): Json {
  if (p.status === 'PROCESSING' || p.status === 'PENDING') {
    const urls = shopperUrls(ctx, p);
    return {
      result: result('U', 'PAYMENT_IN_PROCESS'),
      paymentRequestId: p.payment_request_id,
      paymentId: p.payment_id,
      paymentCreateTime: isoTime(p.created_at),
      paymentAmount: wireAmount(p.currency, p.amount),
      normalUrl: urls.normalUrl,
      schemeUrl: urls.schemeUrl,
      applinkUrl: urls.applinkUrl,
      orderCodeForm: {
        expireTime: isoTime(p.expires_at),
        codeDetails: [{ codeValueType: 'QRCODE', codeValue: urls.walletUrl }],
      },
      ...settlementFields(p),
    };
  }
  if (p.status === 'SUCCESS') return { result: SUCCESS, ...paymentFields(p) };
  const code = p.status === 'CANCELLED' ? 'ORDER_IS_CLOSED' : p.result_code ?? 'PROCESS_FAIL';
  return { result: result('F', code, p.result_message ?? undefined), paymentRequestId: p.payment_request_id, paymentId: p.payment_id };
}

async function replayPay(ctx: SimContext, existing: PaymentRow, canonical: string): Promise<Json> {
  if (existing.request !== canonical) {
    return failure('REPEAT_REQ_INCONSISTENT', `paymentRequestId ${existing.payment_request_id} was used with a different request.`);
  }
  const current = await loadPayment(ctx, { paymentId: existing.payment_id });
  return payAnswer(ctx, current ?? existing);
}

const PAYMENT_ID_MARK = '19401080';
const REFUND_ID_MARK = '19401090';

/**
 * Antom's look — digits: the GMT+8 date, a fixed mark, then 40 random digits (133 bits; 56
 * characters, Antom allows 64). `/simulator/v1/payments/:paymentId` answers without auth and
 * leads to the return URL, which leads to the client secret, so no id may be guessed from another.
 */
export function upstreamId(now: number, mark: string): string {
  let digits = '';
  while (digits.length < 40) {
    for (const b of randomBytesPooled(48)) if (b < 250 && digits.length < 40) digits += String(b % 10);
  }
  return `${gmt8Date(now)}${mark}${digits}`;
}

async function pay(ctx: SimContext, clientId: string, body: Json): Promise<Json> {
  const now = ctx.clock.now();
  const checked = validatePay(body, now);
  if (!checked.ok) return checked.answer;
  const input = checked.value;
  const problem = checkPayable(input);
  if (problem) return problem;
  const canonical = canonicalJson(body);
  const key = { clientId, paymentRequestId: input.paymentRequestId };
  // Insert first: a paymentRequestId seen before (a resend) is the rare case, found by the conflict.
  const rows = await ctx.db.query<PaymentRow>(
    `INSERT INTO sim_payments (payment_id, client_id, payment_request_id, request, code_value, method, terminal_type, currency, amount,
        reference_order_id, description, redirect_url, notify_url, user_region, status, created_at, expires_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'PROCESSING', $15, $16, $15)
     ON CONFLICT (client_id, payment_request_id) DO NOTHING RETURNING *`,
    [
      upstreamId(now, PAYMENT_ID_MARK), clientId, input.paymentRequestId, canonical,
      // 192 random bits: the code is the shopper's (and any script's) capability to pay this payment.
      randomBytesPooled(24).toString('base64url'),
      input.method, input.terminalType, input.currency, input.amount, input.referenceOrderId, input.description,
      input.redirectUrl, input.notifyUrl ?? null, input.userRegion ?? null, now, input.expiresAt ?? now + ctx.expiryMs,
    ],
  );
  const created = rows[0];
  if (created) return payAnswer(ctx, created);
  // Sent before (a resend), or a concurrent twin inserted first: answer as its repeat.
  const twin = await findPayment(ctx.db, key);
  return twin ? replayPay(ctx, twin, canonical) : failure('UNKNOWN_EXCEPTION');
}

function paymentKey(clientId: string, body: Json): { clientId: string; paymentId: string } | { clientId: string; paymentRequestId: string } | undefined {
  const paymentId = str(body.paymentId);
  if (paymentId) return { clientId, paymentId };
  const paymentRequestId = str(body.paymentRequestId);
  return paymentRequestId ? { clientId, paymentRequestId } : undefined;
}

const RESULT_OF_STATUS: Readonly<Record<string, [string, string]>> = {
  PROCESSING: ['PAYMENT_IN_PROCESS', 'payment in process'],
  PENDING: ['PAYMENT_IN_PROCESS', 'The payment is being processed by the wallet.'],
};

function transactions(p: PaymentRow, refunds: RefundRow[]): Json[] {
  const out: Json[] = refunds.map((r) => ({
    transactionType: 'REFUND',
    transactionStatus: r.status,
    transactionRequestId: r.refund_request_id,
    transactionId: r.refund_id,
    transactionAmount: wireAmount(r.currency, r.amount),
    ...(r.refund_time !== null ? { transactionTime: isoTime(r.refund_time) } : {}),
  }));
  if (p.status === 'CANCELLED' && p.cancelled_at !== null) {
    out.push({ transactionType: 'CANCEL', transactionStatus: 'SUCCESS', transactionId: p.payment_id, transactionTime: isoTime(p.cancelled_at) });
  }
  return out;
}

async function inquiryPayment(ctx: SimContext, clientId: string, body: Json): Promise<Json> {
  const key = paymentKey(clientId, body);
  if (!key) return failure('PARAM_ILLEGAL', 'paymentId or paymentRequestId is required.');
  const p = await loadPayment(ctx, key);
  if (!p) return failure('ORDER_NOT_EXIST');
  const [code, message] = RESULT_OF_STATUS[p.status] ?? [p.result_code ?? p.status, p.result_message ?? ''];
  const txs = transactions(p, await listRefunds(ctx.db, p.payment_id));
  return {
    result: SUCCESS,
    paymentStatus: p.status,
    paymentResultCode: code,
    paymentResultMessage: message,
    ...paymentFields(p),
    ...(txs.length > 0 ? { transactions: txs } : {}),
  };
}

async function cancel(ctx: SimContext, clientId: string, body: Json): Promise<Json> {
  const key = paymentKey(clientId, body);
  if (!key) return failure('PARAM_ILLEGAL', 'paymentId or paymentRequestId is required.');
  return inTx(ctx, async (tx) => {
    const found = await findPayment(tx.q, key, true);
    if (!found) return failure('ORDER_NOT_EXIST');
    const p = await expireLocked(tx, ctx, found);
    const answer = (cancelledAt: number): Json => ({
      result: SUCCESS, paymentId: p.payment_id, paymentRequestId: p.payment_request_id, cancelTime: isoTime(cancelledAt),
    });
    const now = ctx.clock.now();
    switch (p.status) {
      case 'CANCELLED':
        return answer(p.cancelled_at ?? p.updated_at);
      case 'FAIL':
        return failure('ORDER_STATUS_INVALID', 'The payment has failed or closed; there is nothing to cancel.');
      case 'SUCCESS': {
        if (now > cancelDeadline(p.paid_at ?? p.updated_at)) return failure('CANCEL_WINDOW_EXCEED', 'Refund the payment instead.');
        const refunded = await tx.q.query("SELECT 1 FROM sim_refunds WHERE payment_id = $1 AND status <> 'FAIL' LIMIT 1", [p.payment_id]);
        if (refunded.length > 0) return failure('ORDER_STATUS_INVALID', 'The payment has refunds; refund the rest instead of cancelling.');
        break;
      }
      default:
        break;
    }
    await tx.q.query(
      `UPDATE sim_payments SET status = 'CANCELLED', result_code = 'ORDER_IS_CLOSED', result_message = 'The payment was cancelled.',
              cancelled_at = $2, updated_at = $2 WHERE payment_id = $1`,
      [p.payment_id, now],
    );
    return answer(now);
  });
}

interface RefundInput {
  refundRequestId: string;
  paymentId: string;
  currency: string;
  amount: number;
  reason: string | undefined;
  notifyUrl: string | undefined;
}

function validateRefund(body: Json): Checked<RefundInput> {
  const refundRequestId = requiredString(body.refundRequestId, 'refundRequestId', 64);
  if (typeof refundRequestId !== 'string') return illegal(refundRequestId.problem);
  const paymentId = requiredString(body.paymentId, 'paymentId', 64);
  if (typeof paymentId !== 'string') return illegal(paymentId.problem);
  const amount = readAmount(body.refundAmount, 'refundAmount');
  if ('problem' in amount) return illegal(amount.problem);
  let reason: string | undefined;
  if (body.refundReason !== undefined) {
    if (typeof body.refundReason !== 'string' || body.refundReason.length > 256) return illegal('refundReason must be text of at most 256 characters.');
    reason = body.refundReason;
  }
  const notifyUrl = optionalUrl(body.refundNotifyUrl, 'refundNotifyUrl', 1024);
  if (typeof notifyUrl === 'object') return illegal(notifyUrl.problem);
  return { ok: true, value: { refundRequestId, paymentId, currency: amount.currency, amount: amount.amount, reason, notifyUrl } };
}

async function replayRefund(ctx: SimContext, existing: RefundRow, canonical: string): Promise<Json> {
  if (existing.request !== canonical) {
    return failure('REPEAT_REQ_INCONSISTENT', `refundRequestId ${existing.refund_request_id} was used with a different request.`);
  }
  return refundAnswer(await settleIfDue(ctx, existing));
}

async function refund(ctx: SimContext, clientId: string, body: Json, fault: Fault | undefined): Promise<Json> {
  const checked = validateRefund(body);
  if (!checked.ok) return checked.answer;
  const input = checked.value;
  const canonical = canonicalJson(body);
  try {
    const made = await createRefund(ctx, clientId, input, canonical, fault);
    return 'repeat' in made ? replayRefund(ctx, made.repeat, canonical) : made.answer;
  } catch (err) {
    // The same refundRequestId raced in for another payment: the loser answers as a repeat.
    if (!isUniqueViolation(err)) throw err;
    const twin = await findRefund(ctx.db, { clientId, refundRequestId: input.refundRequestId });
    if (!twin) throw err;
    return replayRefund(ctx, twin, canonical);
  }
}

/**
 * The payment row is locked for the whole check-and-insert, so concurrent refunds of one payment
 * are decided one after another and their total can never pass the amount paid. What was refunded
 * and a refund already made under this refundRequestId are read in one statement after the lock
 * (on PostgreSQL a statement of its own sees what the lock's previous holder committed). A repeat
 * is answered after the transaction, as a stored refund is (a due asynchronous one settles then).
 */
function createRefund(
  ctx: SimContext, clientId: string, input: RefundInput, canonical: string, fault: Fault | undefined,
): Promise<{ answer: Json } | { repeat: RefundRow }> {
  return inTx(ctx, async (tx) => {
    const answer = (a: Json) => ({ answer: a });
    const found = await findPayment(tx.q, { clientId, paymentId: input.paymentId }, true);
    const [seen] = await tx.q.query<RefundRow & { refunded_total: number | string }>(
      `SELECT r.*, s.refunded_total
         FROM (SELECT COALESCE(SUM(amount), 0)::bigint AS refunded_total FROM sim_refunds WHERE payment_id = $3 AND status <> 'FAIL') s
         LEFT JOIN sim_refunds r ON r.client_id = $1 AND r.refund_request_id = $2`,
      [clientId, input.refundRequestId, input.paymentId],
    );
    if (seen?.refund_id) {
      const { refunded_total: _total, ...twin } = seen;
      return { repeat: twin as RefundRow };
    }
    if (!found) return answer(failure('ORDER_NOT_EXIST', `No payment ${input.paymentId}.`));
    const p = await expireLocked(tx, ctx, found);
    if (p.status === 'PROCESSING' || p.status === 'PENDING') return answer({ result: result('U', 'PAYMENT_IN_PROCESS', 'The payment is not final yet.') });
    if (p.status !== 'SUCCESS') return answer(failure('ORDER_STATUS_INVALID', `The payment is ${p.status}; only a successful payment can be refunded.`));
    if (input.currency !== p.currency) return answer(failure('PARAM_ILLEGAL', `refundAmount.currency must be the payment's currency ${p.currency}.`));
    const now = ctx.clock.now();
    if (now > (p.paid_at ?? p.updated_at) + REFUND_WINDOW_MS) return answer(failure('REFUND_WINDOW_EXCEED', 'Refunds are accepted for 365 days after payment.'));
    const refunded = Number(seen?.refunded_total ?? 0);
    if (refunded + input.amount > p.amount) {
      return answer(failure('REFUND_AMOUNT_EXCEED', `${formatAmount(refunded, p.currency)} of ${formatAmount(p.amount, p.currency)} is already refunded.`));
    }
    const later = fault?.kind === 'async';
    const rows = await tx.q.query<RefundRow>(
      `INSERT INTO sim_refunds (refund_id, client_id, refund_request_id, request, payment_id, currency, amount, reason, notify_url,
          status, result_code, result_message, complete_at, fail_code, created_at, refund_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING *`,
      [
        upstreamId(now, REFUND_ID_MARK), clientId, input.refundRequestId, canonical, p.payment_id,
        input.currency, input.amount, input.reason ?? null, input.notifyUrl ?? null,
        later ? 'PROCESSING' : 'SUCCESS', later ? null : 'SUCCESS', later ? null : 'success',
        later ? now + (fault.delay_ms ?? DEFAULT_ASYNC_REFUND_DELAY_MS) : null, later ? fault.code : null, now, later ? null : now,
      ],
    );
    if (later) tx.wakeWorkers = true;
    return answer(refundAnswer(rows[0]!));
  });
}

async function inquiryRefund(ctx: SimContext, clientId: string, body: Json): Promise<Json> {
  const refundId = str(body.refundId);
  const refundRequestId = str(body.refundRequestId);
  if (!refundId && !refundRequestId) return failure('PARAM_ILLEGAL', 'refundRequestId or refundId is required.');
  const found = await findRefund(ctx.db, refundId ? { clientId, refundId } : { clientId, refundRequestId: refundRequestId! });
  if (!found) return failure('ORDER_NOT_EXIST');
  const r = await settleIfDue(ctx, found);
  return {
    result: SUCCESS,
    refundStatus: r.status,
    ...refundFields(r),
    ...(r.status === 'FAIL' ? { refundResultCode: r.result_code, refundResultMessage: r.result_message } : {}),
  };
}
