/**
 * Expected failures, as values. Each front door renders them in its own dialect through one
 * mapper (api/v1/errors.ts for Stripe's shape). Codes are stable: merchants branch on them.
 */

export type InvalidRequestCode =
  | 'parameter_missing'
  | 'parameter_invalid_empty'
  | 'parameter_invalid_integer'
  | 'parameter_invalid_string_empty'
  | 'parameter_unknown'
  | 'parameter_invalid'
  | 'amount_too_small'
  | 'amount_too_large'
  | 'invalid_amount'
  | 'currency_not_supported'
  | 'payment_method_not_available'
  | 'payment_method_unactivated'
  | 'parameters_exclusive'
  | 'url_invalid'
  | 'expand_invalid'
  | 'secret_key_required'
  | 'client_secret_invalid'
  | 'charge_not_refundable'
  | 'charge_already_refunded'
  | 'dispute_already_closed'
  | 'dispute_past_due'
  /** A parameter names an object that is not there (Stripe answers 400 for an id inside a parameter). */
  | 'resource_missing'
  | 'dispute_is_inquiry';

export type CoreError =
  | { kind: 'invalid_request'; code: InvalidRequestCode; param?: string; message: string }
  | { kind: 'not_found'; resource: string; id: string; param?: string }
  | { kind: 'unexpected_state'; code: 'payment_intent_unexpected_state'; message: string; param?: string; paymentIntentId?: string }
  /** The payment network declined this attempt; the PaymentIntent carries last_payment_error. */
  | { kind: 'payment_failed'; code: string; declineCode: string; message: string; paymentIntentId: string }
  /** Upstream gave no usable answer; the same request is safe to repeat. */
  | { kind: 'upstream_unavailable'; message: string }
  /** The charge has an open dispute (chargeback): Antom holds its funds until it is judged, so it cannot be refunded. */
  | { kind: 'charge_disputed'; disputeId: string; message: string; param?: string }
  /** A Trust Payments settlement rule refused the request (core/settlement/): nothing changed. */
  | { kind: 'settlement_refused'; reason: SettlementRefusal; message: string; param?: string }
  /**
   * The account's business is on Alipay's prohibited list (core/catalog/prohibited-businesses.ts):
   * no Alipay or Alipay+ payment is started, and nothing was stored.
   */
  | { kind: 'business_prohibited'; code: 'business_category_prohibited'; message: string };

export type SettlementRefusal =
  | 'parent_missing'
  | 'parent_not_auth'
  | 'parent_declined'
  | 'parent_cancelled'
  | 'parent_not_settled'
  | 'refund_too_large'
  | 'transaction_not_found'
  | 'not_updatable'
  | 'no_updates'
  | 'invalid_updates'
  | 'no_filter';

export type Result<T> = { ok: true; value: T } | { ok: false; error: CoreError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: CoreError): Result<T> => ({ ok: false, error });

export const invalid = (code: InvalidRequestCode, message: string, param?: string): CoreError => ({ kind: 'invalid_request', code, message, param });
export const notFound = (resource: string, id: string, param?: string): CoreError => ({ kind: 'not_found', resource, id, param });

/** A list page, or the 404 Stripe gives when `starting_after` / `ending_before` names nothing. */
export function pageOr<T>(page: T | undefined, q: { starting_after?: string; ending_before?: string }): Result<T> {
  if (page) return ok(page);
  const param = q.starting_after !== undefined ? 'starting_after' : 'ending_before';
  return fail({ kind: 'not_found', resource: 'object', id: String(q.starting_after ?? q.ending_before), param });
}
