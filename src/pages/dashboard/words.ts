/** Core's refusals as a person at the dashboard reads them: what happened and what to do. */
import type { CoreError } from '../../core/errors.js';

export function plainError(e: CoreError): string {
  switch (e.kind) {
    case 'invalid_request':
    case 'unexpected_state':
    case 'payment_failed':
    case 'settlement_refused':
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
