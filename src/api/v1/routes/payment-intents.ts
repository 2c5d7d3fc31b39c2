/** /v1/payment_intents: parse → one core operation → render (with expand). */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps, RequestContext } from '../../../core/context.js';
import type { Result } from '../../../core/errors.js';
import { paymentIntentPublic, type PaymentIntentRecord } from '../../../core/model.js';
import { createPaymentIntent } from '../../../core/payment-intents/create.js';
import { updatePaymentIntent } from '../../../core/payment-intents/update.js';
import { confirmPaymentIntent } from '../../../core/payment-intents/confirm.js';
import { cancelPaymentIntent } from '../../../core/payment-intents/cancel.js';
import { getPaymentIntent, listPaymentIntents } from '../../../core/payment-intents/read.js';
import * as P from '../params.js';
import { paymentIntentClientView, renderPaymentIntent } from '../expand.js';
import { invalid } from '../../../core/errors.js';
import { apiErrors, fromCoreError } from '../errors.js';
import { claimingInTx, parseParams, scopeOf, sendError, sendFailure, sendResult, sendSaved, successBody } from '../plugin.js';
import { listBody } from './list.js';

export function requestContext(req: FastifyRequest): RequestContext {
  const key = req.headers['idempotency-key'];
  return { scope: scopeOf(req), request_id: req.id, idempotency_key: typeof key === 'string' && key ? key : null };
}

type Params = { id: string };

export function paymentIntentRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;

    /** Renders a PaymentIntent result; a declined payment also carries the PaymentIntent, as in Stripe. */
    async function respond(req: FastifyRequest, reply: FastifyReply, result: Result<PaymentIntentRecord>, expand: string[]) {
      const scope = scopeOf(req);
      if (!result.ok && (result.error.kind === 'payment_failed' || result.error.kind === 'unexpected_state') && result.error.paymentIntentId) {
        const pi = await store.paymentIntents.get(scope, result.error.paymentIntentId);
        const e = fromCoreError(result.error);
        if (pi) e.body.error.payment_intent = await renderPaymentIntent(store, scope, pi, expand);
        return sendError(reply, e);
      }
      return sendResult(reply, result, (pi) => renderPaymentIntent(store, scope, pi, expand));
    }

    app.post('/payment_intents', { config: { claimInTx: true } }, async (req, reply) => {
      const parsed = parseParams(reply, P.createPaymentIntent, req.body, 'payment_intent');
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      // Without expand, the answer is the PaymentIntent alone: core saves it with the key as it
      // makes it. The last one rendered is the one committed if it names the PaymentIntent made.
      let saved: { id: string; body: string } | undefined;
      const answer = expand.length === 0
        ? (object: unknown) => {
          const pi = object as PaymentIntentRecord;
          saved = { id: pi.id, body: successBody(req, reply, paymentIntentPublic(pi)) };
          return saved.body;
        }
        : undefined;
      const result = await claimingInTx(req, reply, (claim) => createPaymentIntent(core, { ...requestContext(req), idempotency_claim: claim, idempotency_answer: claim && answer }, p));
      if (!result) return reply;
      if (result.ok && saved?.id === result.value.id) return sendSaved(req, reply, saved.body);
      return respond(req, reply, result, expand);
    });

    app.get('/payment_intents', async (req, reply) => {
      const parsed = parseParams(reply, P.listPaymentIntents, req.query, 'payment_intent', true);
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      const scope = scopeOf(req);
      const page = await listPaymentIntents(store, scope, P.toListQuery(p));
      return sendResult(reply, page, (pg) => listBody('/v1/payment_intents', pg, (pi) => renderPaymentIntent(store, scope, pi, expand)));
    });

    app.get<{ Params: Params }>('/payment_intents/:id', { config: { publishable: true } }, async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'payment_intent');
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      if (req.apiKey!.kind === 'publishable' && expand.length > 0) {
        // Expanding would hand the shopper's browser the charge and payment method in full.
        return sendFailure(reply, invalid('expand_invalid', 'This property cannot be expanded with a publishable key: expand needs a secret key.', 'expand'));
      }
      const result = await getPaymentIntent(store, scopeOf(req), req.params.id);
      if (req.apiKey!.kind === 'publishable') {
        if (!result.ok || !p.client_secret || !sameSecret(p.client_secret, result.value.client_secret)) return sendError(reply, apiErrors.clientSecret());
        return reply.code(200).send(paymentIntentClientView(result.value));
      }
      return respond(req, reply, result, expand);
    });

    app.post<{ Params: Params }>('/payment_intents/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.updatePaymentIntent, req.body, 'payment_intent');
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      return respond(req, reply, await updatePaymentIntent(core, requestContext(req), req.params.id, p), expand);
    });

    app.post<{ Params: Params }>('/payment_intents/:id/confirm', async (req, reply) => {
      const parsed = parseParams(reply, P.confirmPaymentIntent, req.body, 'payment_intent');
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      if (p.client_secret !== undefined) {
        const pi = await getPaymentIntent(store, scopeOf(req), req.params.id);
        if (pi.ok && !sameSecret(p.client_secret, pi.value.client_secret)) return sendError(reply, apiErrors.clientSecret());
      }
      return respond(req, reply, await confirmPaymentIntent(core, requestContext(req), req.params.id, p), expand);
    });

    app.post<{ Params: Params }>('/payment_intents/:id/cancel', async (req, reply) => {
      const parsed = parseParams(reply, P.cancelPaymentIntent, req.body, 'payment_intent');
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      return respond(req, reply, await cancelPaymentIntent(core, requestContext(req), req.params.id, p), expand);
    });
  };
}

function sameSecret(given: string, actual: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
