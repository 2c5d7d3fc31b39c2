/**
 * Stripe's webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 * keyed with the whole `whsec_…` string, so `stripe.webhooks.constructEvent` verifies it unchanged.
 */
import { createHmac } from 'node:crypto';

export function signatureHeader(secret: string, payload: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}
