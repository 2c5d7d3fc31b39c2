/**
 * Trust Payments error codes and their messages (specs/trustpayments.md §4, the official SDKs'
 * table), and the one mapper from core's errors to them. The SDKs replace the message of a code
 * they know with their own text, so the codes are what must be exact.
 */
import type { CoreError } from '../../core/errors.js';

export const TP_MESSAGES: Readonly<Record<string, string>> = {
  '0': 'Ok',
  '10205': 'Malformed JSON',
  '20004': 'Missing parent',
  '20005': 'Refund requires settled parent or parent thats due to settle today',
  '20006': 'Refund requires authorisation parent',
  '20007': 'Refund amount too great',
  '20011': 'Cannot refund a decline transaction',
  '20012': 'Refund requires a settled parent',
  '30000': 'Invalid field',
  '30001': 'Unknown site',
  '30006': 'Invalid sitereference for alias',
  '30007': 'Invalid version number',
  '30010': 'Json element parse error',
  '40001': 'Refund cannot be processed',
  '60010': 'Bank System Error',
  '60013': 'No valid updates specified',
  '60014': 'Transaction reference not found',
  '60017': 'Transaction not updatable',
  '60018': 'Invalid requesttype',
  '60019': 'No searchable filter specified',
  '60033': 'Invalid updates specified',
  '60034': 'Manual investigation required',
  '60037': 'Invalid filters',
  '60040': 'Can not specify both requesttypedescription and requesttypedescriptions',
  '70000': 'Decline',
  '99999': 'Unknown error',
};

/** A refused request item: its code, the fields at fault, and (for people) why. */
export interface TpError {
  code: string;
  data: string[];
  /** Our explanation; the SDKs show their own text for known codes, so this goes in errordata too when it helps. */
  detail?: string;
}

export const tpError = (code: string, data: string[] = [], detail?: string): TpError => ({ code, data, detail });

/** Core's parameter names → the fields a Trust Payments merchant sent. */
const FIELD_OF_PARAM: Readonly<Record<string, string>> = {
  amount: 'baseamount',
  currency: 'currencyiso3a',
  return_url: 'returnurl',
  payment_method_types: 'paymenttypedescription',
};

export function fromCoreError(e: CoreError): TpError {
  switch (e.kind) {
    case 'invalid_request':
      return tpError('30000', [FIELD_OF_PARAM[e.param ?? ''] ?? e.param ?? 'request'], e.message);
    case 'not_found':
      return tpError('60014', [e.param ?? 'transactionreference'], `No ${e.resource} ${e.id}.`);
    case 'unexpected_state':
      return tpError('60017', [], e.message);
    case 'payment_failed':
      return tpError('70000', [], e.message);
    case 'upstream_unavailable':
      return tpError('60010', [], e.message);
    case 'business_prohibited':
      // How Trust Payments refuses a payment type the site may not take: the field at fault.
      return tpError('30000', ['paymenttypedescription'], e.message);
    case 'charge_disputed':
      // "Refund cannot be processed": the AUTH has an open chargeback.
      return tpError('40001', [], e.message);
    case 'settlement_refused': {
      const code = {
        parent_missing: '20004',
        parent_not_auth: '20006',
        parent_declined: '20011',
        parent_cancelled: '20012',
        parent_not_settled: '20005',
        refund_too_large: '20007',
        transaction_not_found: '60014',
        not_updatable: '60017',
        no_updates: '60013',
        invalid_updates: '60033',
        no_filter: '60019',
      }[e.reason];
      return tpError(code, e.param ? [e.param] : [], e.message);
    }
  }
}
