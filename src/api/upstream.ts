/**
 * The door Antom and returning shoppers come through: `POST /antom/notify` (notifyPayment, signed)
 * and `GET /return/:attempt` (the wallet's paymentRedirectUrl, forwarded to the merchant's return_url).
 */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../core/context.js';
import { acceptNotification, refuseNotification } from '../core/notifications.js';
import { syncAttempt } from '../core/payment-intents/sync.js';
import { ACK_BODY, refusalBody, throttledBody, type AntomNotificationVerifier } from '../connectors/antom/notify.js';

export const NOTIFY_PATH = '/antom/notify';

export interface UpstreamOptions {
  core: CoreDeps;
  verifier: () => AntomNotificationVerifier;
}

const REDIRECT_STATUS: Record<string, string> = {
  succeeded: 'succeeded',
  processing: 'processing',
  requires_payment_method: 'failed',
  canceled: 'canceled',
};

/**
 * Whom refusals are counted by: the peer's address, or for IPv6 its /64, since one host is given a
 * whole /64 and could otherwise post from a fresh address every time.
 */
export function sourceOf(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function upstreamRoutes(opts: UpstreamOptions) {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    // The signature covers the exact bytes, so the body stays a string until verified.
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 262_144 }, (_req, body, done) => done(null, body));

    app.post(NOTIFY_PATH, async (req, reply) => {
      const raw = {
        path: req.url,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'cookie' && k !== 'authorization')),
        body: typeof req.body === 'string' ? req.body : '',
        source: sourceOf(req.ip),
      };
      const verified = opts.verifier().verify({ method: req.method, path: req.url, headers: req.headers, rawBody: raw.body });
      const verdict = verified.ok
        ? await acceptNotification(opts.core, raw, verified.notification, verified.livemode, verified.fingerprint)
        : await refuseNotification(opts.core, raw, verified.reason);
      if (verdict.verdict === 'throttled') return reply.code(429).send(throttledBody());
      if (verdict.verdict === 'refused') return reply.code(400).send(refusalBody(verdict.reason));
      return reply.code(200).send(ACK_BODY);
    });

    app.get<{ Params: { attempt: string } }>('/return/:attempt', async (req, reply) => {
      const synced = await syncAttempt(opts.core, req.params.attempt);
      if (!synced || !synced.ok) return reply.code(404).type('text/html').send('<!doctype html><title>Unknown payment</title><p>This payment link is not known.</p>');
      const current = synced.value;
      if (!current.return_url) return reply.type('text/html').send(`<!doctype html><title>Payment ${current.status}</title><p>Payment status: ${current.status}. You may close this window.</p>`);
      const target = new URL(current.return_url);
      target.searchParams.set('payment_intent', current.id);
      target.searchParams.set('payment_intent_client_secret', current.client_secret);
      target.searchParams.set('redirect_status', REDIRECT_STATUS[current.status] ?? 'pending');
      return reply.redirect(target.toString(), 303);
    });
  };
}
