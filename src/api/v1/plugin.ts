/**
 * The Stripe-style front door at `/v1`: its own body parsers (JSON and Stripe's form encoding),
 * API-key auth, per-key rate limits, Idempotency-Key, and Stripe-shaped errors. Routes only parse
 * parameters, call one core operation and render the result.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../../core/context.js';
import type { CoreError, Result } from '../../core/errors.js';
import type { Db } from '../../store/db.js';
import { ApiKeyCache, displayKey, type ApiKeyRow } from '../../store/accounts.js';
import { rateCounterFor } from '../../store/rate-limits.js';
import { IdempotencyKeys, type Claim, type IdempotencyRow, type IdempotencyScope } from '../../store/idempotency.js';
import { IDEMPOTENCY_KEY_TAKEN, StoreConflict, type IdempotencyClaim } from '../../core/store.js';
import type { Presence } from '../../store/presence.js';
import { dialectOfHeaders, inDialect } from './dialect.js';
import { docUrl } from './error-codes.js';
import { loggableId } from '../../logging.js';
import { apiErrors, fromCoreError, type ApiError } from './errors.js';
import type { z } from 'zod';
import { FormError, parseForm } from './form.js';
import { InputError } from '../input.js';
import { parse } from './params.js';
import { checkExpand, type ExpandKind } from './expand.js';
import { paymentIntentRoutes } from './routes/payment-intents.js';
import { chargeRoutes } from './routes/charges.js';
import { refundRoutes } from './routes/refunds.js';
import { disputeRoutes } from './routes/disputes.js';
import { balanceRoutes } from './routes/balance.js';
import { fileRoutes } from './routes/files.js';
import { FILE_TOO_LARGE } from '../../core/files/create.js';
import { webhookRoutes } from './routes/webhooks.js';
import { catalogRoutes } from './routes/catalog.js';
import { checkoutRoutes } from './routes/checkout.js';
import { StoreUnavailable } from '../../core/store.js';
import { unavailable } from '../failure.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKeyRow;
    /** Set while this request holds an Idempotency-Key claim. */
    idem?: IdempotencyClaim;
    /** Set on routes that claim the key in their operation's own transaction ({@link claimingInTx}). */
    idemLate?: { claim: IdempotencyClaim; classic: () => Promise<Claim> };
    /** The request never started executing (bad parameters): forget its claim instead of saving it. */
    idemRelease?: boolean;
  }
  interface FastifyContextConfig {
    /** Routes a publishable key may call (they check the client_secret themselves). */
    publishable?: boolean;
    /** Routes whose operation claims the Idempotency-Key in its first transaction ({@link claimingInTx}). */
    claimInTx?: boolean;
  }
}

export interface V1Options {
  core: CoreDeps;
  db: Db;
  presence: Presence;
  /** The gateway's base URL, for links in answers (errors' doc_url). */
  publicUrl: () => string;
  rateLimitPerSecond: number;
  /** An in-progress claim with no recorded owner older than this is taken over (claims now name their process). */
  idempotencyStaleMs?: number;
}

export function sendError(reply: FastifyReply, e: ApiError): FastifyReply {
  if (e.headers) reply.headers(e.headers);
  return reply.code(e.status).send(e.body);
}

/**
 * What every /v1 answer goes through before it is serialized (the preSerialization hook): errors
 * get their doc_url, the log line its object or code, and Stripe's SDKs Stripe's dialect.
 */
function finishPayload(req: FastifyRequest, reply: FastifyReply, payload: unknown, publicUrl: string): unknown {
  // Every error points at its code's reference, as Stripe's do (error-codes.ts).
  const error = (payload as { error?: { code?: string; type?: string; doc_url?: string } } | null)?.error;
  if (error && typeof error === 'object' && !error.doc_url) {
    const code = error.code ?? (error.type === 'api_error' ? 'api_error' : undefined);
    if (code) error.doc_url = docUrl(publicUrl, code);
  }
  // The request's log line names the object it touched or the error it answered with.
  if (error && typeof error === 'object') req.logFields = { code: error.code ?? error.type };
  else req.logFields = { object: loggableId((payload as { id?: unknown } | null)?.id) };
  // Stripe's SDKs name a Stripe-Version: they get Stripe's conventions (dialect.ts).
  if (dialectOfHeaders(req.headers) !== 'stripe') return payload;
  reply.header('Stripe-Version', String(req.headers['stripe-version']));
  return inDialect(payload, 'stripe');
}

