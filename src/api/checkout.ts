/**
 * The hosted checkout page's door: `GET /pay/:id` renders the page for the shopper's device and
 * language, `POST /pay/:id` starts paying (QR code on a desktop, the wallet app on a phone),
 * `GET /pay/:id/status` is what the page polls, and `GET /pay/:id/return` is where the wallet
 * sends the shopper back (then on to success_url). The session id in the URL is the secret.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { CoreDeps } from '../core/context.js';
import { systemContext } from '../core/context.js';
import { walletsFor, isPaymentMethodType } from '../core/money.js';
import type { CheckoutSessionRecord, PaymentIntentRecord } from '../core/model.js';
import { expireCheckoutSession } from '../core/checkout/expire.js';
import { lineItemsOf } from '../core/checkout/read.js';
import { startCheckoutPayment } from '../core/checkout/pay.js';
import { syncAttempt } from '../core/payment-intents/sync.js';
import type { CheckoutView, Device } from '../pages/checkout/view.js';
import { renderCheckoutPage } from '../pages/checkout/render.js';
import { resolveLocale } from '../pages/checkout/i18n.js';
import { esc } from '../pages/html.js';
import { FormError, parseForm } from './v1/form.js';
import { parseJsonBody } from './input.js';
import { failureStatus, unavailable } from './failure.js';

export interface CheckoutPageOptions {
  core: CoreDeps;
  merchantName(accountId: string): Promise<string>;
}

type Id = { Params: { id: string } };

export function deviceOf(userAgent: string | undefined): Device {
  return /Mobi|Android|iPhone|iPad|iPod|Windows Phone|HarmonyOS|AlipayClient/i.test(userAgent ?? '') ? 'phone' : 'desktop';
}

function osOf(userAgent: string | undefined): 'IOS' | 'ANDROID' | undefined {
  if (/iPhone|iPad|iPod/i.test(userAgent ?? '')) return 'IOS';
  if (/Android/i.test(userAgent ?? '')) return 'ANDROID';
  return undefined;
}

/** The seeds give success_url as "www.wooshpay.com": a browser needs a scheme to go there. */
export function destination(url: string, sessionId: string): string {
  const filled = url.replaceAll('{CHECKOUT_SESSION_ID}', sessionId);
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(filled) ? filled : `https://${filled.replace(/^\/+/, '')}`;
  // It becomes a Location header, which takes no raw line breaks or text beyond Latin-1: percent-encode what is not plain ASCII.
  return absolute.replace(/[^\x21-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '';
    }
  });
}

function notFound(reply: FastifyReply) {
  return reply.code(404).type('text/html; charset=utf-8').send(
    '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Checkout not found</title><main><h1>Checkout not found</h1><p>This payment link is not valid. Please return to the shop and try again.</p></main></html>',
  );
}

/** The page polls /status and posts with Accept: application/json; those read `{error}`, a browser reads a page. */
function wantsJson(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('application/json') || /^\/pay\/[^/?]*\/status(?:\?|$)/.test(req.url);
}

