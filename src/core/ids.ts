/**
 * Every identifier the gateway hands out, from one table of prefixes. IDs are random (not
 * sequential), so knowing one never tells you another; secrets that grant access (client secrets,
 * checkout URLs, API keys) carry at least 128 bits of randomness.
 */
import { randomFillSync } from 'node:crypto';

export const ID_PREFIXES = {
  account: 'acct',
  paymentIntent: 'pi',
  paymentMethod: 'pm',
  charge: 'ch',
  refund: 're',
  dispute: 'dp',
  balanceTransaction: 'txn',
  file: 'file',
  checkoutSession: 'cs',
  lineItem: 'li',
  price: 'price',
  product: 'prod',
  webhookEndpoint: 'we',
  event: 'evt',
  request: 'req',
  apiKey: 'key',
  paymentAttempt: 'pa',
  webhookDelivery: 'wd',
  urlNotification: 'tpn',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * The CSPRNG's bytes, drawn 4 KiB at a time: a call into OpenSSL costs about what 4 KiB of its
 * output does, and a request takes several ids. Each byte is handed out once.
 */
const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

function nextRandomByte(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return pool[used++]!;
}

/** `n` bytes from the CSPRNG. */
export function randomBytesPooled(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = nextRandomByte();
  return out;
}

/** `n` base62 characters from the CSPRNG (rejection sampling, so no bias). */
export function randomToken(n: number): string {
  let out = '';
  while (out.length < n) {
    const b = nextRandomByte();
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomToken(24)}`;
}

export function clientSecretFor(paymentIntentId: string): string {
  return `${paymentIntentId}_secret_${randomToken(24)}`;
}

export function isIdOf(kind: IdKind, id: unknown): id is string {
  return typeof id === 'string' && id.startsWith(ID_PREFIXES[kind] + '_') && id.length <= 255;
}
