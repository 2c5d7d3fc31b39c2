/**
 * The v1 dialect of errors: Stripe's `{error:{type,code,param,message}}` with Stripe's HTTP
 * statuses. Every core error and every front-door refusal is rendered here and nowhere else.
 */
import { z } from 'zod';
import type { CoreError } from '../../core/errors.js';
import { RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE } from '../failure.js';

/** The one shape of every /v1 error: typed here and documented in /openapi.json from the same schema. */
export const stripeErrorBody = z.object({
  error: z.object({
    type: z.enum(['invalid_request_error', 'api_error', 'card_error', 'idempotency_error']),
    code: z.string().optional(),
    decline_code: z.string().optional(),
    param: z.string().optional(),
    message: z.string(),
    /** The PaymentIntent a declined or refused payment left behind, as Stripe adds it. */
    payment_intent: z.unknown().optional(),
    request_log_url: z.string().optional(),
    /** This gateway's reference for the code (error-codes.ts), added when the error is sent. */
    doc_url: z.string().optional(),
  }),
});
export type StripeErrorBody = z.infer<typeof stripeErrorBody>;

export interface ApiError {
  status: number;
  body: StripeErrorBody;
  headers?: Record<string, string>;
}

const resourceNames: Record<string, string> = {
  payment_intent: 'payment_intent',
  payment_method: 'PaymentMethod',
  charge: 'charge',
  refund: 'refund',
  dispute: 'dispute',
  file: 'file',
  webhook_endpoint: 'webhook_endpoint',
  webhook_delivery: 'webhook delivery',
  event: 'event',
  payment_attempt: 'payment attempt',
  object: 'object',
};

export function fromCoreError(e: CoreError): ApiError {
  switch (e.kind) {
    case 'invalid_request':
      return { status: 400, body: { error: { type: 'invalid_request_error', code: e.code, param: e.param, message: e.message } } };
    case 'not_found':
      return {
        status: 404,
        body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: e.param, message: `No such ${resourceNames[e.resource] ?? e.resource}: '${e.id}'` } },
      };
    case 'unexpected_state':
      return { status: 400, body: { error: { type: 'invalid_request_error', code: e.code, param: e.param, message: e.message } } };
    case 'payment_failed':
      return { status: 402, body: { error: { type: 'card_error', code: e.code, decline_code: e.declineCode, message: e.message } } };
    case 'upstream_unavailable':
      // 502 and not 500: our code is fine, the network upstream is not. Safe to retry.
      return { status: 502, body: { error: { type: 'api_error', code: 'upstream_unavailable', message: e.message } }, headers: { 'Stripe-Should-Retry': 'true' } };
    case 'charge_disputed':
      return { status: 400, body: { error: { type: 'invalid_request_error', code: 'charge_disputed', param: e.param, message: e.message } } };
    case 'settlement_refused':
      // Only the Trust Payments door asks for these operations; a v1 caller would see a plain 400.
      return { status: 400, body: { error: { type: 'invalid_request_error', code: 'parameter_invalid', param: e.param, message: e.message } } };
    case 'business_prohibited':
      // 400 as Stripe answers an account that may not take a payment method: nothing to retry.
      return { status: 400, body: { error: { type: 'invalid_request_error', code: e.code, message: e.message } } };
  }
}

const SERVED = 'payment_intents, charges, refunds, disputes, files, balance, balance_transactions, reports/settlement, checkout/sessions, products, prices, webhook_endpoints, webhook_deliveries and events under /v1';

/** Stripe resources a Stripe integration may call that OpenCashier does not serve, by path segment. */
const STRIPE_ONLY: Readonly<Record<string, string>> = {
  customers: 'Customers', subscriptions: 'Subscriptions', subscription_items: 'Subscription items', invoices: 'Invoices',
  invoiceitems: 'Invoice items', payment_methods: 'PaymentMethods (as a standalone API)', setup_intents: 'SetupIntents',
  setup_attempts: 'SetupAttempts', payment_links: 'Payment Links', coupons: 'Coupons', promotion_codes: 'Promotion codes',
  tax_rates: 'Tax rates', tax: 'Stripe Tax', payouts: 'Payouts',
  transfers: 'Transfers', accounts: 'Connect accounts', account: 'Account', application_fees: 'Application fees',
  sources: 'Sources', tokens: 'Tokens', issuing: 'Issuing', terminal: 'Terminal', radar: 'Radar',
  reporting: 'Reporting', sigma: 'Sigma', quotes: 'Quotes', credit_notes: 'Credit notes', billing_portal: 'Billing portal',
  shipping_rates: 'Shipping rates', file_links: 'File links', mandates: 'Mandates', reviews: 'Reviews',
  topups: 'Top-ups', identity: 'Identity', financial_connections: 'Financial Connections', treasury: 'Treasury',
  climate: 'Climate', apps: 'Apps', test_helpers: 'Test helpers', ephemeral_keys: 'Ephemeral keys',
  'checkout/orders': 'Checkout orders',
};