/** This door's last word: a request it could not read is a 4xx, anything else a 500 that says only the request id. */
export async function checkoutErrorHandler(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const status = failureStatus(err);
  if (status === 500) req.log.error({ err }, 'checkout page request failed');
  else if (status === 503) unavailable(reply, err);
  else req.log.info({ code: (err as { code?: string }).code, status }, 'checkout page request refused');
  const message = status < 500 ? 'The request could not be read.'
    : status === 503 ? 'Payments are briefly unavailable. Nothing was charged by this step; please try again in a few seconds.'
      : `Something went wrong on our side (request ${req.id}). Please go back and try again.`;
  if (wantsJson(req)) return reply.code(status).send({ error: message });
  return reply.code(status).type('text/html; charset=utf-8')
    .send(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Checkout</title><main><h1>Something went wrong</h1><p>${esc(message)}</p></main></html>`);
}

export function checkoutPageRoutes(opts: CheckoutPageOptions) {
  const { core } = opts;
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (err) {
        done(err as FormError);
      }
    });
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
      try {
        done(null, body ? parseJsonBody(body as string) : {});
      } catch (err) {
        done(err as Error);
      }
    });

    /** The session, expired on the spot if its time is up (so the page never offers a dead payment); `requestId` is the page's request. */
    async function load(id: string, requestId: string): Promise<{ session: CheckoutSessionRecord; pi: PaymentIntentRecord } | undefined> {
      let session = await core.store.checkoutSessions.findById(id);
      if (!session) return undefined;
      if (session.status === 'open' && session.expires_at <= core.clock.now()) {
        await expireCheckoutSession(core, systemContext({ account_id: session.account_id, livemode: session.livemode }, requestId), id);
        session = (await core.store.checkoutSessions.findById(id))!;
      }
      const pi = await core.store.paymentIntents.findById(session.payment_intent_id);
      return pi ? { session, pi } : undefined;
    }

    async function qrFor(pi: PaymentIntentRecord): Promise<CheckoutView['qr']> {
      if (pi.status !== 'requires_action') return null;
      const attempt = await core.store.attempts.open(pi.id);
      const r = attempt?.redirect;
      const walletUrl = r?.applinkUrl ?? r?.normalUrl;
      const value = r?.qrCode ?? walletUrl;
      if (!attempt || !value || !walletUrl) return null;
      const method = attempt.method_type;
      return { svg: await QRCode.toString(value, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }), walletUrl, method, wallet: method === 'alipayplus' ? attempt.upstream_method : null };
    }

    async function view(req: FastifyRequest, session: CheckoutSessionRecord, pi: PaymentIntentRecord): Promise<CheckoutView> {
      const device = deviceOf(req.headers['user-agent']);
      const items = await core.store.tx((s) => lineItemsOf(s, session.id));
      // With Alipay itself on offer, Alipay CN would be listed twice; it stays the plain Alipay button.
      const alipayToo = session.payment_method_types.includes('alipay');
      const wallets = session.payment_method_types.includes('alipayplus')
        ? walletsFor('CONNECT_WALLET', session.currency, session.amount_total)
          .filter((w) => !(alipayToo && w.wallet.code === 'ALIPAY_CN'))
          .map((w) => ({ code: w.wallet.code, name: w.wallet.name, available: w.available, minimum: w.minimum }))
        : [];
      const product = (li: (typeof items)[number]) => (typeof li.price.product === 'object' ? li.price.product : null);
      return {
        sessionId: session.id,
        merchantName: await opts.merchantName(session.account_id),
        livemode: session.livemode,
        locale: resolveLocale(session.locale, req.headers['accept-language']),
        device,
        status: session.status,
        paymentStatus: session.payment_status,
        currency: session.currency,
        amountSubtotal: session.amount_subtotal,
        amountTotal: session.amount_total,
        lineItems: items.map((li) => ({
          name: product(li)?.name ?? li.description ?? '',
          description: product(li)?.description ?? null,
          quantity: li.quantity,
          unitAmount: li.price.unit_amount,
          amountTotal: li.amount_total,
          imageUrl: product(li)?.images[0] ?? null,
        })),
        // Alipay+ whose only wallet is Alipay itself (CNY, GBP) adds nothing next to the Alipay button.
        methods: session.payment_method_types.filter((m) => m !== 'alipayplus' || wallets.length > 0 || !alipayToo),
        wallets,
        customerEmail: session.customer_email,
        expiresAt: session.expires_at,
        successUrl: destination(session.success_url, session.id),
        cancelUrl: session.cancel_url ? destination(session.cancel_url, session.id) : null,
        lastError: session.status === 'open' && pi.status === 'requires_payment_method' ? (pi.last_payment_error?.message ?? null) : null,
        qr: device === 'desktop' && session.status === 'open' ? await qrFor(pi) : null,
        urls: { pay: `/pay/${session.id}`, status: `/pay/${session.id}/status` },
      };
    }

    app.get<Id>('/pay/:id', async (req, reply) => {
      const found = await load(req.params.id, req.id);
      if (!found) return notFound(reply);
      const nonce = randomBytes(16).toString('base64');
      reply.header('Content-Security-Policy', `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data: https:; connect-src 'self'; form-action 'self' https:; base-uri 'none'; frame-ancestors 'none'`);
      reply.header('Cache-Control', 'no-store');
      // same-origin, not no-referrer: the page's own POST must carry a real Origin.
      reply.header('Referrer-Policy', 'same-origin');
      return reply.type('text/html; charset=utf-8').send(renderCheckoutPage(await view(req, found.session, found.pi), { nonce }));
    });

    app.post<Id>('/pay/:id', async (req, reply) => {
      const wantsJson = (req.headers.accept ?? '').includes('application/json');
      const body = (req.body ?? {}) as Record<string, unknown>;
      const method = typeof body.method === 'string' ? body.method : '';
      const wallet = typeof body.wallet === 'string' && body.wallet ? body.wallet : undefined;
      const device = deviceOf(req.headers['user-agent']);
      const answer = (status: number, json: object, location: string) =>
        wantsJson ? reply.code(status).send(json) : reply.redirect(location, 303);
      const back = `/pay/${encodeURIComponent(req.params.id)}`;
      if (!isPaymentMethodType(method)) return answer(400, { error: 'Choose how to pay.' }, back);
      const started = await startCheckoutPayment(core, req.params.id, {
        method, wallet, device, osType: osOf(req.headers['user-agent']), clientIp: req.ip,
      }, req.id);
      if (!started.ok) {
        if (started.error.kind === 'not_found') return notFound(reply);
        // A declined attempt shows on the page as lastError; anything else as a plain message.
        const message = started.error.kind === 'payment_failed' ? started.error.message : 'message' in started.error ? started.error.message : 'Something went wrong.';
        return answer(started.error.kind === 'upstream_unavailable' ? 502 : 400, { error: message }, back);
      }
      const { redirectUrl, qr } = started.value;
      if (device === 'phone' && redirectUrl) return answer(200, { redirect: redirectUrl }, redirectUrl);
      if (qr) {
        const svg = await QRCode.toString(qr.value, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
        return answer(200, { qr: { svg, walletUrl: qr.walletUrl } }, back);
      }
      return answer(200, { redirect: back }, back);
    });

    app.get<Id>('/pay/:id/status', async (req, reply) => {
      const found = await load(req.params.id, req.id);
      if (!found) return reply.code(404).send({ error: 'unknown checkout' });
      const { session, pi } = found;
      reply.header('Cache-Control', 'no-store');
      return reply.send({
        status: session.status,
        payment_status: session.payment_status,
        next: session.status === 'complete' ? destination(session.success_url, session.id) : null,
        error: session.status === 'open' && pi.status === 'requires_payment_method' && pi.last_payment_error ? pi.last_payment_error.message : null,
      });
    });

    app.get<Id>('/pay/:id/return', async (req, reply) => {
      const found = await load(req.params.id, req.id);
      if (!found) return notFound(reply);
      let { session } = found;
      if (session.status === 'open') {
        // Back from the wallet before its notification: ask Antom, so the shopper sees the result.
        const attempt = await core.store.attempts.open(found.pi.id);
        if (attempt) await syncAttempt(core, attempt.id, req.id);
        session = (await core.store.checkoutSessions.findById(session.id)) ?? session;
      }
      if (session.status === 'complete') return reply.redirect(destination(session.success_url, session.id), 303);
      return reply.redirect(`/pay/${encodeURIComponent(session.id)}`, 303);
    });

    app.setErrorHandler(checkoutErrorHandler);
  };
}
