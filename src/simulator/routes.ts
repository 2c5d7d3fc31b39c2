/**
 * HTTP surface of the simulator, as one encapsulated Fastify plugin: Antom's endpoints (signed
 * both ways, with scripted faults), the shopper pages, and the JSON script API for tests.
 * Every body arrives as the raw string so signatures are checked over the exact bytes.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseSignatureHeader, signatureHeader, signMessageAsync, verifyMessage } from '../connectors/antom/signing.js';
import { API_HANDLERS, isApiName } from './antom-api.js';
import { createContext, type SimContext, type SimulatorOptions } from './context.js';
import { addFault, clearFaults, DEFAULT_TIMEOUT_DELAY_MS, FAULT_APIS, FAULT_KINDS, faultAllowed, pendingFaults, takeFault, type Fault } from './faults.js';
import { codeValueFrom, completePayment, loadPayment, type CompleteInput } from './payments.js';
import { contentSecurityPolicy, renderCashier, renderNotFound, renderResult, renderWallet, statusView, type PageView } from './pages.js';
import { findPayment, listAttempts, listNotifications, listRefunds, type DisputeRow, type NotificationRow, type PaymentRow } from './store.js';
import { attachedText, cancelDispute, defenceFormat, escalateDispute, findDispute, judgeDispute, openDispute, paidPaymentOfOrder, type DisputeAnswer } from './disputes.js';
import { failure, isObject, parseRequestTime, PAYMENT_FAILURE_CODES, result, type Json } from './wire.js';
import { InputError, inspectInput, textProblem } from '../api/input.js';
import { failureStatus, UNAVAILABLE_MESSAGE, unavailable } from '../api/failure.js';

const BODY_LIMIT = 1024 * 1024;
const API_PREFIXES = ['/ams/api/v1/payments/', '/ams/sandbox/api/v1/payments/'];

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function rawBody(req: FastifyRequest): string {
  return typeof req.body === 'string' ? req.body : '';
}

// ---------------------------------------------------------------------------------------------
// Antom endpoints

type Authenticated = { ok: true; clientId: string } | { ok: false; answer: Json };

/**
 * The path Antom signs: the request target without scheme and host. Alipay's official SDKs write
 * the request line in absolute form (`POST https://host/ams/api/v1/payments/pay HTTP/1.1`).
 */
function signedPath(req: FastifyRequest): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(req.url)) return req.url;
  const u = new URL(req.url);
  return u.pathname + u.search;
}

/** Client-Id, Request-Time and a signature over `POST <path>\n<clientId>.<time>.<body>` (antom.md §2). */
function authenticate(ctx: SimContext, req: FastifyRequest): Authenticated {
  const clientId = header(req, 'client-id');
  const key = clientId ? ctx.merchantKeys.get(clientId) : undefined;
  if (!clientId || !key) return { ok: false, answer: failure('INVALID_CLIENT', clientId ? `Unknown Client-Id ${clientId}.` : 'The Client-Id header is missing.') };
  const time = header(req, 'request-time');
  if (!time || parseRequestTime(time) === undefined) {
    return { ok: false, answer: failure('PARAM_ILLEGAL', 'The Request-Time header must be epoch milliseconds or ISO-8601.') };
  }
  const sig = parseSignatureHeader(header(req, 'signature'));
  if (!sig) return { ok: false, answer: failure('INVALID_SIGNATURE', 'The Signature header is missing or unreadable.') };
  if (sig.algorithm.toUpperCase() !== 'RSA256') return { ok: false, answer: failure('INVALID_SIGNATURE', `Unsupported algorithm ${sig.algorithm}.`) };
  const valid = verifyMessage({ method: 'POST', path: signedPath(req), clientId, time, body: rawBody(req) }, sig.signature, key);
  return valid ? { ok: true, clientId } : { ok: false, answer: failure('INVALID_SIGNATURE') };
}

/** Serializes once and signs exactly those bytes; a `bad_signature` fault signs other bytes. */
async function sendSigned(ctx: SimContext, req: FastifyRequest, reply: FastifyReply, answer: Json, corrupt: boolean): Promise<FastifyReply> {
  const text = JSON.stringify(answer);
  const clientId = header(req, 'client-id') ?? '';
  const time = String(ctx.clock.now());
  const signature = await signMessageAsync({ method: 'POST', path: signedPath(req), clientId, time, body: corrupt ? `${text} ` : text }, ctx.antomKey);
  return reply
    .code(200)
    .header('content-type', 'application/json; charset=UTF-8')
    .header('client-id', clientId)
    .header('response-time', time)
    .header('signature', signatureHeader(signature))
    .send(text);
}