export const apiErrors = {
  noKey: (): ApiError => ({
    status: 401,
    body: { error: { type: 'invalid_request_error', message: "You did not provide an API key. Send it in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY') or Basic auth with the key as user name." } },
  }),
  badKey: (display: string): ApiError => ({
    status: 401,
    body: { error: { type: 'invalid_request_error', code: 'api_key_invalid', message: `Invalid API Key provided: ${display}` } },
  }),
  publishableKey: (): ApiError => ({
    status: 401,
    body: { error: { type: 'invalid_request_error', code: 'secret_key_required', message: 'This API call cannot be made with a publishable API key. Please use a secret API key. A publishable key may only retrieve a PaymentIntent together with its client_secret.' } },
  }),
  clientSecret: (): ApiError => ({
    status: 404,
    body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'client_secret', message: 'No such payment_intent with that client_secret: retrieving with a publishable key needs the PaymentIntent\'s client_secret.' } },
  }),
  rateLimited: (limit: number): ApiError => ({
    status: 429,
    body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: `Too many requests: this API key may make ${limit} requests per second. Retry after a short pause.` } },
    headers: { 'Retry-After': '1' },
  }),
  idempotencyMismatch: (key: string): ApiError => ({
    status: 400,
    body: { error: { type: 'idempotency_error', code: 'idempotency_key_in_use', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` } },
  }),
  idempotencyInProgress: (): ApiError => ({
    status: 409,
    body: { error: { type: 'idempotency_error', code: 'idempotency_key_in_use', message: 'There is currently another in-progress request using this API key and idempotency key. Try again shortly.' } },
  }),
  idempotencyKeyTooLong: (): ApiError => ({
    status: 400,
    body: { error: { type: 'invalid_request_error', code: 'parameter_invalid', param: 'Idempotency-Key', message: 'Idempotency-Key must be at most 255 characters.' } },
  }),
  badBody: (message: string): ApiError => ({
    status: 400,
    body: { error: { type: 'invalid_request_error', code: 'parameter_invalid', message } },
  }),
  badParam: (message: string, param: string | undefined): ApiError => ({
    status: 400,
    body: { error: { type: 'invalid_request_error', code: 'parameter_invalid', ...(param === undefined ? {} : { param }), message } },
  }),
  /** A request the framework refused before any route (bad URL encoding, an over-long path segment, …). */
  unreadable: (status: number, message: string): ApiError => ({
    status,
    body: { error: { type: 'invalid_request_error', message } },
  }),
  unsupportedMediaType: (type: string): ApiError => ({
    status: 415,
    body: { error: { type: 'invalid_request_error', message: `Unsupported Content-Type ${type}: send application/json or application/x-www-form-urlencoded.` } },
  }),
  tooLarge: (message = 'Request body is too large.', param?: string): ApiError => ({
    status: 413,
    body: { error: { type: 'invalid_request_error', ...(param === undefined ? {} : { param }), message } },
  }),
  unknownRoute: (method: string, url: string): ApiError => {
    const path = url.split('?')[0]!;
    const resource = /^\/v1\/([a-z_]+)(?:\/([a-z_]+))?/.exec(path);
    const name = resource && (STRIPE_ONLY[resource[1]!] ?? STRIPE_ONLY[`${resource[1]}/${resource[2]}`]);
    if (name) {
      return {
        status: 404,
        body: { error: { type: 'invalid_request_error', code: 'resource_not_supported', message: `${name} (${path}) is a Stripe API that OpenCashier does not support. OpenCashier serves what Alipay and Alipay+ payments need: ${SERVED}.` } },
      };
    }
    const hint = path.startsWith('/v1/') ? ` OpenCashier serves ${SERVED}.` : ` The API lives under /v1: did you mean /v1${path}?`;
    return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).${hint}` } } };
  },
  /** The store cannot be reached (api/failure.ts): like Stripe's own 503s, an api_error that says to retry. */
  unavailable: (): ApiError => ({
    status: 503,
    body: { error: { type: 'api_error', message: UNAVAILABLE_MESSAGE } },
    headers: { 'Stripe-Should-Retry': 'true', 'Retry-After': String(RETRY_AFTER_SECONDS) },
  }),
  internal: (requestId: string): ApiError => ({
    status: 500,
    body: { error: { type: 'api_error', message: `Something went wrong on our side (request ${requestId}); it has been logged. Retrying is safe.` } },
  }),
};