/**
 * A success's body as it will be sent, rendered before it is sent so that the operation can save
 * it with its Idempotency-Key in its own transaction (core's `ctx.idempotency_answer`). Send it
 * with {@link sendSaved}.
 */
export function successBody(req: FastifyRequest, reply: FastifyReply, payload: object): string {
  // A success carries no error, so no doc_url and no need of the public URL.
  return JSON.stringify(finishPayload(req, reply, payload, ''));
}

/** Sends a body {@link successBody} rendered and the operation saved with the request's key. */
export function sendSaved(req: FastifyRequest, reply: FastifyReply, body: string): FastifyReply {
  // Saved already: the answer is not saved again when it is sent.
  req.idem = undefined;
  return reply.code(200).type('application/json; charset=utf-8').send(body);
}

/** The answer to a request whose Idempotency-Key another request holds or has used. */
function answerFromKey(reply: FastifyReply, claim: IdempotencyClaim, row: IdempotencyRow): FastifyReply {
  if (row.request_hash !== claim.request_hash) return sendError(reply, apiErrors.idempotencyMismatch(claim.key));
  if (row.state === 'in_progress') return sendError(reply, apiErrors.idempotencyInProgress());
  reply.header('Idempotent-Replayed', 'true').header('Content-Type', 'application/json; charset=utf-8');
  return reply.code(row.response_status ?? 200).send(row.response_body ?? '{}');
}

/**
 * Runs an operation that claims the request's Idempotency-Key in its own first transaction
 * (routes with `config.claimInTx`; core gets the claim as `ctx.idempotency_claim`): for a new key,
 * the claim commits with the object, a statement less than claiming first. When the key is
 * already there, that transaction fails and nothing was done, or the operation refused before
 * reaching it; either way the request then takes the usual path: a key taken over from a dead
 * process runs the operation again (which resumes its object), any other key held or used by
 * another request answers. Answers undefined when it has answered.
 */
export async function claimingInTx<T extends Result<unknown>>(
  req: FastifyRequest, reply: FastifyReply, run: (claim: IdempotencyClaim | undefined) => Promise<T>,
): Promise<T | undefined> {
  const late = req.idemLate;
  if (!late) return run(undefined);
  req.idemLate = undefined;
  // Held from here: the answer is saved (or the claim released) as for a claim made first.
  req.idem = late.claim;
  let result: T | undefined;
  try {
    result = await run(late.claim);
    // A success committed the claim with the object.
    if (result.ok) return result;
  } catch (err) {
    if (!(err instanceof StoreConflict && err.constraint === IDEMPOTENCY_KEY_TAKEN)) throw err;
  }
  const claimed = await late.classic();
  // Claimed now (the refusal came before any transaction), or this request's own claim.
  if (result && (claimed.claimed || claimed.row.request_id === late.claim.request_id)) return result;
  if (!claimed.claimed) {
    req.idem = undefined;
    answerFromKey(reply, late.claim, claimed.row);
    return undefined;
  }
  return run(undefined);
}

/** Sends a core error in Stripe's shape; a parameter error also releases the idempotency claim. */
export function sendFailure(reply: FastifyReply, error: CoreError): FastifyReply {
  if (error.kind === 'invalid_request' && isParamError(error.code)) reply.request.idemRelease = true;
  return sendError(reply, fromCoreError(error));
}

/** Sends a core result: the object, or the error in Stripe's shape. */
export async function sendResult<T>(reply: FastifyReply, result: Result<T>, render: (value: T) => unknown | Promise<unknown>): Promise<FastifyReply> {
  if (!result.ok) return sendFailure(reply, result.error);
  return reply.code(200).send(await render(result.value));
}

