/**
 * What the gateway's log may carry (docs/architecture.md, "Rules of the house"): route patterns and ids that grant nothing.
 * A URL can hold a client secret (`?client_secret=`, the merchant's return URL), a checkout
 * session id (`/pay/cs_…`) or a simulator payment code, so requests are logged by their route
 * pattern, never by their URL; errors are logged without the values some libraries hang on them.
 */
import pino from 'pino';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request's log line adds: the object it touched, the error code it answered with. */
    logFields?: { object?: string; code?: string };
  }
}

/**
 * Ids that grant something are never logged: a Checkout Session id is its page's address, an
 * attempt id leads (through /return/…) to a client secret.
 */
export function loggableId(id: unknown): string | undefined {
  return typeof id === 'string' && /^[a-z]+_[A-Za-z0-9]+$/.test(id) && !/^(cs|pa)_/.test(id) ? id : undefined;
}

/** Requests repeated every few seconds: the checkout page's status, `opencashier listen`'s feed, health checks and scrapes. */
const POLLED_ROUTES = new Set(['/pay/:id/status', '/healthz', '/readyz', '/metrics']);
function isPolling(req: FastifyRequest): boolean {
  return POLLED_ROUTES.has(routeOf(req)) || req.headers['user-agent'] === 'opencashier-listen';
}

/** The route a request matched, as declared (`/v1/payment_intents/:id`), or a marker when none did. */
export function routeOf(req: Pick<FastifyRequest, 'routeOptions'>): string {
  return req.routeOptions?.url ?? '(no route)';
}

/**
 * Properties some errors carry that hold request or row data: PGlite's `params` and `query`,
 * PostgreSQL's `detail` ("Key (secret)=(whsec_…)", "Failing row contains (…)") and `where`, Node's
 * HTTP parser's `rawPacket` (the request bytes, headers included).
 */
const ERROR_DATA_PROPERTIES = ['params', 'query', 'queryOptions', 'detail', 'where', 'internalQuery', 'rawPacket'];

/** A copy without those properties at any depth (pino serializes error-valued properties too); the error itself is left alone. */
function withoutData(value: unknown, depth = 0): unknown {
  if (!value || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => withoutData(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (!ERROR_DATA_PROPERTIES.includes(key)) out[key] = withoutData(inner, depth + 1);
  return out;
}

function errValue(err: unknown): unknown {
  return err instanceof Error ? withoutData(pino.stdSerializers.err(err)) : err;
}

export const logSerializers: Record<string, (value: any) => unknown> = {
  // Fastify's own serializers would print `req.url`; anything that logs a request gets this instead.
  req: (req: FastifyRequest) => ({ method: req.method, route: routeOf(req) }),
  res: (reply: FastifyReply) => ({ status: reply.statusCode }),
  err: errValue,
};

export interface LoggerSettings {
  level: string;
  /** Where lines go (default stdout); tests capture them. */
  stream?: pino.DestinationStream;
}

/** Fastify's `logger` option: pino with our serializers, and headers that carry keys redacted wherever they appear. */
export function loggerOptions(s: LoggerSettings) {
  return {
    level: s.level,
    serializers: logSerializers,
    redact: ['headers.authorization', 'headers.signature', '*.headers.authorization', '*.headers.signature'],
    ...(s.stream ? { stream: s.stream } : {}),
  };
}

/**
 * Fastify's request log lines, by route pattern: one line per request when its response is done
 * (method, route, status, time; the child logger adds the request id), and the error of a 5xx
 * that reached Fastify's default handler. Fastify's own lines would print the URL.
 */
export class RouteLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, route: routeOf(request), status: reply.statusCode, ms: Math.round(reply.elapsedTime), ...request.logFields };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (isPolling(request)) reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ route: routeOf(request), err: error }, 'request failed');
    else reply.log.info({ route: routeOf(request), status: reply.statusCode, code: (error as { code?: unknown }).code }, 'request refused');
  }

  // The request's completed line says 404 with no route; the default would print the URL.
  override routeNotFound(): void {}
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'method', 'route', 'status', 'ms', 'object', 'code']);

function color(on: boolean, code: number, text: string): string {
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** One pino JSON line as a person reads it on a terminal. */
export function formatLogLine(line: string, colors = false): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.replace(/\n$/, '');
  }
  const time = typeof e.time === 'number' ? new Date(e.time).toTimeString().slice(0, 8) : '';
  const level = typeof e.level === 'number' ? e.level : 30;
  const req = typeof e.reqId === 'string' ? color(colors, 2, e.reqId) : '';
  if (e.route !== undefined && e.status !== undefined && e.method !== undefined) {
    const status = Number(e.status);
    const statusText = color(colors, status >= 500 ? 31 : status >= 400 ? 33 : 32, String(status));
    const parts = [color(colors, 2, time), String(e.method).padEnd(6), String(e.route), statusText, `${String(e.ms ?? '?')} ms`];
    if (typeof e.object === 'string') parts.push(e.object);
    if (typeof e.code === 'string') parts.push(color(colors, 33, e.code));
    if (req) parts.push(req);
    const err = e.err as { message?: string } | undefined;
    if (err?.message) parts.push(color(colors, 31, `— ${err.message}`));
    return parts.join('  ');
  }
  const name = LEVELS[level] ?? String(level);
  const tag = color(colors, level >= 50 ? 31 : level >= 40 ? 33 : 36, name.padEnd(5));
  const extras = Object.entries(e)
    .filter(([k]) => !OMIT_FIELDS.has(k))
    .map(([k, v]) => {
      if (k === 'err' && v && typeof v === 'object') {
        const err = v as { type?: string; message?: string; stack?: string; code?: string };
        return `err=${err.type ?? 'Error'}${err.code ? `(${err.code})` : ''}: ${err.message ?? ''}${level >= 50 && err.stack ? `\n${err.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
      }
      return `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
    });
  return [color(colors, 2, time), tag, String(e.msg ?? ''), ...extras, req].filter(Boolean).join('  ');
}

/** A pino destination that writes {@link formatLogLine} lines to `out` (a terminal). */
export function prettyStream(out: NodeJS.WritableStream, colors: boolean): pino.DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line.trim()) out.write(`${formatLogLine(line, colors)}\n`);
    },
  };
}
