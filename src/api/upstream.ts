/**
 * The door Antom and returning shoppers come through: `POST /antom/notify` (notifyPayment, signed)
 * and `GET /return/:attempt` (the wallet's paymentRedirectUrl, forwarded to the merchant's return_url).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../core/context.js';
import { acceptNotification, refuseNotification } from '../core/notifications.js';
import { syncAttempt } from '../core/payment-intents/sync.js';
import { ACK_BODY, refusalBody, throttledBody, type AntomNotificationVerifier } from '../connectors/antom/notify.js';
import { esc } from '../pages/html.js';
import { inspectInput } from './input.js';
import { loggableId } from '../logging.js';
import { failureStatus, unavailable } from './failure.js';

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

/** Why a JSON body is no notification we could read or store, as a refusal reason; undefined otherwise (non-JSON is the verifier's to refuse). */
function jsonProblem(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'unreadable notification: the body must be a JSON object';
  const problem = inspectInput(parsed);
  return problem && `unreadable notification: ${problem.message}`;
}

/**
 * This door's last word. Antom reads its result object: a refusal is final (400, resultStatus F),
 * a 500 says only "internal error" so Antom retries. A returning shopper reads a page.
 */
export async function upstreamErrorHandler(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const status = failureStatus(err);
  if (status === 500) req.log.error({ err }, 'upstream door request failed');
  else if (status === 503) unavailable(reply, err);
  else req.log.warn({ code: (err as { code?: string }).code, status }, 'upstream door request refused');
  if (req.url.startsWith(NOTIFY_PATH)) {
    if (status < 500) return reply.code(status).send(refusalBody(err.message));
    // Not accepted: Antom sends the notification again on its schedule.
    const said = status === 503 ? `temporarily unavailable (request ${req.id})` : `internal error (request ${req.id})`;
    return reply.code(status).send({ result: { resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U', resultMessage: said } });
  }
  const message = status < 500 ? 'This link could not be read.'
    : status === 503 ? 'This page is briefly unavailable. Please reload it in a few seconds.' : `Something went wrong on our side (request ${req.id}).`;
  return reply.code(status).type('text/html; charset=utf-8').send(`<!doctype html><title>Payment</title><p>${esc(message)}</p>`);
}

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

    app.setErrorHandler(upstreamErrorHandler);

    app.post(NOTIFY_PATH, async (req, reply) => {
      const raw = {
        path: req.url,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'cookie' && k !== 'authorization')),
        body: typeof req.body === 'string' ? req.body : '',
        source: sourceOf(req.ip),
        request_id: req.id,
      };
      // A raw NUL never gets here (refuseHostileInput); an escaped one inside the JSON would reach
      // the store as an id once the signature verifies, so it is refused first, with the raw text kept.
      const hostile = jsonProblem(raw.body);
      if (hostile) {
        await refuseNotification(opts.core, raw, hostile);
        opts.core.observe?.notification('refused', hostile);
        return reply.code(400).send(refusalBody(hostile));
      }
      const verified = opts.verifier().verify({ method: req.method, path: req.url, headers: req.headers, rawBody: raw.body });
      const verdict = verified.ok
        ? await acceptNotification(opts.core, raw, verified.notification, verified.livemode, verified.fingerprint)
        : await refuseNotification(opts.core, raw, verified.reason);
      opts.core.observe?.notification(verdict.verdict, verdict.verdict === 'refused' ? verdict.reason : undefined);
      // The request's log line names the payment it was about, as the API's lines do.
      if (verdict.verdict === 'applied' || verdict.verdict === 'duplicate') req.logFields = { object: loggableId(verdict.object) };
      if (verdict.verdict === 'throttled') return reply.code(429).send(throttledBody());
      if (verdict.verdict === 'refused') return reply.code(400).send(refusalBody(verdict.reason));
      return reply.code(200).send(ACK_BODY);
    });

    app.get<{ Params: { attempt: string } }>('/return/:attempt', async (req, reply) => {
      const synced = await syncAttempt(opts.core, req.params.attempt, req.id);
      if (!synced || !synced.ok) return reply.code(404).type('text/html').send('<!doctype html><title>Unknown payment</title><p>This payment link is not known.</p>');
      const current = synced.value;
      if (!current.return_url) return reply.type('text/html').send(`<!doctype html><title>Payment ${current.status}</title><p>Payment status: ${current.status}. You may close this window.</p>`);
      const target = new URL(current.return_url);
      // A Trust Payments AUTH's shopper returns with what that merchant reads: the transaction, not a client secret.
      const auth = await opts.core.store.tp.authOf(current.id);
      if (auth) {
        target.searchParams.set('transactionreference', auth.reference);
        target.searchParams.set('settlestatus', String(auth.settle_status));
        target.searchParams.set('errorcode', auth.error_code);
        if (auth.order_reference !== null) target.searchParams.set('orderreference', auth.order_reference);
        return reply.redirect(target.toString(), 303);
      }
      target.searchParams.set('payment_intent', current.id);
      target.searchParams.set('payment_intent_client_secret', current.client_secret);
      target.searchParams.set('redirect_status', REDIRECT_STATUS[current.status] ?? 'pending');
      return reply.redirect(target.toString(), 303);
    });
  };
}
