/**
 * One API, two dialects, chosen per request the way Stripe chooses API versions.
 *
 * - `seed`: the WooshPay-style guides' conventions (the default): timestamps in milliseconds,
 *   `currency` upper case, nullable fields present as `null` (seed 003's refund shows
 *   `"failure_reason": null`).
 * - `stripe`: what Stripe's official SDKs and their users expect. A request carrying a
 *   `Stripe-Version` header (every official SDK sends one) gets timestamps in seconds, `currency`
 *   lower case, and no `null` where Stripe's schemas declare a plain optional field.
 *
 * Core and the renderers speak the seed dialect; the Stripe dialect is a pure rewrite of that JSON,
 * so no object can be rendered one way and forgotten the other. Webhook deliveries use the dialect
 * of their endpoint's `api_version` (a Stripe date version → stripe; the seeds' `1.0.1` → seed).
 */

export type Dialect = 'seed' | 'stripe';

/** The API version we answer for when a client names none (the seeds' webhook endpoints say it). */
export const SEED_API_VERSION = '1.0.1';

/** Fields that carry a point in time: milliseconds in the seed dialect, seconds in Stripe's. */
const TIMESTAMPS = new Set([
  'created', 'updated', 'available_on', 'canceled_at', 'expires_at', 'completed_at', 'expired_at', 'next_attempt_at', 'last_attempt_at', 'due_by',
]);

const OMIT = Symbol('omit');

/**
 * Where the seeds show `null` and Stripe's schemas have no null, per object: Stripe either leaves
 * the field out (its SDKs' types say `string | undefined`) or sends an object.
 */
const STRIPE_FOR_NULL: Readonly<Record<string, Readonly<Record<string, typeof OMIT | object>>>> = {
  refund: { failure_reason: OMIT },
  'checkout.session': { phone_number_collection: { enabled: false } },
};

/** Whose values are the merchant's own data, never rewritten. */
const OPAQUE = new Set(['metadata']);

export function dialectOfHeaders(headers: Record<string, string | string[] | undefined>): Dialect {
  const v = headers['stripe-version'];
  return typeof v === 'string' && v.trim() !== '' ? 'stripe' : 'seed';
}

/** The dialect a webhook endpoint's `api_version` asks for: a Stripe date version, or the seeds'. */
export function dialectOfApiVersion(apiVersion: string | null | undefined): Dialect {
  return apiVersion && /^\d{4}-\d{2}-\d{2}/.test(apiVersion) ? 'stripe' : 'seed';
}

/** Rewrites seed-dialect JSON (as rendered) into `dialect`; the seed dialect is returned as is. */
export function inDialect<T>(value: T, dialect: Dialect): T {
  return dialect === 'seed' ? value : (toStripe(value) as T);
}

function toStripe(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toStripe);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const forNull = typeof obj.object === 'string' ? STRIPE_FOR_NULL[obj.object] : undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const instead = v === null ? forNull?.[k] : undefined;
    if (instead === OMIT) continue;
    if (instead !== undefined) {
      out[k] = instead;
      continue;
    }
    if (OPAQUE.has(k)) out[k] = v;
    else if (TIMESTAMPS.has(k) && typeof v === 'number') out[k] = Math.floor(v / 1000);
    else if (k === 'currency' && typeof v === 'string') out[k] = v.toLowerCase();
    else out[k] = toStripe(v);
  }
  return out;
}