async function handleAntom(ctx: SimContext, closing: AbortSignal, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const auth = authenticate(ctx, req);
  if (!auth.ok) return sendSigned(ctx, req, reply, auth.answer, false);
  const name = (req.params as { name: string }).name;
  if (!isApiName(name)) return sendSigned(ctx, req, reply, failure('NO_INTERFACE_DEF', `The simulator does not implement ${name}.`), false);
  let body: unknown;
  try {
    body = JSON.parse(rawBody(req));
  } catch {
    return sendSigned(ctx, req, reply, failure('PARAM_ILLEGAL', 'The body must be a JSON object.'), false);
  }
  if (!isObject(body)) return sendSigned(ctx, req, reply, failure('PARAM_ILLEGAL', 'The body must be a JSON object.'), false);
  const unreadable = inspectInput(body);
  if (unreadable) return sendSigned(ctx, req, reply, failure('PARAM_ILLEGAL', unreadable.message), false);

  const fault = await takeFault(ctx.db, name);
  if (fault) req.log.info({ api: name, fault: fault.kind, code: fault.code }, 'simulator fault injected');
  if (fault?.kind === 'http_500') {
    return reply.code(500).header('content-type', 'text/plain; charset=utf-8').send('Internal Server Error (simulated)');
  }
  let answer: Json;
  if (fault?.kind === 'unknown') answer = { result: result('U', 'UNKNOWN_EXCEPTION') };
  else if (fault?.kind === 'fail') answer = failure(fault.code ?? 'PROCESS_FAIL');
  else answer = await API_HANDLERS[name](ctx, auth.clientId, body, fault);
  if (fault?.kind === 'timeout') {
    // Processed, but answered after the client has given up; a closing server stops waiting.
    await sleep(fault.delay_ms ?? DEFAULT_TIMEOUT_DELAY_MS, undefined, { signal: closing }).catch(() => undefined);
  }
  return sendSigned(ctx, req, reply, answer, fault?.kind === 'bad_signature');
}

// ---------------------------------------------------------------------------------------------
// Shopper pages

function sendHtml(reply: FastifyReply, nonce: string, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', contentSecurityPolicy(nonce))
    .send(html);
}

const newNonce = (): string => randomBytes(16).toString('base64');

function queryCode(req: FastifyRequest): string | undefined {
  const v = (req.query as Record<string, unknown>).codeValue;
  return typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : undefined;
}

async function pageFor(ctx: SimContext, codeValue: string | undefined): Promise<PaymentRow | undefined> {
  return codeValue ? loadPayment(ctx, { codeValue }) : undefined;
}

async function renderView(ctx: SimContext, p: PaymentRow, view: PageView, nonce: string, error?: string): Promise<string> {
  const extras = { nonce, ...(error ? { error } : {}) };
  return view === 'cashier' ? renderCashier(ctx, p, extras) : renderWallet(ctx, p, extras);
}

