/**
 * Payments in the dashboard: the list (filters, search, keyset pages), a payment's detail, and the
 * two things a person may do to one — refund it and cancel it — through the same core operations
 * as `POST /v1/refunds` and `POST /v1/payment_intents/:id/cancel`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { createRefund } from '../../core/refunds/create.js';
import { cancelPaymentIntent } from '../../core/payment-intents/cancel.js';
import { nextStatus } from '../../core/payment-intents/states.js';
import { StoreConflict } from '../../core/store.js';
import type { PaymentFilter } from '../../store/dashboard.js';
import {
  PAYMENT_STATUSES, parseMajorUnits, paymentPage, paymentsPage, type PaymentDetailView, type UpstreamCallView,
} from '../../pages/dashboard/payments.js';
import { plainError } from '../../pages/dashboard/words.js';
import { formatAmount } from '../../core/money.js';
import { requestContext, type DashboardKit, type Signed } from './session.js';
import { cursorParam, PAGE_SIZE, readDays } from './filters.js';

function paymentFilter(q: Record<string, string | undefined>): { filter: PaymentFilter; form: Record<string, string>; problems: string[] } {
  const filter: PaymentFilter = {};
  const form: Record<string, string> = {};
  const problems: string[] = [];
  const status = q.status ?? '';
  if (status) {
    if ((PAYMENT_STATUSES as readonly string[]).includes(status)) {
      filter.status = status as PaymentFilter['status'];
      form.status = status;
    } else problems.push(`"${status}" is not a payment status; showing every status.`);
  }
  if (q.method === 'alipay' || q.method === 'alipayplus') form.method = filter.method = q.method;
  if (q.currency && /^[a-zA-Z]{3}$/.test(q.currency)) form.currency = filter.currency = q.currency.toUpperCase();
  readDays(q, filter, form, problems);
  const search = (q.q ?? '').trim();
  if (search) form.q = filter.search = search.slice(0, 200);
  return { filter, form, problems };
}

export function paymentRoutes(loadCalls: (references: string[]) => Promise<UpstreamCallView[]>) {
  return (kit: DashboardKit) => {
    const { queries, core } = kit.opts;

    kit.get('/dashboard/payments', async (req, reply, s) => {
      const { filter, form, problems } = paymentFilter(req.query);
      const page = await queries.payments(s.scope, filter, { limit: PAGE_SIZE, after: cursorParam(req.query.after), before: cursorParam(req.query.before) });
      return kit.html(reply, paymentsPage(s.ctx, { filter, form, problems, page, currencies: await queries.currencies(s.scope) }));
    });

    async function showPayment(reply: FastifyReply, s: Signed, id: string, extra: Partial<PaymentDetailView> = {}, status = 200) {
      const detail = await queries.payment(s.scope, id);
      if (!detail) return kit.html(reply, notFoundPage(s, id), 404);
      const references = [...detail.attempts.map((a) => a.id), ...detail.refunds.map((r) => r.id)];
      const view: PaymentDetailView = {
        detail,
        calls: references.length ? await loadCalls(references) : [],
        formToken: randomBytes(16).toString('base64url'),
        canCancel: Boolean(nextStatus(detail.intent.status, 'cancel')) && !detail.intent.checkout_session_id,
        now: core.clock.now(),
        ...extra,
      };
      return kit.html(reply, paymentPage(s.ctx, view), status);
    }

    function notFoundPage(s: Signed, id: string): string {
      return paymentsPage(s.ctx, {
        filter: {}, form: {}, currencies: [], page: { rows: [], next: null, prev: null },
        problems: [`There is no payment ${id} in ${s.scope.livemode ? 'live' : 'test'} mode.`],
      });
    }

    kit.get<{ id: string }>('/dashboard/payments/:id', async (req, reply, s) => {
      const done = req.query.done;
      const notice = done === 'refunded' ? { kind: 'ok' as const, text: 'Refund sent. It shows as succeeded once Antom confirms it.' }
        : done === 'canceled' ? { kind: 'ok' as const, text: 'Payment canceled.' } : undefined;
      return showPayment(reply, s, req.params.id, notice ? { notice } : {});
    });

    kit.post<{ id: string }>('/dashboard/payments/:id/refund', async (req, reply, s, body) => {
      const id = req.params.id;
      const pi = await core.store.paymentIntents.get(s.scope, id);
      if (!pi) return kit.html(reply, notFoundPage(s, id), 404);
      const amountText = typeof body.amount === 'string' ? body.amount : '';
      const reasonText = typeof body.reason === 'string' ? body.reason : '';
      const refundForm = { amount: amountText, reason: reasonText };
      const refuse = (text: string) => showPayment(reply, s, id, { notice: { kind: 'error', text }, refundForm }, 400);
      const amount = parseMajorUnits(amountText, pi.currency);
      if (amount === undefined || amount <= 0) {
        return refuse(`"${amountText}" is not an amount of ${pi.currency.toUpperCase()}: type a number such as ${formatAmount(1000, pi.currency).split(' ')[1]}.`);
      }
      const reason = (['requested_by_customer', 'duplicate', 'fraudulent'] as const).find((r) => r === reasonText);
      // One refund per rendered form: a double click or a resubmitted page finds the first refund.
      const token = typeof body.form_token === 'string' && /^[A-Za-z0-9_-]{10,64}$/.test(body.form_token) ? body.form_token : null;
      const ctx = requestContext(req, s, token ? `dashboard:${token}` : null);
      let result;
      try {
        result = await createRefund(core, ctx, { payment_intent: id, amount, ...(reason ? { reason } : {}) });
      } catch (err) {
        // The same form submitted twice at once: the twin committed the refund; show it.
        if (!(err instanceof StoreConflict)) throw err;
        return reply.redirect(`/dashboard/payments/${encodeURIComponent(id)}?done=refunded`, 303);
      }
      if (!result.ok) return refuse(plainError(result.error));
      if (result.value.status === 'failed') return refuse(`Antom refused the refund: ${result.value.failure_reason ?? result.value.failure_code ?? 'no reason given'}.`);
      return reply.redirect(`/dashboard/payments/${encodeURIComponent(id)}?done=refunded`, 303);
    });

    kit.post<{ id: string }>('/dashboard/payments/:id/cancel', async (req, reply, s) => {
      const id = req.params.id;
      const result = await cancelPaymentIntent(core, requestContext(req, s), id, {});
      if (!result.ok) {
        if (result.error.kind === 'not_found') return kit.html(reply, notFoundPage(s, id), 404);
        return showPayment(reply, s, id, { notice: { kind: 'error', text: plainError(result.error) } }, 409);
      }
      return reply.redirect(`/dashboard/payments/${encodeURIComponent(id)}?done=canceled`, 303);
    });
  };
}

