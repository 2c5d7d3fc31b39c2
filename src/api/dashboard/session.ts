/**
 * The dashboard's door: sign-in, sessions in cookies, the CSRF rule for every POST, and the
 * security headers of every page. Pages register their routes through {@link DashboardKit}, which
 * hands each handler the signed-in session's page context; a request without a session never
 * reaches them.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps, RequestContext } from '../../core/context.js';
import type { Scope } from '../../core/store.js';
import type { Db } from '../../store/db.js';
import type { DashboardQueries } from '../../store/dashboard.js';
import {
  admitLoginAttempt, checkLoginSecret, createSession, endSession, findSession, sameToken, type DashboardSession,
} from '../../store/dashboard-auth.js';
import { resolveLocale } from '../../pages/checkout/i18n.js';
import type { PageContext } from '../../pages/dashboard/layout.js';
import { forbiddenPage, loginPage, tooManyAttemptsPage } from '../../pages/dashboard/login.js';
import { FormError, parseForm } from '../v1/form.js';
import { InputError } from '../input.js';
import { failureStatus, UNAVAILABLE_MESSAGE, unavailable } from '../failure.js';

export const SESSION_COOKIE = 'oc_dashboard';
const LOGIN_COOKIE = 'oc_dashboard_login';
const MODE_COOKIE = 'oc_dashboard_mode';

export interface DashboardOptions {
  core: CoreDeps;
  db: Db;
  queries: DashboardQueries;
  sessionTtlMs: number;
  secureCookies: boolean;
  /** Live mode is configured: a session allowed to may switch to its data. */
  liveConfigured: boolean;
  accountName(accountId: string): Promise<string>;
  publicUrl(): string;
}

/** A signed-in request: who, which mode's data, and what its page needs. */
export interface Signed {
  session: DashboardSession;
  scope: Scope;
  ctx: PageContext;
}

type Handler<P> = (req: FastifyRequest<{ Params: P; Querystring: Record<string, string | undefined> }>, reply: FastifyReply, s: Signed) => Promise<unknown>;
type PostHandler<P> = (req: FastifyRequest<{ Params: P }>, reply: FastifyReply, s: Signed, body: Record<string, unknown>) => Promise<unknown>;

/** What page modules use to add their routes behind the sign-in. */
export interface DashboardKit {
  opts: DashboardOptions;
  get<P = Record<string, string>>(path: string, handler: Handler<P>): void;
  /** A form post: refused without the session's CSRF token before the handler runs. */
  post<P = Record<string, string>>(path: string, handler: PostHandler<P>): void;
  html(reply: FastifyReply, body: string, status?: number): FastifyReply;
}

/** Core's context for a change made from the dashboard: the signed-in scope, this request's id. */
export function requestContext(req: { id: string }, s: Signed, idempotencyKey: string | null = null): RequestContext {
  return { scope: s.scope, request_id: req.id, idempotency_key: idempotencyKey };
}

export function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) out[k] = part.slice(i + 1).trim();
  }
  return out;
}

