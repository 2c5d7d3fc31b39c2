/**
 * Upstream notifications, already verified by the connector (signature, freshness, shape): each
 * goes to the rules of what it names (payments, refunds, disputes), is applied at most once, and is kept
 * with its verdict whatever happens — the audit trail of everything Antom, or anyone, sent us.
 */
import type { UpstreamNotification } from './connector.js';
import { inTx, type CoreDeps } from './context.js';
import { StoreConflict, type StoreTx } from './store.js';
import { checkPaymentNotification } from './payment-intents/notify.js';
import { checkRefundNotification } from './refunds/notify.js';
import { checkDisputeNotification } from './disputes/notify.js';

export interface ReceivedNotification {
  path: string;
  headers: Record<string, unknown>;
  body: string;
  /** Who sent it: the peer address, an IPv6 peer's /64 (one host holds a whole /64). */
  source: string;
  /** Our id of the HTTP request that brought it: the `reqId` of what is logged and recorded while applying it. */
  request_id: string;
}

export type NotificationVerdict =
  /** With the PaymentIntent (or, for a refund's or dispute's notification, the refund or dispute) it was about. */
  | { verdict: 'applied' | 'duplicate'; object?: string }
  | { verdict: 'refused'; reason: string }
  /** Refused, and not kept: its source (or everyone together) sent too many refused ones lately. */
  | { verdict: 'throttled' };

/**
 * What is kept of a refused notification. Anyone can post to the notify URL, so what we keep of
 * what we refuse is bounded: an excerpt of the body (enough to see what it was), clipped headers,
 * and at most `REFUSAL_BUDGET` of them per source and hour.
 */
export const REFUSED_EXCERPT = { bodyBytes: 2048, headerChars: 512, headersChars: 4096, pathChars: 512, reasonChars: 300 } as const;
export const REFUSAL_BUDGET = { perSource: 40, total: 2000, windowMs: 3_600_000 } as const;
/** Refused notifications are deleted after this long; accepted ones stay (the audit trail). */
export const REFUSED_RETENTION_MS = 7 * 24 * 3_600_000;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

function bodyExcerpt(body: string): string {
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length <= REFUSED_EXCERPT.bodyBytes) return body;
  // A cut inside a UTF-8 sequence decodes to U+FFFD; drop it rather than keep half a character.
  return bytes.subarray(0, REFUSED_EXCERPT.bodyBytes).toString('utf8').replace(/\uFFFD$/, '');
}

function headersExcerpt(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let total = 0;
  let left = 0;
  for (const [name, value] of Object.entries(headers)) {
    const text = clip(typeof value === 'string' ? value : JSON.stringify(value) ?? '', REFUSED_EXCERPT.headerChars);
    const key = clip(name, 64);
    if (total + key.length + text.length > REFUSED_EXCERPT.headersChars) {
      left++;
      continue;
    }
    total += key.length + text.length;
    out[key] = text;
  }
  if (left > 0) out['(left out)'] = `${left} more headers`;
  return out;
}

export async function refuseNotification(deps: CoreDeps, raw: ReceivedNotification, reason: string, requestId?: string): Promise<NotificationVerdict> {
  const now = deps.clock.now();
  const why = clip(reason, REFUSED_EXCERPT.reasonChars);
  const bytes = Buffer.byteLength(raw.body, 'utf8');
  const kept = await deps.store.tx((s) => s.notifications.recordRefused({
    path: clip(raw.path, REFUSED_EXCERPT.pathChars),
    headers: headersExcerpt(raw.headers),
    body: bodyExcerpt(raw.body),
    body_bytes: bytes,
    source: raw.source,
    verdict: 'refused',
    reason: why,
    payment_request_id: requestId,
    received: now,
  }, { since: now - REFUSAL_BUDGET.windowMs, perSource: REFUSAL_BUDGET.perSource, total: REFUSAL_BUDGET.total }));
  // The query string stays out of the log: only Antom's notify URL is expected here, but anyone can post.
  const path = clip(raw.path.split('?')[0]!, 100);
  if (!kept) {
    // Debug: a flood must not turn into a flood of log lines.
    deps.log.debug({ reqId: raw.request_id, path, source: raw.source, reason: why }, 'upstream notification refused and not kept: too many refusals from this source');
    return { verdict: 'throttled' };
  }
  // An attempt id leads (through /return/…) to a client secret: the log names none.
  deps.log.warn({ reqId: raw.request_id, path, reason: why.replace(/\bpa_[A-Za-z0-9]+/g, 'pa_…') }, 'upstream notification refused');
  return { verdict: 'refused', reason: why };
}

/** What a notification's own rules decided, inside the transaction that keeps it: the object it was about, or why it is refused. */
export type NotificationCheck = { ok: true; verdict: 'applied' | 'duplicate'; object: string } | { ok: false; reason: string };

const REPLAYED = 'replayed notification (same signed message seen before)';

/**
 * The envelope every verified notification goes through: in one transaction, refused if its signed
 * message was seen before, then `apply` (the rules of what it names) and, when they accept it, kept
 * with their verdict. A refusal rolls back whatever `apply` did and is then kept on its own
 * (refuseNotification). Two copies of one signed message racing: the unique fingerprint lets only
 * one through, the other is refused as a replay.
 */
export async function acceptOnce(
  deps: CoreDeps, raw: ReceivedNotification, fingerprint: string, requestId: string, apply: (s: StoreTx) => Promise<NotificationCheck>,
): Promise<NotificationVerdict> {
  let result: NotificationCheck;
  try {
    result = await inTx(deps.store, async (s): Promise<NotificationCheck> => {
      if (await s.notifications.seen(fingerprint)) return { ok: false, reason: REPLAYED };
      const checked = await apply(s);
      if (checked.ok) {
        await s.notifications.record({ ...raw, verdict: checked.verdict, fingerprint, payment_request_id: requestId, received: deps.clock.now() });
      }
      return checked;
    });
  } catch (err) {
    if (err instanceof StoreConflict) return refuseNotification(deps, raw, REPLAYED, requestId);
    throw err;
  }
  if (!result.ok) return refuseNotification(deps, raw, result.reason, requestId);
  return { verdict: result.verdict, object: result.object };
}

/** Any verified notification: payments, refunds and disputes each go to their own rules. */
export async function acceptNotification(
  deps: CoreDeps, raw: ReceivedNotification, n: UpstreamNotification, livemode: boolean, fingerprint: string,
): Promise<NotificationVerdict> {
  // What the rules record and log while applying it carries this request's id (core/context.ts, served_request_id).
  const servedBy = raw.request_id;
  if (n.kind === 'payment') return acceptOnce(deps, raw, fingerprint, n.paymentRequestId, (s) => checkPaymentNotification(s, deps, n, livemode, servedBy));
  if (n.kind === 'dispute') return acceptOnce(deps, raw, fingerprint, n.paymentRequestId, (s) => checkDisputeNotification(s, deps, n, livemode, servedBy));
  return acceptOnce(deps, raw, fingerprint, n.refundRequestId, (s) => checkRefundNotification(s, deps, n, livemode, servedBy));
}