function registerPages(app: FastifyInstance, ctx: SimContext): void {
  for (const view of ['cashier', 'wallet'] as const) {
    app.get(`/simulator/${view}`, async (req, reply) => {
      const nonce = newNonce();
      const p = await pageFor(ctx, queryCode(req));
      if (!p) return sendHtml(reply, nonce, 404, renderNotFound(nonce));
      return sendHtml(reply, nonce, 200, await renderView(ctx, p, view, nonce));
    });
  }

  app.get('/simulator/status', async (req, reply) => {
    const p = await pageFor(ctx, queryCode(req));
    if (!p) return reply.code(404).header('cache-control', 'no-store').send({ error: { code: 'payment_not_found', message: 'No payment has this code.' } });
    const s = statusView(p);
    return reply.header('cache-control', 'no-store').send({
      status: s.status, final: s.final, headline: s.headline, detail: s.detail, ...(s.final ? { redirectUrl: p.redirect_url } : {}),
    });
  });

  // The buttons: a plain form POST, answered with a redirect to the result so a reload does not resubmit.
  app.post('/simulator/pay', async (req, reply) => {
    const nonce = newNonce();
    const form = new URLSearchParams(rawBody(req));
    // Percent-decoding happens here, after the door's own check of the raw body.
    for (const [k, v] of form) {
      const nameWhy = textProblem(k);
      const why = nameWhy ?? textProblem(v);
      if (why) throw new InputError(nameWhy ? `A form field name ${why}.` : `Invalid ${k}: ${why}.`, nameWhy ? undefined : k);
    }
    const codeValue = form.get('codeValue') ?? undefined;
    const view: PageView = form.get('view') === 'wallet' ? 'wallet' : 'cashier';
    const action = form.get('action');
    const p = await pageFor(ctx, codeValue);
    if (!p) return sendHtml(reply, nonce, 404, renderNotFound(nonce));
    if (action !== 'authorize' && action !== 'fail') return sendHtml(reply, nonce, 400, await renderView(ctx, p, view, nonce, 'Choose Authorize or Fail.'));
    const wallet = form.get('wallet') || undefined;
    if (action === 'authorize' && p.method === 'CONNECT_WALLET' && !wallet && !p.wallet) {
      return sendHtml(reply, nonce, 400, await renderView(ctx, p, view, nonce, 'Choose your wallet first.'));
    }
    const done = await completePayment(ctx, { codeValue: p.code_value }, {
      outcome: action === 'authorize' ? 'succeeded' : 'failed',
      ...(wallet ? { wallet } : {}),
      notify: true,
    });
    if (!done.ok) {
      const current = done.payment ?? (await findPayment(ctx.db, { codeValue: p.code_value })) ?? p;
      return sendHtml(reply, nonce, done.httpStatus, await renderView(ctx, current, view, nonce, done.message));
    }
    return reply.code(303).header('location', `/simulator/result?codeValue=${encodeURIComponent(p.code_value)}&view=${view}`).send();
  });

  app.get('/simulator/result', async (req, reply) => {
    const nonce = newNonce();
    const codeValue = queryCode(req);
    const view: PageView = (req.query as Record<string, unknown>).view === 'wallet' ? 'wallet' : 'cashier';
    const p = await pageFor(ctx, codeValue);
    if (!p) return sendHtml(reply, nonce, 404, renderNotFound(nonce));
    if (!statusView(p).final) return reply.code(303).header('location', `/simulator/${view}?codeValue=${encodeURIComponent(p.code_value)}`).send();
    return sendHtml(reply, nonce, 200, renderResult(p, view, { nonce }));
  });
}

// ---------------------------------------------------------------------------------------------
// Script API (JSON) for tests and debugging

function apiError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

function parseJson(req: FastifyRequest): { ok: true; value: unknown } | { ok: false; code: string; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(rawBody(req) || '{}');
  } catch {
    return { ok: false, code: 'invalid_json', message: 'The body must be JSON.' };
  }
  const problem = inspectInput(value);
  return problem ? { ok: false, code: 'parameter_invalid', message: problem.message } : { ok: true, value };
}

/** A codeValue taken out of a URL is decoded text: one the store could not hold names no payment. */
function codeIn(url: string): string | undefined {
  const code = codeValueFrom(url);
  return code !== undefined && textProblem(code) === undefined ? code : undefined;
}

export const completeSchema = z.object({
  url: z.string().min(1).max(4096),
  outcome: z.enum(['succeeded', 'failed', 'processing']),
  wallet: z.string().regex(/^[A-Z0-9_]{2,40}$/).optional(),
  failure_code: z.enum(PAYMENT_FAILURE_CODES, { error: `must be one of Antom's payment failure codes: ${PAYMENT_FAILURE_CODES.join(', ')}` }).optional(),
  notify: z.boolean().optional(),
}).strict();

export const faultSchema = z.object({
  api: z.enum(FAULT_APIS),
  kind: z.enum(FAULT_KINDS),
  code: z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/).optional(),
  times: z.number().int().min(1).max(1000).optional(),
  delay_ms: z.number().int().min(0).max(600_000).optional(),
}).strict();

export const openDisputeSchema = z.object({
  payment_intent: z.string().min(1).max(255).optional().describe('The gateway\'s PaymentIntent id (Antom\'s referenceOrderId) of a paid payment.'),
  url: z.string().min(1).max(4096).optional().describe('Or a URL the simulator handed out for the payment.'),
  amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().describe('In minor units; the whole payment by default.'),
  reason: z.string().min(1).max(256).optional().describe('Antom\'s disputeReasonMsg.'),
  defense_window_seconds: z.number().int().min(1).max(365 * 86_400).optional().describe('Until defenseDueTime; 7 days by default.'),
  kind: z.enum(['chargeback', 'retrieval']).optional().describe('A chargeback (the default: the funds are frozen) or a retrieval request (documents asked for, nothing frozen).'),
}).strict();

