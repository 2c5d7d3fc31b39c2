/**
 * What every door of the one Fastify app shares: the input check that runs before any route, the
 * root's last-resort error handler, and the answer to what Fastify refuses before it has chosen a
 * route (a path that is not percent-encoded UTF-8, an id too long to route). Those reach one
 * `frameworkErrors` function, which answers in the dialect of the door the path leads to.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { refuseHostileInput } from './api/input.js';
import { v1ErrorHandler } from './api/v1/plugin.js';
import { checkoutErrorHandler } from './api/checkout.js';
import { NOTIFY_PATH, upstreamErrorHandler } from './api/upstream.js';
import { simulatorErrorHandler } from './simulator/routes.js';
import { webservicesErrorHandler } from './api/webservices/plugin.js';
import { dashboardErrorHandler } from './api/dashboard/session.js';
import { failureStatus, UNAVAILABLE_MESSAGE, unavailable } from './api/failure.js';

type ErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

const DOORS: readonly (readonly [prefix: string, handler: ErrorHandler])[] = [
  ['/v1/', v1ErrorHandler],
  ['/pay/', checkoutErrorHandler],
  [NOTIFY_PATH, upstreamErrorHandler],
  ['/return/', upstreamErrorHandler],
  ['/simulator/', simulatorErrorHandler],
  ['/json/', webservicesErrorHandler],
  ['/xml/', webservicesErrorHandler],
  ['/ams/', simulatorErrorHandler],
  ['/dashboard', dashboardErrorHandler],
];

/** The root's own routes (`/`, `/healthz`) in Fastify's shape; a 500 says only the request id. */
export async function lastResortErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const status = failureStatus(err);
  if (status === 503) {
    unavailable(reply, err);
    return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: UNAVAILABLE_MESSAGE });
  }
  if (status === 500) {
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: `internal error (request ${req.id})` });
  }
  return reply.code(status).send({ statusCode: status, error: 'Bad Request', message: err.message });
}

/** Fastify's `frameworkErrors` option: no route (and so no door's hooks) has run yet. */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  reply.header('Request-Id', req.id);
  const door = DOORS.find(([prefix]) => req.url.startsWith(prefix));
  void (door?.[1] ?? lastResortErrorHandler)(err, req, reply);
}

/** Installs the shared check and the root's error handler; call before registering the doors, so they inherit the hook. */
export function guardFrontDoors(app: FastifyInstance): void {
  app.addHook('preValidation', refuseHostileInput);
  app.setErrorHandler(lastResortErrorHandler);
}
