/** Antom's wire conventions: result objects, times, amounts, canonical request comparison. */

export type Json = Record<string, unknown>;
export type ResultStatus = 'S' | 'F' | 'U';

export interface AntomResultObject {
  resultCode: string;
  resultStatus: ResultStatus;
  resultMessage: string;
}

/** Messages in Antom's style; the wording is ours (the official per-code tables are unconfirmed). */
const MESSAGES: Readonly<Record<string, string>> = {
  SUCCESS: 'success',
  PAYMENT_IN_PROCESS: 'payment in process',
  REFUND_IN_PROCESS: 'refund in process',
  UNKNOWN_EXCEPTION: 'An API calling is failed, which is caused by unknown reasons.',
  PROCESS_FAIL: 'A general business failure occurred. Do not retry.',
  PARAM_ILLEGAL: 'Illegal parameters exist.',
  INVALID_CLIENT: 'The client is invalid.',
  INVALID_SIGNATURE: 'The signature is not validated.',
  NO_INTERFACE_DEF: 'API is not defined.',
  CURRENCY_NOT_SUPPORT: 'The currency is not supported.',
  PAYMENT_METHOD_NOT_SUPPORTED: 'The payment method is not supported.',
  REPEAT_REQ_INCONSISTENT: 'Repeated requests are inconsistent.',
  ORDER_NOT_EXIST: 'The order does not exist.',
  ORDER_IS_CLOSED: 'The order is closed.',
  ORDER_STATUS_INVALID: 'The order status is invalid.',
  CANCEL_WINDOW_EXCEED: 'The cancellation period has passed.',
  REFUND_AMOUNT_EXCEED: 'The total refund amount exceeds the payment amount.',
  REFUND_WINDOW_EXCEED: 'The refund period has passed.',
  USER_BALANCE_NOT_ENOUGH: 'The user balance is not enough for this payment.',
  RISK_REJECT: 'The transaction was rejected for risk control reasons.',
  USER_AMOUNT_EXCEED_LIMIT: 'The payment amount exceeds the user payment limit.',
  PAYMENT_AMOUNT_EXCEED_LIMIT: 'The payment amount exceeds the limit.',
  USER_NOT_EXIST: 'The user does not exist.',
  USER_STATUS_ABNORMAL: 'The user status is abnormal.',
  REFUND_FAILED: 'The refund failed.',
  FRAUD_REJECT: 'The transaction was rejected for fraud risk.',
  USER_KYC_NOT_QUALIFIED: 'The user has not completed identity verification.',
  PAYMENT_COUNT_EXCEED_LIMIT: 'The number of payments exceeds the limit.',
  UNAVAILABLE_PAYMENT_METHOD: 'The payment method is not available.',
  REGULATION_RESTRICTION: 'The payment is restricted by regulation.',
};

/** The result codes a wallet may end a payment with (antom.md §8): what `POST /simulator/v1/complete` accepts. */
export const PAYMENT_FAILURE_CODES = [
  'PROCESS_FAIL', 'USER_BALANCE_NOT_ENOUGH', 'RISK_REJECT', 'FRAUD_REJECT', 'USER_NOT_EXIST', 'USER_STATUS_ABNORMAL',
  'USER_KYC_NOT_QUALIFIED', 'USER_AMOUNT_EXCEED_LIMIT', 'PAYMENT_AMOUNT_EXCEED_LIMIT', 'PAYMENT_COUNT_EXCEED_LIMIT',
  'UNAVAILABLE_PAYMENT_METHOD', 'REGULATION_RESTRICTION',
] as const;

export function messageFor(code: string): string {
  return MESSAGES[code] ?? code.toLowerCase().replace(/_/g, ' ');
}

export function result(resultStatus: ResultStatus, resultCode: string, resultMessage = messageFor(resultCode)): AntomResultObject {
  return { resultCode, resultStatus, resultMessage };
}

export const SUCCESS = result('S', 'SUCCESS');

/** A complete F answer; `detail` is appended so a developer sees which field was wrong. */
export function failure(code: string, detail?: string): Json {
  return { result: result('F', code, detail ? `${messageFor(code)} ${detail}` : messageFor(code)) };
}

const GMT8_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** ISO-8601 in GMT+8 with its offset, as Antom writes times: `2025-01-01T12:00:01+08:00`. */
export function isoTime(ms: number): string {
  return new Date(ms + GMT8_MS).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

/** `yyyyMMdd` of the GMT+8 calendar day: the prefix of Antom's ids. */
export function gmt8Date(ms: number): string {
  return new Date(ms + GMT8_MS).toISOString().slice(0, 10).replace(/-/g, '');
}

/** Cancelling stays possible until 00:15 GMT+8 on the day after payment (docs/antom-protocol.md §4). */
export function cancelDeadline(paidAt: number): number {
  const dayStart = Math.floor((paidAt + GMT8_MS) / DAY_MS) * DAY_MS - GMT8_MS;
  return dayStart + DAY_MS + 15 * 60_000;
}

export const REFUND_WINDOW_MS = 365 * DAY_MS;

/** Request-Time is epoch ms (Java, Go) or ISO-8601 with `+00:00` or `+0000` (Python, PHP). */
export function parseRequestTime(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = v.trim();
  if (/^\d{10,16}$/.test(s)) return Number(s);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return undefined;
  const t = Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(t) ? undefined : t;
}

/** JSON with object keys sorted at every depth, so two requests compare by meaning, not by byte order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Json = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Json)[k]);
    return out;
  }
  return v;
}

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export interface WireAmount {
  currency: string;
  value: string;
}

export function wireAmount(currency: string, amount: number): WireAmount {
  return { currency, value: String(amount) };
}

/** Checks an Antom Amount; returns the problem as text naming `field`, or the parsed amount. */
export function readAmount(v: unknown, field: string): { currency: string; amount: number } | { problem: string } {
  if (!isObject(v)) return { problem: `${field} is required.` };
  const { currency, value } = v;
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return { problem: `${field}.currency must be a three-letter ISO 4217 code.` };
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return { problem: `${field}.value must be a string of digits (minor units).` };
  const amount = Number(value);
  if (!Number.isSafeInteger(amount) || amount <= 0) return { problem: `${field}.value must be a positive integer.` };
  return { currency, amount };
}

/** Only web URLs may be handed to a browser later: a `javascript:` return URL would be a script injection. */
export function isWebUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