export const judgeDisputeSchema = z.object({
  result: z.enum(['ACCEPT_BY_CUSTOMER', 'ACCEPT_BY_MERCHANT', 'VALIDATE_SUCCESS', 'VALIDATE_FAIL']).describe(
    'A chargeback: ACCEPT_BY_CUSTOMER (the buyer bears it, the merchant wins) or ACCEPT_BY_MERCHANT (the merchant bears it). '
    + 'A retrieval request: VALIDATE_SUCCESS (the documents satisfied it) or VALIDATE_FAIL (it becomes a chargeback).'),
}).strict();

export const escalateDisputeSchema = z.object({
  defense_window_seconds: z.number().int().min(1).max(365 * 86_400).optional().describe('The chargeback\'s own window; as long as the retrieval request\'s by default.'),
}).strict();

export const cancelDisputeSchema = z.object({}).strict();

function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** The simulator's own view of a payment, with its refunds and every notification attempt. */
async function paymentJson(ctx: SimContext, p: PaymentRow): Promise<Json> {
  const [refunds, notifications] = await Promise.all([listRefunds(ctx.db, p.payment_id), listNotifications(ctx.db, p.payment_id)]);
  const attempts = await listAttempts(ctx.db, notifications.map((n) => n.id));
  return {
    payment_id: p.payment_id,
    payment_request_id: p.payment_request_id,
    client_id: p.client_id,
    status: p.status,
    result_code: p.result_code,
    result_message: p.result_message,
    method: p.method,
    wallet: p.wallet,
    amount: p.amount,
    currency: p.currency,
    terminal_type: p.terminal_type,
    reference_order_id: p.reference_order_id,
    description: p.description,
    redirect_url: p.redirect_url,
    notify_url: p.notify_url,
    created_at: p.created_at,
    expires_at: p.expires_at,
    paid_at: p.paid_at,
    cancelled_at: p.cancelled_at,
    refunds: refunds.map((r) => ({
      refund_id: r.refund_id, refund_request_id: r.refund_request_id, status: r.status, amount: r.amount, currency: r.currency,
      result_code: r.result_code, reason: r.reason, created_at: r.created_at, refund_time: r.refund_time,
    })),
    notifications: notifications.map((n) => ({
      id: n.id, kind: n.kind, notify_type: n.notify_type, refund_id: n.refund_id, url: n.url, body: JSON.parse(n.body) as unknown,
      attempts: n.attempts, next_attempt_at: n.next_attempt_at, last_status: n.last_status, last_error: n.last_error,
      delivered_at: n.delivered_at, gave_up_at: n.gave_up_at, created_at: n.created_at,
      attempt_log: attempts.filter((a) => a.notification_id === n.id).map((a) => ({
        attempt: a.attempt, at: a.at, http_status: a.http_status, error: a.error, delivered: a.delivered,
      })),
    })),
  };
}

function defenceView(base64: string | null) {
  if (base64 === null) return { defense_document: null, defense_document_format: null, defense_document_bytes: null, defense_document_base64: null };
  const bytes = Buffer.from(base64, 'base64');
  const format = defenceFormat(bytes);
  return {
    defense_document: format === 'TEXT' ? bytes.toString('utf8') : attachedText(bytes) ?? null,
    defense_document_format: format,
    defense_document_bytes: bytes.length,
    defense_document_base64: base64,
  };
}

async function disputeJson(ctx: SimContext, d: DisputeRow): Promise<Json> {
  const notifications = await ctx.db.query<NotificationRow>('SELECT * FROM sim_notifications WHERE dispute_id = $1 ORDER BY id', [d.dispute_id]);
  return {
    dispute_id: d.dispute_id,
    payment_id: d.payment_id,
    client_id: d.client_id,
    status: d.status,
    dispute_type: d.dispute_type,
    judged_result: d.judged_result,
    amount: d.amount,
    currency: d.currency,
    reason: d.reason_msg,
    created_at: d.created_at,
    defense_due_at: d.defense_due_at,
    judged_at: d.judged_at,
    alert_at: d.alert_at,
    cancelled_at: d.cancelled_at,
    escalated_at: d.escalated_at,
    defense_supplied_at: d.defense_supplied_at,
    // The defence as the simulator decoded it: its format, size and text (a PDF's attached evidence.txt).
    ...defenceView(d.defense_document),
    notifications: notifications.map((n) => ({
      id: n.id, notify_type: n.notify_type, body: JSON.parse(n.body) as unknown, attempts: n.attempts,
      last_status: n.last_status, last_error: n.last_error, delivered_at: n.delivered_at, gave_up_at: n.gave_up_at,
    })),
  };
}

