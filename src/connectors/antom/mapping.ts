/** Antom wire ↔ core outcomes. Nothing here decides a payment's state; it only translates. */
import type { CancelOutcome, PaymentOutcome, RefundOutcome, UnknownOutcome } from '../../core/connector.js';
import { fromAntomAmount } from '../../core/money.js';
import { isDecimal } from '../../core/balances/amounts.js';
import type { SettlementQuote } from '../../core/connector.js';
import { DISPUTE_NOTIFICATION_TYPES, type AcceptDisputeOutcome, type DefenseOutcome, type DisputeJudgedResult, type DisputeNotification, type DisputeNotificationType } from '../../core/connector.js';

export interface AntomResult {
  resultCode?: string;
  resultStatus?: 'S' | 'F' | 'U' | string;
  resultMessage?: string;
}

export interface AntomResponse {
  result?: AntomResult;
  [field: string]: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function unknown(r: AntomResponse): UnknownOutcome {
  return { status: 'unknown', reason: `${r.result?.resultStatus ?? '?'} ${r.result?.resultCode ?? 'no result'}: ${r.result?.resultMessage ?? ''}`.trim() };
}

function failed(code: string | undefined, message: string | undefined, paymentId?: string): PaymentOutcome {
  return { status: 'failed', code: code ?? 'PROCESS_FAIL', message: message ?? 'The payment failed.', paymentId };
}

/**
 * `REPEAT_REQ_INCONSISTENT` (F) says Antom already holds a request under this id, with another
 * body (a resend built after PUBLIC_URL changed, say). It is no verdict on that request: the
 * payment or refund under the id may still be paid or done, so it is no answer at all, and the
 * poller's inquiry learns the truth. Taken as a failure, a payment the shopper then completes
 * would find its attempt already failed, and the money no PaymentIntent.
 */
const INCONSISTENT = 'REPEAT_REQ_INCONSISTENT';

export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  if (typeof v === 'number' || /^\d{10,16}$/.test(v)) return Number(v);
  const t = Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(t) ? undefined : t;
}

/** grossSettlementAmount + settlementQuote (antom.md §9c), when Antom sent them and they make sense. */
export function mapSettlement(r: AntomResponse): { settlement: SettlementQuote } | Record<string, never> {
  const gross = fromAntomAmount(r.grossSettlementAmount as never);
  if (!gross) return {};
  const q = r.settlementQuote as Record<string, unknown> | undefined;
  const price = q && (typeof q.quotePrice === 'string' || typeof q.quotePrice === 'number') ? String(q.quotePrice) : undefined;
  const settlement: SettlementQuote = { amount: gross.amount, currency: gross.currency };
  if (price !== undefined && isDecimal(price) && Number(price) > 0) {
    settlement.rate = price;
    if (str(q!.quoteId)) settlement.quoteId = str(q!.quoteId);
    if (str(q!.quoteCurrencyPair)) settlement.currencyPair = str(q!.quoteCurrencyPair);
    const start = parseTime(q!.quoteStartTime);
    const end = parseTime(q!.quoteExpiryTime);
    if (start !== undefined) settlement.startsAt = start;
    if (end !== undefined) settlement.expiresAt = end;
  }
  return { settlement };
}

export function mapPay(r: AntomResponse): PaymentOutcome | UnknownOutcome {
  const status = r.result?.resultStatus;
  const code = r.result?.resultCode;
  const paymentId = str(r.paymentId);
  if (status === 'U' && code === 'PAYMENT_IN_PROCESS') {
    const codes = (r.orderCodeForm as { codeDetails?: { codeValueType?: string; codeValue?: string }[] } | undefined)?.codeDetails ?? [];
    const qrCode = str(codes.find((c) => c.codeValueType === 'QRCODE')?.codeValue);
    const redirect = { normalUrl: str(r.normalUrl), schemeUrl: str(r.schemeUrl), applinkUrl: str(r.applinkUrl), ...(qrCode ? { qrCode } : {}) };
    if (!redirect.normalUrl && !redirect.schemeUrl && !redirect.applinkUrl) return { status: 'unknown', reason: 'PAYMENT_IN_PROCESS without any URL' };
    return { status: 'action_required', paymentId, redirect, ...mapSettlement(r) };
  }
  if (status === 'S') return { status: 'succeeded', paymentId, paidAt: parseTime(r.paymentTime), ...mapSettlement(r) };
  if (status === 'F' && code === INCONSISTENT) return unknown(r);
  if (status === 'F') return failed(code, r.result?.resultMessage, paymentId);
  return unknown(r);
}

