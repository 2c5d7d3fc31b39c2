/**
 * What the gateway's log may carry (DESIGN.md, "Logs"): route patterns and ids that grant nothing.
 * A URL can hold a client secret (`?client_secret=`, the merchant's return URL), a checkout
 * session id (`/pay/cs_…`) or a simulator payment code, so requests are logged by their route
 * pattern, never by their URL; errors are logged without the values some libraries hang on them.
 */
import pino from 'pino';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

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
    const line = { method: request.method, route: routeOf(request), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ route: routeOf(request), err: error }, 'request failed');
    else reply.log.info({ route: routeOf(request), status: reply.statusCode, code: (error as { code?: unknown }).code }, 'request refused');
  }

  // The request's completed line says 404 with no route; the default would print the URL.
  override routeNotFound(): void {}
}
