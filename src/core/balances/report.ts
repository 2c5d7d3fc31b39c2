/**
 * The settlement report: one CSV line per balance transaction created in a period, with the
 * payment's merchant references (its PaymentIntent, order reference, description, metadata), so
 * the balance can be matched with the shop's orders and with Antom's settlement files. Amounts are
 * in major units of their currency (5.25, not 525); times in UTC ISO-8601. Served at
 * GET /v1/reports/settlement and by `opencashier report settlement`.
 */
import { currencyInfo } from '../money.js';
import type { SettlementReportRow } from './records.js';

export const REPORT_COLUMNS = [
  'balance_transaction', 'created', 'available_on', 'status', 'type', 'reporting_category', 'source', 'currency', 'amount', 'fee',
  'net', 'exchange_rate', 'payment_intent', 'charge', 'payment_currency', 'payment_amount', 'order_reference', 'description', 'metadata',
] as const;

/** Where a payment's order reference is kept: the Trust Payments door's orderreference, else what merchants commonly call it. */
const ORDER_REFERENCE_KEYS = ['tp_orderreference', 'order_reference', 'order_id', 'orderId', 'order'];

/** A report's bound: a UTC date (2026-11-30), or unix seconds or milliseconds; undefined when it is neither. */
export function parseReportTime(text: string): number | undefined {
  const v = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const t = Date.parse(`${v}T00:00:00Z`);
    return Number.isNaN(t) ? undefined : t;
  }
  if (!/^\d{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  // Below 10^11 it can only be seconds (api/v1/params.ts toMs says the same of created filters).
  return n < 1e11 ? n * 1000 : n;
}

function major(amount: number, currency: string): string {
  const exp = currencyInfo(currency)?.exponent ?? 2;
  if (exp === 0) return String(amount);
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount)).padStart(exp + 1, '0');
  return `${sign}${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

/** RFC 4180: quoted when it holds a comma, quote or line break; a leading =+-@ is defused for spreadsheets. */
function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) && !/^-?\d/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function settlementCsv(rows: readonly SettlementReportRow[]): string {
  const lines = [REPORT_COLUMNS.join(',')];
  for (const r of rows) {
    const orderKey = ORDER_REFERENCE_KEYS.find((k) => typeof r.payment_metadata[k] === 'string' && r.payment_metadata[k] !== '');
    const values: Record<(typeof REPORT_COLUMNS)[number], string> = {
      balance_transaction: r.id,
      created: new Date(r.created).toISOString(),
      available_on: new Date(r.available_on).toISOString(),
      status: r.status,
      type: r.type,
      reporting_category: r.reporting_category,
      source: r.source_id,
      currency: r.currency,
      amount: major(r.amount, r.currency),
      fee: major(r.fee, r.currency),
      net: major(r.net, r.currency),
      exchange_rate: r.exchange_rate ?? '',
      payment_intent: r.payment_intent_id,
      charge: r.charge_id,
      payment_currency: r.payment_currency,
      payment_amount: major(r.payment_amount, r.payment_currency),
      order_reference: orderKey ? r.payment_metadata[orderKey]! : '',
      description: r.payment_description ?? '',
      metadata: Object.keys(r.payment_metadata).length > 0 ? JSON.stringify(r.payment_metadata) : '',
    };
    lines.push(REPORT_COLUMNS.map((c) => cell(values[c])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