export function mapInquiryPayment(r: AntomResponse): PaymentOutcome | UnknownOutcome {
  if (r.result?.resultStatus !== 'S') return unknown(r);
  const paymentId = str(r.paymentId);
  switch (r.paymentStatus) {
    case 'SUCCESS': {
      const amount = fromAntomAmount(r.paymentAmount as never);
      const psp = r.pspCustomerInfo as { pspCustomerId?: string } | undefined;
      return {
        status: 'succeeded', paymentId, paidAt: parseTime(r.paymentTime), wallet: str(r.paymentMethodType),
        buyerId: str(psp?.pspCustomerId), amount: amount?.amount, currency: amount?.currency, ...mapSettlement(r),
      };
    }
    case 'FAIL':
      return failed(str(r.paymentResultCode), str(r.paymentResultMessage), paymentId);
    case 'CANCELLED':
      return { status: 'canceled', paymentId };
    case 'PENDING':
      return { status: 'processing', paymentId };
    case 'PROCESSING':
      return { status: 'action_required', paymentId, redirect: {} };
    default:
      return { status: 'unknown', reason: `paymentStatus ${String(r.paymentStatus)}` };
  }
}

export function mapCancel(r: AntomResponse): CancelOutcome | UnknownOutcome {
  const status = r.result?.resultStatus;
  const code = r.result?.resultCode ?? 'PROCESS_FAIL';
  if (status === 'S') return { status: 'canceled' };
  // Nothing reached Antom under this id, so there is nothing to cancel.
  if (status === 'F' && code === 'ORDER_NOT_EXIST') return { status: 'canceled' };
  if (status === 'F') return { status: 'refused', code, message: r.result?.resultMessage ?? code };
  return unknown(r);
}

export function mapRefund(r: AntomResponse): RefundOutcome | UnknownOutcome {
  const status = r.result?.resultStatus;
  if (status === 'S') return { status: 'succeeded', refundId: str(r.refundId), refundedAt: parseTime(r.refundTime) };
  if (status === 'F' && r.result?.resultCode === INCONSISTENT) return unknown(r);
  if (status === 'F') return { status: 'failed', code: r.result?.resultCode ?? 'PROCESS_FAIL', message: r.result?.resultMessage ?? 'Refund failed.' };
  if (status === 'U' && r.result?.resultCode === 'REFUND_IN_PROCESS') return { status: 'pending', refundId: str(r.refundId) };
  return unknown(r);
}

export function mapInquiryRefund(r: AntomResponse): RefundOutcome | UnknownOutcome {
  if (r.result?.resultStatus !== 'S') return unknown(r);
  switch (r.refundStatus) {
    case 'SUCCESS':
      return { status: 'succeeded', refundId: str(r.refundId), refundedAt: parseTime(r.refundTime) };
    case 'FAIL':
      return { status: 'failed', code: str((r as { refundResultCode?: string }).refundResultCode) ?? 'REFUND_FAILED', message: 'The refund failed upstream.' };
    case 'PROCESSING':
      return { status: 'pending', refundId: str(r.refundId) };
    default:
      return { status: 'unknown', reason: `refundStatus ${String(r.refundStatus)}` };
  }
}

/** notifyPayment body → outcome; undefined when the body is not a payment notification we understand. */
export function mapPaymentNotification(body: AntomResponse): { paymentRequestId: string; outcome: PaymentOutcome; amount: { currency: string; amount: number } } | undefined {
  const paymentRequestId = str(body.paymentRequestId);
  const amount = fromAntomAmount(body.paymentAmount as never);
  if (!paymentRequestId || !amount) return undefined;
  const paymentId = str(body.paymentId);
  const status = body.result?.resultStatus;
  if (body.notifyType === 'PAYMENT_PENDING') {
    return status === 'S' ? { paymentRequestId, amount, outcome: { status: 'processing', paymentId } } : undefined;
  }
  if (body.notifyType !== 'PAYMENT_RESULT') return undefined;
  if (status === 'S') {
    const psp = body.pspCustomerInfo as { pspCustomerId?: string } | undefined;
    return {
      paymentRequestId, amount,
      outcome: {
        status: 'succeeded', paymentId, paidAt: parseTime(body.paymentTime), wallet: str(body.paymentMethodType),
        buyerId: str(psp?.pspCustomerId), amount: amount.amount, currency: amount.currency, ...mapSettlement(body),
      },
    };
  }
  if (status === 'F') return { paymentRequestId, amount, outcome: failed(body.result?.resultCode, body.result?.resultMessage, paymentId) };
  return undefined;
}

