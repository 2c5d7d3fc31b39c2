/** Core's refusals as a person at the dashboard reads them: what happened and what to do. */
import type { CoreError } from '../../core/errors.js';

export function plainError(e: CoreError): string {
  switch (e.kind) {
    case 'invalid_request':
    case 'unexpected_state':
    case 'payment_failed':
    case 'settlement_refused':
    case 'business_prohibited':
    case 'charge_disputed':
      return e.message;
    case 'not_found':
      return `There is no ${e.resource.replaceAll('_', ' ')} ${e.id} in this mode.`;
    case 'upstream_unavailable':
      return `${e.message} Nothing was sent; try again in a moment.`;
  }
}

/** Where a payment came in, as the support desk calls it. */
export const SOURCE_LABEL: Record<string, string> = { api: 'API', checkout: 'Hosted checkout', trust_payments: 'Trust Payments' };

export const METHOD_LABEL: Record<string, string> = { alipay: 'Alipay', alipayplus: 'Alipay+' };

/** A refused webhook endpoint or resend, in the words of the form a person filled in. */
export function webhookError(e: CoreError): string {
  if (e.kind === 'invalid_request' && e.code === 'url_invalid') return `This URL cannot receive webhooks: ${e.message.replace(/^Invalid url: /, '').replace(/\.$/, '')}.`;
  if (e.kind === 'invalid_request' && e.param === 'url') return 'Type the URL that should receive the webhooks, starting with https://.';
  if (e.kind === 'invalid_request' && e.code === 'parameter_invalid_empty' && e.param === 'enabled_events') return 'Choose at least one event, or "All events".';
  if (e.kind === 'invalid_request' && e.param?.startsWith('enabled_events')) return 'One of the chosen events is not one this gateway sends. Reload the page and choose again.';
  return plainError(e);
}
