/**
 * A transaction as Trust Payments' merchants read it: the flat string fields of seed 004's
 * replies, query records and URL notifications. One function, so a record, a reply and a
 * notification can never disagree about a field.
 */
import { createHash } from 'node:crypto';
import { currencyInfo } from '../money.js';
import type { TpSiteRecord, TpTransactionRecord } from './records.js';

/** `YYYY-MM-DD HH:MM:SS` in UTC, Trust Payments' timestamp form. */
export function tpTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function tpDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** "1050" EUR → "10.50"; "1050" JPY → "1050". */
export function mainAmount(amount: number, currency: string): string {
  const exp = currencyInfo(currency)?.exponent ?? 2;
  if (exp === 0) return String(amount);
  const s = String(amount).padStart(exp + 1, '0');
  return `${s.slice(0, -exp)}.${s.slice(-exp)}`;
}

export const ERROR_MESSAGES: Readonly<Record<string, string>> = {
  '0': 'Ok',
  '70000': 'Decline',
  '60034': 'Manual investigation required',
};

export function transactionFields(t: TpTransactionRecord, site: TpSiteRecord): Record<string, string> {
  const f: Record<string, string> = {
    transactionreference: t.reference,
    requesttypedescription: t.request_type,
    sitereference: t.site_reference,
    accounttypedescription: 'ECOM',
    paymenttypedescription: 'ALIPAY',
    baseamount: String(t.base_amount),
    mainamount: mainAmount(t.base_amount, t.currency),
    currencyiso3a: t.currency,
    settlestatus: String(t.settle_status),
    settleduedate: t.settle_due_date,
    transactionstartedtimestamp: tpTimestamp(t.created),
    errorcode: t.error_code,
    errormessage: ERROR_MESSAGES[t.error_code] ?? 'Decline',
    livestatus: t.livemode ? '1' : '0',
    merchantname: site.merchant_name,
    'partner id': site.partner_id,
    interface: 'PASS-JSON-JSON',
  };
  if (t.order_reference !== null) f.orderreference = t.order_reference;
  if (t.parent_reference !== null) f.parenttransactionreference = t.parent_reference;
  if (t.operator_name !== null) f.operatorname = t.operator_name;
  if (t.settled_at !== null) f.settledtimestamp = tpTimestamp(t.settled_at);
  if (t.application_type !== null) f.applicationtype = t.application_type;
  if (t.error_code === '70000') {
    f.authcode = 'DECLINED';
    f.acquirerresponsecode = '05';
  }
  if (t.investigate_at !== null) f.investigation = `60034 ${ERROR_MESSAGES['60034']} since ${tpTimestamp(t.investigate_at)}`;
  for (const [k, v] of Object.entries(t.fields)) f[k] ??= v;
  return f;
}

/**
 * Trust Payments' `responsesitesecurity` (specs/trustpayments.md §6): every field sent except
 * notificationreference and responsesitesecurity, names in ASCII order, values joined as they
 * are (decoded, whitespace kept), then the site's password; SHA-256, lower-case hex.
 */
export function responseSiteSecurity(fields: Readonly<Record<string, string>>, password: string): string {
  const names = Object.keys(fields).filter((k) => k !== 'notificationreference' && k !== 'responsesitesecurity').sort();
  return createHash('sha256').update(names.map((k) => fields[k]).join('') + password, 'utf8').digest('hex');
}
