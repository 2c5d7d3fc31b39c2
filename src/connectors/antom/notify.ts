/**
 * Inbound notifications from Antom (notifyPayment, notifyRefund, notifyDispute). The connector checks what can be checked
 * without the store — who sent it, the signature over the exact bytes, freshness, shape — and
 * hands core a typed notification plus a fingerprint for replay detection. Core then checks the
 * payment it names, the amount and the currency.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { UpstreamNotification } from '../../core/connector.js';
import { decodeSignature, parseSignatureHeader, publicKeyFromBase64, verifyMessage } from './signing.js';
import { mapDisputeNotification, mapPaymentNotification, mapRefundNotification, parseTime, type AntomResponse } from './mapping.js';

export interface InboundRequest {
  method: string;
  /** Path and query as received, no host. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

export type VerifiedNotification =
  | { ok: true; livemode: boolean; fingerprint: string; notification: UpstreamNotification }
  | { ok: false; reason: string };

export interface NotifySigner {
  clientId: string;
  antomPublicKeyBase64: string;
  livemode: boolean;
}

/** Antom's fixed acknowledgement (docs/antom-protocol.md §5). */
export const ACK_BODY = { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } } as const;

export function refusalBody(reason: string) {
  return { result: { resultCode: 'PROCESS_FAIL', resultStatus: 'F', resultMessage: reason } };
}

/** Antom's own answer to a client over its rate (docs/antom-protocol.md: REQUEST_TRAFFIC_EXCEED_LIMIT, status U). */
export function throttledBody() {
  return { result: { resultCode: 'REQUEST_TRAFFIC_EXCEED_LIMIT', resultStatus: 'U', resultMessage: 'Too many refused notifications from this address; try again later.' } };
}

function header(h: InboundRequest['headers'], name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export class AntomNotificationVerifier {
  private readonly signers = new Map<string, { key: KeyObject; livemode: boolean }>();

  constructor(signers: NotifySigner[], private readonly maxAgeMs: number, private readonly now: () => number) {
    for (const s of signers) this.signers.set(s.clientId, { key: publicKeyFromBase64(s.antomPublicKeyBase64), livemode: s.livemode });
  }

  verify(req: InboundRequest): VerifiedNotification {
    const clientId = header(req.headers, 'client-id');
    const time = header(req.headers, 'request-time');
    const sig = parseSignatureHeader(header(req.headers, 'signature'));
    if (!clientId || !time || !sig) return { ok: false, reason: 'missing client-id, request-time or signature header' };
    const signer = this.signers.get(clientId);
    if (!signer) return { ok: false, reason: `unknown client-id ${clientId}` };
    const valid = verifyMessage({ method: req.method, path: req.path, clientId, time, body: req.rawBody }, sig.signature, signer.key);
    if (!valid) return { ok: false, reason: 'signature does not verify' };
    const sentAt = parseTime(time);
    if (sentAt === undefined) return { ok: false, reason: `unreadable request-time ${time}` };
    if (Math.abs(this.now() - sentAt) > this.maxAgeMs) return { ok: false, reason: `request-time ${time} is outside the ${this.maxAgeMs / 1000}s window (replay?)` };
    let body: AntomResponse;
    try {
      body = JSON.parse(req.rawBody) as AntomResponse;
    } catch {
      return { ok: false, reason: 'body is not JSON' };
    }
    const payment = mapPaymentNotification(body);
    const refund = payment ? undefined : mapRefundNotification(body);
    const dispute = payment || refund ? undefined : mapDisputeNotification(body);
    const notification: UpstreamNotification | undefined = payment ? { kind: 'payment', ...payment }
      : refund ? { kind: 'refund', ...refund } : dispute ? { kind: 'dispute', ...dispute } : undefined;
    if (!notification) {
      const what = body.disputeNotificationType !== undefined ? `disputeNotificationType ${String(body.disputeNotificationType)}` : `notifyType ${String(body.notifyType)}`;
      return { ok: false, reason: `not a notification we understand (${what})` };
    }
    // The same signed message twice is a replay; Antom's own retries are signed anew each time.
    // Hashed over the decoded bytes: a re-encoded copy of the signature is the same signature.
    const fingerprint = createHash('sha256').update(`${clientId}\n${time}\n`).update(decodeSignature(sig.signature)!).digest('hex');
    return { ok: true, livemode: signer.livemode, fingerprint, notification };
  }
}