function cookie(name: string, value: string, o: { maxAgeS?: number; secure: boolean; path?: string; sameSite?: 'Lax' | 'Strict' }): string {
  return [
    `${name}=${value}`, `Path=${o.path ?? '/'}`, 'HttpOnly', `SameSite=${o.sameSite ?? 'Lax'}`,
    ...(o.maxAgeS !== undefined ? [`Max-Age=${o.maxAgeS}`] : []), ...(o.secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * The query as the dashboard's lists read it: one string per name. The bracket parser can make a
 * name an object or a list (`currency[a]=1`), which no filter takes; such a value is dropped, so
 * the list shows as if it had not been given.
 */
export function plainQuery(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (query && typeof query === 'object') for (const [k, v] of Object.entries(query)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A `next` that stays on this dashboard (never an open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/dashboard(?:[/?#]|$)/.test(next) && !next.startsWith('//') && !/[\\\r\n]/.test(next) ? next : '/dashboard';
}

function newNonce(): string {
  return randomBytes(16).toString('base64');
}

function secureHeaders(reply: FastifyReply, nonce: string): void {
  reply.header('Content-Security-Policy', `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`);
  reply.header('Cache-Control', 'no-store');
  reply.header('Referrer-Policy', 'same-origin');
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY');
}

/** The session behind the request's cookie, if it is still valid. */
export async function sessionOf(db: Db, req: FastifyRequest, now: number): Promise<{ token: string; session: DashboardSession } | undefined> {
  const token = cookies(req)[SESSION_COOKIE];
  if (!token) return undefined;
  const session = await findSession(db, token, now);
  return session ? { token, session } : undefined;
}

/**
 * A browser's form post must come from this dashboard: the Origin (when the browser sends one)
 * names our host. The CSRF token is the rule; this is the second lock on the same door.
 */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** This door's last word: a request it could not read is a 4xx page; anything else a 500 page naming only the request id. */
export async function dashboardErrorHandler(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const status = failureStatus(err);
  if (status === 500) req.log.error({ err }, 'dashboard request failed');
  else if (status === 503) unavailable(reply, err);
  const nonce = newNonce();
  secureHeaders(reply, nonce);
  const message = status < 500
    ? `The request could not be read${err instanceof InputError ? `: ${err.message}` : '.'}`
    : status === 503 ? `${UNAVAILABLE_MESSAGE} Reload the page to see what was saved.`
      : `Something went wrong on our side (request ${req.id}). Reload the page to see what was saved, then try again.`;
  return reply.code(status).type('text/html; charset=utf-8').send(forbiddenPage(nonce, message, status < 500 ? 'Request not understood' : 'Something went wrong'));
}

export function dashboardDoor(opts: DashboardOptions, pages: ((kit: DashboardKit) => void)[]) {
  const { db, core } = opts;
  const secure = opts.secureCookies;
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (err) {
        done(err as FormError);
      }
    });

    const html = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body);

    async function signedIn(req: FastifyRequest, nonce: string): Promise<Signed | undefined> {
      const found = await sessionOf(db, req, core.clock.now());
      if (!found) return undefined;
      const { session } = found;
      const liveAllowed = opts.liveConfigured && session.via !== 'secret_key';
      const livemode = liveAllowed && cookies(req)[MODE_COOKIE] === 'live';
      const scope = { account_id: session.account_id, livemode };
      return {
        session,
        scope,
        ctx: {
          nonce, csrf: session.csrf, locale: resolveLocale(null, req.headers['accept-language']), livemode, liveAllowed,
          accountName: await opts.accountName(session.account_id), accountId: session.account_id, path: req.url,
        },
      };
    }

    const kit: DashboardKit = {
      opts,
      html,
      get(path, handler) {
        app.get(path, async (req, reply) => {
          const nonce = newNonce();
          secureHeaders(reply, nonce);
          const s = await signedIn(req, nonce);
          if (!s) return reply.redirect(`/dashboard/login?next=${encodeURIComponent(req.url)}`, 303);
          req.query = plainQuery(req.query);
          return handler(req as never, reply, s);
        });
      },
      post(path, handler) {
        app.post(path, async (req, reply) => {
          const nonce = newNonce();
          secureHeaders(reply, nonce);
          const s = await signedIn(req, nonce);
          const body = (req.body ?? {}) as Record<string, unknown>;
          if (!s) return reply.redirect('/dashboard/login', 303);
          if (!sameToken(body._csrf, s.session.csrf) || !sameOrigin(req)) {
            req.log.warn({ route: path }, 'dashboard form refused: missing or wrong CSRF token');
            return html(reply, forbiddenPage(nonce), 403);
          }
          return handler(req as never, reply, s, body);
        });
      },
    };

    app.get<{ Querystring: { next?: string } }>('/dashboard/login', async (req, reply) => {
      const nonce = newNonce();
      secureHeaders(reply, nonce);
      if (await sessionOf(db, req, core.clock.now())) return reply.redirect(safeNext(req.query.next), 303);
      // Double-submit token for the sign-in form: a page elsewhere cannot read it to forge a sign-in.
      const token = randomBytes(24).toString('base64url');
      reply.header('Set-Cookie', cookie(LOGIN_COOKIE, token, { secure, path: '/dashboard/login', sameSite: 'Strict', maxAgeS: 3600 }));
      return html(reply, loginPage({ nonce, csrf: token, next: safeNext(req.query.next) }));
    });

    app.post('/dashboard/login', async (req, reply) => {
      const nonce = newNonce();
      secureHeaders(reply, nonce);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const expected = cookies(req)[LOGIN_COOKIE];
      if (!expected || !sameToken(body._csrf, expected) || !sameOrigin(req)) return html(reply, forbiddenPage(nonce), 403);
      const next = safeNext(body.next);
      const admitted = await admitLoginAttempt(db, req.ip, core.clock.now());
      if (!admitted.ok) {
        const minutes = Math.max(1, Math.ceil(admitted.retryAfterMs / 60_000));
        reply.header('Retry-After', String(Math.ceil(admitted.retryAfterMs / 1000)));
        req.log.warn({ route: '/dashboard/login' }, 'dashboard sign-in refused: too many attempts from this address');
        return html(reply, tooManyAttemptsPage(nonce, minutes), 429);
      }
      const secret = typeof body.secret === 'string' ? body.secret.trim() : '';
      const who = secret ? await checkLoginSecret(db, secret) : undefined;
      if (!who) {
        req.log.info({ route: '/dashboard/login' }, 'dashboard sign-in failed');
        return html(reply, loginPage({ nonce, csrf: expected, next, error: 'That password or secret key is not right. Check it and try again.' }), 401);
      }
      const { token, session } = await createSession(db, { accountId: who.accountId, via: who.via, keyId: who.keyId, now: core.clock.now(), ttlMs: opts.sessionTtlMs });
      // A secret key opens the data of its own mode.
      const mode = secret.startsWith('sk_live_') && opts.liveConfigured ? 'live' : 'test';
      reply.header('Set-Cookie', [
        cookie(SESSION_COOKIE, token, { secure, maxAgeS: Math.floor((session.expires - session.created) / 1000) }),
        cookie(LOGIN_COOKIE, '', { secure, path: '/dashboard/login', sameSite: 'Strict', maxAgeS: 0 }),
        cookie(MODE_COOKIE, mode, { secure }),
      ]);
      req.log.info({ route: '/dashboard/login', via: who.via }, 'dashboard sign-in');
      return reply.redirect(next, 303);
    });

    kit.post('/dashboard/logout', async (req, reply) => {
      const token = cookies(req)[SESSION_COOKIE];
      if (token) await endSession(db, token);
      reply.header('Set-Cookie', [cookie(SESSION_COOKIE, '', { secure, maxAgeS: 0 }), cookie(MODE_COOKIE, '', { secure, maxAgeS: 0 })]);
      return reply.redirect('/dashboard/login', 303);
    });

    kit.post('/dashboard/mode', async (_req, reply, s, body) => {
      const mode = body.mode === 'live' && s.ctx.liveAllowed ? 'live' : 'test';
      reply.header('Set-Cookie', cookie(MODE_COOKIE, mode, { secure }));
      return reply.redirect(safeNext(body.back), 303);
    });

    for (const register of pages) register(kit);

    app.setErrorHandler(dashboardErrorHandler);
  };
}
