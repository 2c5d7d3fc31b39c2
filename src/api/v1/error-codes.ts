/**
 * Every error code the v1 API answers with, what it means and what to do: one table, served as the
 * page `/docs/errors` that each error's `doc_url` points into (`…/docs/errors#<code>`), as Stripe's
 * errors point into Stripe's reference. Codes Stripe defines too link to Stripe's page as well.
 */

export interface ErrorCodeDoc {
  /** What happened, in a sentence. */
  what: string;
  /** What to do about it. */
  fix: string;
  /** Stripe uses the same code with the same meaning. */
  stripe?: boolean;
}

export const ERROR_CODES: Readonly<Record<string, ErrorCodeDoc>> = {
  parameter_invalid: { what: 'A parameter has a value the API cannot use; `param` names it and the message says why.', fix: 'Correct the named parameter.', stripe: true },
  parameter_missing: { what: 'A required parameter is missing; `param` names it.', fix: 'Send the named parameter.', stripe: true },
  parameter_unknown: { what: 'The request has a parameter this endpoint does not take (often a typo, or a Stripe parameter OpenCashier does not serve).', fix: 'Remove or rename the named parameter.', stripe: true },
  parameter_invalid_integer: { what: 'A parameter that must be an integer (amounts are integers in the minor unit) is not one.', fix: 'Send a whole number: 1000 for 10.00 in a currency with cents.', stripe: true },
  parameter_invalid_empty: { what: 'A parameter was sent empty where a value is needed.', fix: 'Send a value, or leave the parameter out.', stripe: true },
  parameters_exclusive: { what: 'Two parameters that exclude each other were both sent.', fix: 'Send only one of them.', stripe: true },
  amount_too_small: { what: 'The amount is below the minimum of the currency or of the wallet that would pay it.', fix: 'Raise the amount; the message names the minimum.', stripe: true },
  amount_too_large: { what: 'The amount is above what may be charged or refunded (a refund larger than what remains on the charge).', fix: 'Lower the amount; the message names the limit.', stripe: true },
  invalid_amount: { what: 'The amount breaks a rule of its currency, such as IDR in whole rupiah (Antom’s rule).', fix: 'Round the amount as the message says: IDR 150.00 is 15000, not 15050.' },
  amount_invalid: { what: 'The amount is not a positive integer in the currency’s minor unit.', fix: 'Send a positive whole number.' },
  currency_not_supported: { what: 'No payment method offered presents this currency (Alipay: CNY, GBP, USD, EUR, HKD, AUD, CAD, CHF, DKK, JPY, KRW, NOK, NZD, SEK, SGD, THB; Alipay+: CNY, HKD, GBP, IDR, MYR, PHP, THB).', fix: 'Use a currency the chosen methods present, or choose other payment_method_types.' },
  payment_method_not_available: { what: 'The payment method named is not among the PaymentIntent’s payment_method_types.', fix: 'Add it to payment_method_types, or pay with one that is listed.' },
  payment_intent_unexpected_state: { what: 'The PaymentIntent’s status does not allow this action (for example cancelling one that succeeded).', fix: 'Retrieve the PaymentIntent and act on its current status.', stripe: true },
  payment_intent_payment_attempt_expired: { what: 'The shopper did not finish paying in time, and the wallet closed the attempt.', fix: 'Confirm the PaymentIntent again to give the shopper a new attempt.' },
  payment_method_provider_decline: { what: 'The wallet declined the payment; `decline_code` gives Antom’s reason (for example user_balance_not_enough).', fix: 'Let the shopper try again, with another wallet if the reason is theirs.', stripe: true },
  business_category_prohibited: { what: 'The account’s business (its merchant category code or category) is on Alipay’s prohibited-business list, so no Alipay or Alipay+ payment may be started; nothing was stored or sent to Alipay. The message names the listed category.', fix: 'If the business profile is wrong, correct it with `opencashier business set --mcc <code>` (or `--category <name>`), or on the dashboard’s Developers page; otherwise this business cannot take Alipay or Alipay+ payments.' },
  charge_not_refundable: { what: 'There is no successful payment to refund.', fix: 'Refund a PaymentIntent that has succeeded.' },
  charge_disputed: { what: 'The charge has an open dispute (a chargeback): Alipay holds the disputed funds until the dispute is judged, so the charge cannot be refunded meanwhile.', fix: 'Wait for the dispute to close (the charge.dispute.closed event), or accept it; `GET /v1/disputes?charge=…` shows it.', stripe: true },
  charge_already_refunded: { what: 'The charge has been refunded in full already.', fix: 'Nothing is left to refund.', stripe: true },
  dispute_already_closed: { what: 'The dispute is closed already (won or lost), or Alipay no longer holds it open, so it cannot be accepted.', fix: 'Retrieve the dispute: its status says how it ended.' },
  dispute_is_inquiry: { what: 'The dispute is an inquiry (Antom’s retrieval request, status `warning_*`): nothing was withdrawn, and Alipay takes no acceptance of it, only the documents it asks for.', fix: 'Submit the evidence (`POST /v1/disputes/:id` with `submit=true`), or refund the charge, which an inquiry allows.' },
  dispute_past_due: { what: 'The dispute’s defence window (`evidence_details.due_by`) is over: Alipay takes no answer to it any more and judges it itself (Antom’s TIME_EXCEEDS_LIMIT).', fix: 'Wait for the charge.dispute.closed event.' },
  resource_missing: { what: 'No object has this id in this account and mode (test keys see test objects, live keys live ones).', fix: 'Check the id, and that the key’s mode matches the object’s.', stripe: true },
  resource_not_supported: { what: 'This is a Stripe API resource that OpenCashier does not serve (it serves what Alipay and Alipay+ payments need).', fix: 'See the list of endpoints in the README; keep that part of your integration on another provider.' },
  url_invalid: { what: 'A URL is not one the gateway may use: not http(s), or a webhook address that points inside a private network.', fix: 'Use a public https URL (test mode on a loopback host may use http://localhost).' },
  expand_invalid: { what: 'An `expand[]` path is not expandable on this object, or the key may not expand.', fix: 'Expand only the paths the README lists; publishable keys cannot expand.' },
  api_key_invalid: { what: 'The API key is not one of this gateway’s keys.', fix: 'Use the keys the gateway printed at first start, or roll new ones with `opencashier keys roll`.', stripe: true },
  secret_key_required: { what: 'A publishable key was used where a secret key is needed.', fix: 'Call this endpoint from your server with the secret key.', stripe: true },
  rate_limit: { what: 'Too many requests per second for this key (RATE_LIMIT_PER_SECOND).', fix: 'Retry after a short pause (Retry-After says how long).', stripe: true },
  idempotency_key_in_use: { what: 'The Idempotency-Key is in use: by a request still running (409), or by an earlier request with other parameters (400).', fix: 'Retry the same request shortly, or use a new key for a different request.', stripe: true },
  upstream_unavailable: { what: 'Alipay (Antom) did not answer in time. Nothing was charged twice: the request can be retried with the same Idempotency-Key.', fix: 'Retry; the operation resumes where it stopped.' },
  api_error: { what: 'Something went wrong inside the gateway; it has been logged with the request id.', fix: 'Retrying is safe. If it persists, report the Request-Id.', stripe: true },
};