function faultJson(f: Fault): Json {
  return { id: f.id, api: f.api, kind: f.kind, code: f.code, remaining: f.remaining, delay_ms: f.delay_ms };
}

function registerScriptApi(app: FastifyInstance, ctx: SimContext): void {
  app.post('/simulator/v1/complete', async (req, reply) => {
    const parsed = parseJson(req);
    if (!parsed.ok) return apiError(reply, 400, parsed.code, parsed.message);
    const input = completeSchema.safeParse(parsed.value);
    if (!input.success) return apiError(reply, 400, 'invalid_request', zodMessage(input.error));
    const codeValue = codeIn(input.data.url);
    if (!codeValue) return apiError(reply, 400, 'invalid_url', 'url must be a URL the simulator handed out (normalUrl, applinkUrl or schemeUrl).');
    const request: CompleteInput = {
      outcome: input.data.outcome,
      notify: input.data.notify ?? true,
      ...(input.data.wallet ? { wallet: input.data.wallet } : {}),
      ...(input.data.failure_code ? { failureCode: input.data.failure_code } : {}),
    };
    const done = await completePayment(ctx, { codeValue }, request);
    if (!done.ok) return apiError(reply, done.httpStatus, done.code, done.message);
    return reply.send(await paymentJson(ctx, done.payment));
  });

  app.get('/simulator/v1/payments', async (req, reply) => {
    const url = (req.query as Record<string, unknown>).url;
    const codeValue = typeof url === 'string' ? codeIn(url) : undefined;
    if (!codeValue) return apiError(reply, 400, 'invalid_url', 'Pass ?url= with a URL the simulator handed out.');
    const p = await loadPayment(ctx, { codeValue });
    if (!p) return apiError(reply, 404, 'payment_not_found', 'No payment has this URL.');
    return reply.send(await paymentJson(ctx, p));
  });

  app.get('/simulator/v1/payments/:paymentId', async (req, reply) => {
    const { paymentId } = req.params as { paymentId: string };
    const p = await loadPayment(ctx, { paymentId });
    if (!p) return apiError(reply, 404, 'payment_not_found', `No payment ${paymentId}.`);
    return reply.send(await paymentJson(ctx, p));
  });

  app.post('/simulator/v1/disputes', async (req, reply) => {
    const parsed = parseJson(req);
    if (!parsed.ok) return apiError(reply, 400, parsed.code, parsed.message);
    const input = openDisputeSchema.safeParse(parsed.value);
    if (!input.success) return apiError(reply, 400, 'invalid_request', zodMessage(input.error));
    const { payment_intent, url } = input.data;
    if ((payment_intent === undefined) === (url === undefined)) return apiError(reply, 400, 'invalid_request', 'Name the payment with payment_intent or url (one of them).');
    let p: PaymentRow | undefined;
    if (url !== undefined) {
      const codeValue = codeIn(url);
      if (!codeValue) return apiError(reply, 400, 'invalid_url', 'url must be a URL the simulator handed out (normalUrl, applinkUrl or schemeUrl).');
      p = await findPayment(ctx.db, { codeValue });
    } else {
      const why = textProblem(payment_intent!);
      if (why) return apiError(reply, 400, 'invalid_request', `payment_intent ${why}.`);
      p = await paidPaymentOfOrder(ctx, payment_intent!);
    }
    if (!p) return apiError(reply, 404, 'payment_not_found', 'No payment matches.');
    const opened = await openDispute(ctx, p.payment_id, {
      ...(input.data.amount !== undefined ? { amount: input.data.amount } : {}),
      ...(input.data.reason !== undefined ? { reason: input.data.reason } : {}),
      ...(input.data.defense_window_seconds !== undefined ? { defenseWindowMs: input.data.defense_window_seconds * 1000 } : {}),
      ...(input.data.kind === 'retrieval' ? { retrieval: true } : {}),
    });
    if (!opened.ok) return apiError(reply, opened.httpStatus, opened.code, opened.message);
    return reply.send(await disputeJson(ctx, opened.dispute));
  });

  app.get('/simulator/v1/disputes/:disputeId', async (req, reply) => {
    const { disputeId } = req.params as { disputeId: string };
    const d = await findDispute(ctx, disputeId);
    if (!d) return apiError(reply, 404, 'dispute_not_found', `No dispute ${disputeId}.`);
    return reply.send(await disputeJson(ctx, d));
  });

  /** The script routes that change one dispute: a JSON body checked by `schema`, then `act`. */
  const disputeAction = <S extends z.ZodType>(verb: string, schema: S, act: (disputeId: string, input: z.infer<S>) => Promise<DisputeAnswer>) => {
    app.post(`/simulator/v1/disputes/:disputeId/${verb}`, async (req, reply) => {
      const { disputeId } = req.params as { disputeId: string };
      const parsed = parseJson(req);
      if (!parsed.ok) return apiError(reply, 400, parsed.code, parsed.message);
      const input = schema.safeParse(parsed.value);
      if (!input.success) return apiError(reply, 400, 'invalid_request', zodMessage(input.error));
      const done = await act(disputeId, input.data);
      if (!done.ok) return apiError(reply, done.httpStatus, done.code, done.message);
      return reply.send(await disputeJson(ctx, done.dispute));
    });
  };
  disputeAction('judge', judgeDisputeSchema, (id, input) => judgeDispute(ctx, id, input.result));
  disputeAction('escalate', escalateDisputeSchema, (id, input) => escalateDispute(ctx, id, input.defense_window_seconds === undefined ? undefined : input.defense_window_seconds * 1000));
  disputeAction('cancel', cancelDisputeSchema, (id) => cancelDispute(ctx, id));

  app.post('/simulator/v1/faults', async (req, reply) => {
    const parsed = parseJson(req);
    if (!parsed.ok) return apiError(reply, 400, parsed.code, parsed.message);
    const input = faultSchema.safeParse(parsed.value);
    if (!input.success) return apiError(reply, 400, 'invalid_request', zodMessage(input.error));
    const f = input.data;
    if (!faultAllowed(f.api, f.kind)) {
      return apiError(reply, 400, 'invalid_request', f.api === 'notify' ? 'Notifications support kind "fail" only.' : 'kind "async" applies to refund only.');
    }
    const fault = await addFault(ctx.db, {
      api: f.api, kind: f.kind, times: f.times ?? 1, ...(f.code ? { code: f.code } : {}), ...(f.delay_ms !== undefined ? { delayMs: f.delay_ms } : {}),
    }, ctx.clock.now());
    return reply.send({ fault: faultJson(fault) });
  });

  app.get('/simulator/v1/faults', async (_req, reply) => reply.send({ faults: (await pendingFaults(ctx.db)).map(faultJson) }));

  app.delete('/simulator/v1/faults', async (_req, reply) => reply.send({ deleted: await clearFaults(ctx.db) }));
}