/** notifyRefund body → outcome; undefined when it is not a refund notification we understand. */
export function mapRefundNotification(body: AntomResponse): { refundRequestId: string; outcome: RefundOutcome; amount: { currency: string; amount: number } } | undefined {
  if (body.notifyType !== 'REFUND_RESULT') return undefined;
  const refundRequestId = str(body.refundRequestId);
  const amount = fromAntomAmount(body.refundAmount as never);
  if (!refundRequestId || !amount) return undefined;
  if (body.refundStatus === 'SUCCESS') return { refundRequestId, amount, outcome: { status: 'succeeded', refundId: str(body.refundId), refundedAt: parseTime(body.refundTime) } };
  if (body.refundStatus === 'FAIL') {
    const code = body.result?.resultStatus === 'F' ? body.result.resultCode : undefined;
    return { refundRequestId, amount, outcome: { status: 'failed', code: code ?? 'REFUND_FAILED', message: body.result?.resultMessage ?? 'The refund failed.' } };
  }
  return undefined;
}

/** acceptDispute (antom.md §9b): a repeat of an accepted request answers REPEAT_REQUEST, which is the same outcome. */
export function mapAcceptDispute(r: AntomResponse): AcceptDisputeOutcome | UnknownOutcome {
  const status = r.result?.resultStatus;
  const code = r.result?.resultCode ?? 'PROCESS_FAIL';
  if (status === 'S' || (status === 'F' && code === 'REPEAT_REQUEST')) return { status: 'accepted', resolvedAt: parseTime(r.disputeResolutionTime) };
  if (status === 'F') return { status: 'refused', code, message: r.result?.resultMessage ?? code };
  return unknown(r);
}

/** supplyDefenseDocument (antom.md §9b). */
export function mapSupplyDefense(r: AntomResponse): DefenseOutcome | UnknownOutcome {
  const status = r.result?.resultStatus;
  const code = r.result?.resultCode ?? 'PROCESS_FAIL';
  if (status === 'S') return { status: 'supplied' };
  if (status === 'F') return { status: 'refused', code, message: r.result?.resultMessage ?? code };
  return unknown(r);
}

const JUDGED_RESULTS: readonly DisputeJudgedResult[] = ['ACCEPT_BY_CUSTOMER', 'ACCEPT_BY_MERCHANT', 'VALIDATE_SUCCESS', 'VALIDATE_FAIL'];

/** notifyDispute (antom.md §9b): told apart by its disputeNotificationType; a judgement must say its result. */
export function mapDisputeNotification(body: AntomResponse): Omit<DisputeNotification, 'kind'> | undefined {
  const type = body.disputeNotificationType;
  if (typeof type !== 'string' || !(DISPUTE_NOTIFICATION_TYPES as readonly string[]).includes(type)) return undefined;
  const paymentRequestId = str(body.paymentRequestId);
  const disputeId = str(body.disputeId);
  const amount = fromAntomAmount(body.disputeAmount as never);
  if (!paymentRequestId || !disputeId || disputeId.length > 64 || !amount) return undefined;
  const judged = body.disputeJudgedResult;
  const judgedResult = typeof judged === 'string' && (JUDGED_RESULTS as readonly string[]).includes(judged) ? judged as DisputeJudgedResult : undefined;
  if (type === 'DISPUTE_JUDGED' && !judgedResult) return undefined;
  const reason = str(body.disputeReasonMsg);
  return {
    paymentRequestId,
    disputeId,
    type: type as DisputeNotificationType,
    amount,
    ...(str(body.paymentId) ? { paymentId: str(body.paymentId) } : {}),
    ...(reason ? { reasonMessage: reason.slice(0, 256) } : {}),
    ...(parseTime(body.disputeTime) !== undefined ? { disputedAt: parseTime(body.disputeTime) } : {}),
    ...(parseTime(body.defenseDueTime) !== undefined ? { defenseDueAt: parseTime(body.defenseDueTime) } : {}),
    ...(judgedResult ? { judgedResult } : {}),
    ...(parseTime(body.disputeJudgedTime) !== undefined ? { judgedAt: parseTime(body.disputeJudgedTime) } : {}),
    ...(typeof body.disputeType === 'string' && /RETRIEVAL/i.test(body.disputeType) ? { retrieval: true } : {}),
  };
}