/** Where an error's `doc_url` points: this gateway's own reference page. */
export function docUrl(baseUrl: string, code: string): string {
  return `${baseUrl}/docs/errors#${encodeURIComponent(code)}`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const inline = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

/** The reference page: every code, an anchor each. */
export function errorCodesPage(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, d]) => `<section id="${esc(code)}">
<h2><a href="#${esc(code)}">${esc(code)}</a></h2>
<p>${inline(d.what)}</p>
<p><strong>What to do:</strong> ${inline(d.fix)}</p>${d.stripe ? `\n<p class="muted">Stripe uses this code too: <a href="https://docs.stripe.com/error-codes/${esc(code.replace(/_/g, '-'))}">Stripe’s reference</a>.</p>` : ''}
</section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenCashier – API error codes</title>
<style>
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1a2e}
h1{font-size:1.6rem}h2{font-size:1.1rem;margin:0 0 .3rem;font-family:ui-monospace,Menlo,monospace}
h2 a{color:inherit;text-decoration:none}section{border-top:1px solid #e3e3ea;padding:1rem 0}
section:target{background:#fff8e1;outline:4px solid #fff8e1}code{font-family:ui-monospace,Menlo,monospace;font-size:.9em;background:#f3f3f7;padding:0 .2em;border-radius:3px}
.muted{color:#5b5b70;font-size:.9rem}
</style></head>
<body><main>
<h1>API error codes</h1>
<p>Every error of the <code>/v1</code> API has the shape <code>{"error": {"type", "code", "param", "message", "doc_url"}}</code>; <code>doc_url</code> points here, at its code.</p>
${rows}
</main></body></html>`;
}