/** The value of a parse, or undefined after sending its error. */
export function valueOr<T>(reply: FastifyReply, r: Result<T>): T | undefined {
  if (r.ok) return r.value;
  sendFailure(reply, r.error);
  return undefined;
}

function isParamError(code: string): boolean {
  return code.startsWith('parameter_') || code === 'expand_invalid';
}

/**
 * Parses a request's parameters and its `expand[]` for one kind of object; on failure the error
 * is sent and undefined returned, so a route reads `const p = parseParams(…); if (!p) return reply;`.
 */
export function parseParams<S extends z.ZodType>(
  reply: FastifyReply, schema: S, input: unknown, kind: ExpandKind, list = false,
): { params: z.infer<S>; expand: string[] } | undefined {
  const params = valueOr(reply, parse(schema, input));
  if (!params) return undefined;
  const expand = valueOr(reply, checkExpand(kind, (params as { expand?: string[] }).expand, list));
  return expand ? { params, expand } : undefined;
}

/** A scope the routes can use: only set after auth ran. */
export function scopeOf(req: FastifyRequest) {
  const key = req.apiKey!;
  return { account_id: key.account_id, livemode: key.livemode };
}

function canonical(v: unknown): unknown {
  // A file's bytes (multipart) count by their digest: the same file is the same request, whatever boundary carried it.
  if (v instanceof Uint8Array) return `sha256:${createHash('sha256').update(v).digest('hex')}`;
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

function readKey(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const [scheme, value] = h.split(/\s+/, 2);
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme!)) return value.trim();
  if (/^basic$/i.test(scheme!)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.split(':')[0]?.trim() || undefined;
  }
  return undefined;
}

/**
 * The last word on anything thrown in /v1: the client's mistakes in Stripe's shape, everything
 * else a bare 500 with the request id (the error itself goes to the log, never to the client).
 */
export async function v1ErrorHandler(err: Error & { statusCode?: number; code?: string }, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (req.idem) req.idemRelease = true;
  if (err instanceof InputError) return sendError(reply, apiErrors.badParam(err.message, err.param));
  if (err instanceof FormError || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return sendError(reply, apiErrors.badBody(err.message));
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // Only POST /v1/files takes multipart: its body is that big for its file alone.
    const upload = /^multipart\/form-data/i.test(String(req.headers['content-type'] ?? ''));
    return sendError(reply, upload ? apiErrors.tooLarge(FILE_TOO_LARGE, 'file') : apiErrors.tooLarge());
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, apiErrors.unsupportedMediaType(String(req.headers['content-type'])));
  if (err.code === 'FST_ERR_BAD_URL') return sendError(reply, apiErrors.unreadable(400, 'The URL is not valid: its path must be percent-encoded UTF-8.'));
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendError(reply, apiErrors.unreadable(414, 'An id in the URL is too long.'));
  // Fastify's own refusals of a request it could not read carry a 4xx and a message of its own making.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 && err.code?.startsWith('FST_')) {
    return sendError(reply, apiErrors.unreadable(err.statusCode, err.message));
  }
  if (err instanceof StoreUnavailable) {
    unavailable(reply, err);
    return sendError(reply, apiErrors.unavailable());
  }
  req.log.error({ err }, 'unhandled error in /v1');
  return sendError(reply, apiErrors.internal(req.id));
}

