/**
 * What every door answers for something thrown that is not the client's mistake: 503 while the
 * store cannot be reached (StoreUnavailable: the request may be retried, and says so), 500 for
 * anything else. A 4xx Fastify attached (a request it could not read) stays the client's.
 */
import type { FastifyReply } from 'fastify';
import { StoreUnavailable } from '../core/store.js';

/** Seconds a client is told to wait before retrying while the store is unavailable. */
export const RETRY_AFTER_SECONDS = 2;

export const UNAVAILABLE_MESSAGE = 'The gateway cannot reach its database just now, so this request could not be completed. Retry in a few seconds.';

export function failureStatus(err: { statusCode?: number }): number {
  if (err instanceof StoreUnavailable) return 503;
  return typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
}

/** Tells the client when to come back (and logs the outage as what it is: not a bug). */
export function unavailable(reply: FastifyReply, err: unknown): FastifyReply {
  reply.request.log.warn({ reason: (err as StoreUnavailable).reason }, 'store unavailable; answered 503');
  return reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
}
