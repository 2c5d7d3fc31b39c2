/**
 * Antom's message signatures (docs/antom-protocol.md §2).
 *
 * Antom signs `<METHOD> <path>\n<clientId>.<time>.<body>` with SHA256withRSA (PKCS#1 v1.5) and sends
 * the standard Base64 of the signature *URL-encoded* in
 * `Signature: algorithm=RSA256,keyVersion=1,signature=<…>`. Keys travel as bare Base64 DER
 * (PKCS#8 for private keys, X.509 SubjectPublicKeyInfo for public keys), which is what Antom's
 * Dashboard hands out, so configuration can paste them unchanged.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export interface SignedMessage {
  method: string;
  /** Path and query string, no host: exactly what was requested. */
  path: string;
  clientId: string;
  /** The Request-Time / Response-Time header value, opaque (epoch ms or ISO-8601). */
  time: string;
  /** The exact body bytes, as sent. */
  body: string;
}

export function signedContent(m: SignedMessage): string {
  return `${m.method.toUpperCase()} ${m.path}\n${m.clientId}.${m.time}.${m.body}`;
}

export function privateKeyFromBase64(pkcs8Base64: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8Base64.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'pkcs8' });
}

export function publicKeyFromBase64(x509Base64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(x509Base64.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}

/** The value that goes after `signature=`: URL-encoded standard Base64. */
export function signMessage(m: SignedMessage, key: KeyObject): string {
  const sig = sign('sha256', Buffer.from(signedContent(m), 'utf8'), key);
  return encodeURIComponent(sig.toString('base64'));
}

/**
 * {@link signMessage} on libuv's thread pool: an RSA-2048 signature takes about a millisecond and a
 * half of CPU, which a busy gateway (and its simulator) would otherwise spend on the event loop.
 */
export function signMessageAsync(m: SignedMessage, key: KeyObject): Promise<string> {
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(signedContent(m), 'utf8'), key, (err, sig) => (err ? reject(err) : resolve(encodeURIComponent(sig.toString('base64')))));
  });
}

/**
 * The signature bytes behind the value of `signature=`. Many spellings decode to the same bytes —
 * `%2b` or `%2B`, `%41` for `A`, extra `=` padding, Base64url's `-` and `_` — so anything that must
 * recognise a signature seen before compares these bytes, never the text.
 */
export function decodeSignature(encodedSignature: string): Buffer | undefined {
  let raw: Buffer;
  try {
    raw = Buffer.from(decodeURIComponent(encodedSignature), 'base64');
  } catch {
    return undefined;
  }
  return raw.length === 0 ? undefined : raw;
}

export function verifyMessage(m: SignedMessage, encodedSignature: string, key: KeyObject): boolean {
  const raw = decodeSignature(encodedSignature);
  if (!raw) return false;
  try {
    return verify('sha256', Buffer.from(signedContent(m), 'utf8'), key, raw);
  } catch {
    return false;
  }
}

export function signatureHeader(encodedSignature: string, keyVersion = 1): string {
  return `algorithm=RSA256,keyVersion=${keyVersion},signature=${encodedSignature}`;
}

export interface ParsedSignatureHeader {
  algorithm: string;
  keyVersion: string;
  signature: string;
}

/** Tolerant of spaces after commas and of any order, as Antom's docs show both. */
export function parseSignatureHeader(header: string | undefined): ParsedSignatureHeader | undefined {
  if (!header) return undefined;
  const parts = new Map<string, string>();
  for (const piece of header.split(',')) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    parts.set(piece.slice(0, eq).trim().toLowerCase(), piece.slice(eq + 1).trim());
  }
  const signature = parts.get('signature');
  if (!signature) return undefined;
  return { algorithm: parts.get('algorithm') ?? 'RSA256', keyVersion: parts.get('keyversion') ?? '1', signature };
}

export interface AntomKeyPair {
  privateKeyBase64: string;
  publicKeyBase64: string;
}

/** An RSA-2048 pair in Antom's Dashboard format (bare Base64 DER). */
export function generateAntomKeyPair(): AntomKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyBase64: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}