export function v1Plugin(opts: V1Options): FastifyPluginAsync {
  const staleMs = opts.idempotencyStaleMs ?? 120_000;
  const keys = new ApiKeyCache(opts.db);
  const counter = rateCounterFor(opts.db);
  const idempotency = new IdempotencyKeys(opts.db, opts.presence, staleMs);
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1_048_576 }, (_req, body, done) => {
      if (body === '') return done(null, {});
      try {
        const parsed = JSON.parse(body as string) as unknown;
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return done(new FormError('The JSON body must be an object of parameters.'));
        done(null, parsed);
      } catch (err) {
        done(new FormError(`Invalid JSON body: ${(err as Error).message}`));
      }
    });
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1_048_576 }, (_req, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (err) {
        done(err as Error);
      }
    });

    app.addHook('onRequest', async (req, reply) => {
      reply.header('Request-Id', req.id);
      const key = readKey(req);
      if (!key) return sendError(reply, apiErrors.noKey());
      // The request counts in the second it arrived, however long finding its key takes.
      const now = opts.core.clock.now();
      const found = /^(sk|pk|rk)_(test|live)_/.test(key) ? await keys.find(key, now) : undefined;
      if (!found) return sendError(reply, apiErrors.badKey(displayKey(key)));
      if (found.kind === 'publishable' && !req.routeOptions.config.publishable) return sendError(reply, apiErrors.publishableKey());
      if (opts.rateLimitPerSecond > 0 && (await counter.count(found.id, now - (now % 1000))) > opts.rateLimitPerSecond) {
        return sendError(reply, apiErrors.rateLimited(opts.rateLimitPerSecond));
      }
      req.apiKey = found;
    });

    app.addHook('preHandler', async (req, reply) => {
      const key = req.apiKey!;
      const idemKey = req.headers['idempotency-key'];
      if (req.method !== 'POST' || typeof idemKey !== 'string' || idemKey === '') return;
      reply.header('Idempotency-Key', idemKey);
      if (idemKey.length > 255) return sendError(reply, apiErrors.idempotencyKeyTooLong());
      const scope: IdempotencyScope = { account_id: key.account_id, livemode: key.livemode, key: idemKey };
      const path = req.url.split('?')[0]!;
      const hash = createHash('sha256').update(JSON.stringify([req.method, path, canonical(req.body ?? {})])).digest('hex');
      const claim = idempotency.claimFor(scope, { hash, method: req.method, path, requestId: req.id }, opts.core.clock.now());
      if (req.routeOptions.config.claimInTx) {
        // Held from here on: the operation's transaction may commit the claim.
        idempotency.hold(claim, reply.raw);
        req.idemLate = { claim, classic: () => idempotency.claim(claim) };
        return;
      }
      const claimed = await idempotency.claim(claim);
      if (claimed.claimed) {
        idempotency.hold(claim, reply.raw);
        req.idem = claim;
        opts.core.crashPoint('after_idempotency_claim');
        return;
      }
      return answerFromKey(reply, claim, claimed.row);
    });

    app.addHook('preSerialization', async (req, reply, payload) => finishPayload(req, reply, payload, opts.publicUrl()));

    app.addHook('onSend', async (req, reply, payload) => {
      const claim = req.idem;
      if (!claim) return payload;
      req.idem = undefined;
      // Saved: results of executed requests (2xx, and 4xx decided by core). Forgotten: bad
      // parameters (never executed) and 5xx (our operations are safe to run again).
      opts.core.crashPoint('before_idempotency_complete');
      if (req.idemRelease || reply.statusCode >= 500) {
        // A store that is gone cannot release it either: the claim stays, and the request's retry
        // takes it over (its request has ended: store/idempotency.ts).
        await idempotency.release(claim).catch((err: unknown) => req.log.warn({ err }, 'could not release an Idempotency-Key claim'));
      }
      else await idempotency.complete(claim, reply.statusCode, typeof payload === 'string' ? payload : JSON.stringify(payload));
      return payload;
    });

    app.setErrorHandler(v1ErrorHandler);

    app.setNotFoundHandler(async (req, reply) => sendError(reply, apiErrors.unknownRoute(req.method, req.url)));

    await app.register(paymentIntentRoutes(opts.core));
    await app.register(chargeRoutes(opts.core));
    await app.register(refundRoutes(opts.core));
    await app.register(disputeRoutes(opts.core));
    await app.register(balanceRoutes(opts.core));
    await app.register(fileRoutes(opts.core, opts.publicUrl));
    await app.register(webhookRoutes(opts.core));
    await app.register(catalogRoutes(opts.core));
    await app.register(checkoutRoutes(opts.core));
  };
}