// ---------------------------------------------------------------------------------------------

/**
 * The simulator's last word: its script API and pages answer `{error: {code, message}}`, Antom's
 * endpoints plain text (Antom's clients read any non-200 as "outcome unknown" and retry). A 500
 * never carries the error's own text, only the request id; the error goes to the log.
 */
export async function simulatorErrorHandler(err: { statusCode?: number; code?: string; message: string }, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const status = failureStatus(err);
  if (status === 500) req.log.error({ err }, 'simulator request failed');
  else if (status === 503) unavailable(reply, err);
  if (req.url.startsWith('/simulator/')) {
    return reply.code(status).send({
      error: status === 500 ? { code: 'internal_error', message: `The simulator failed (request ${req.id}).` }
        : status === 503 ? { code: 'unavailable', message: UNAVAILABLE_MESSAGE }
          : { code: (err.code ?? 'bad_request').toLowerCase(), message: err.message },
    });
  }
  const text = status === 500 ? `Internal Server Error (request ${req.id})` : status === 503 ? `Service Unavailable (request ${req.id})` : err.message;
  return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(text);
}

/** An encapsulated plugin (register it at the root, without prefix): it owns `/ams/…` and `/simulator/…`. */
export function simulatorPlugin(opts: SimulatorOptions): FastifyPluginAsync {
  return async (app) => {
    const ctx = createContext(opts);
    const closing = new AbortController();
    app.addHook('preClose', async () => closing.abort());

    // Raw strings for every content type: Antom signs the exact bytes, pages post forms, scripts post JSON.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

    app.setErrorHandler(simulatorErrorHandler);

    for (const prefix of API_PREFIXES) {
      app.post(`${prefix}:name`, (req, reply) => handleAntom(ctx, closing.signal, req, reply));
    }
    registerPages(app, ctx);
    registerScriptApi(app, ctx);
  };
}
