/** What every core operation is given: who is asking, and the ports it may use. */
import type { Clock } from './clock.js';
import type { PaymentConnector } from './connector.js';
import type { IdempotencyClaim, Scope, StoreTx, Store } from './store.js';
import { API_VERSION } from './model.js';
import { newId } from './ids.js';
import type { EventType } from './events.js';
import type { WebservicesOrigin } from './settlement/records.js';
import { followEvent } from './settlement/follow.js';
import type { BalanceSettings } from './balances/settings.js';

export interface RequestContext {
  scope: Scope;
  /** The API request that caused the change; null for changes from upstream or background work. */
  request_id: string | null;
  idempotency_key: string | null;
  /**
   * The request's claim on its Idempotency-Key, for an operation to make in its first transaction
   * (s.idempotencyKeys.claim): it commits with the object or not at all (api/v1/plugin.ts's
   * claimingInTx). Absent when the key was claimed before the operation, or there is none.
   */
  idempotency_claim?: IdempotencyClaim;
  /**
   * With a claim: the answer the request will send for an object, rendered in full, so that the
   * claim is saved as done with it in the same commit (no second write after the answer is
   * rendered). An operation that calls it sends exactly what it returned.
   */
  idempotency_answer?: (object: unknown) => string;
  /** Who acts: the hosted checkout page may confirm and cancel its own PaymentIntents; the API may not. */
  actor?: 'checkout';
  /** Set when the request came through the Trust Payments door: what core keeps of it (core/settlement/). */
  via?: WebservicesOrigin;
  /**
   * The HTTP request doing this work when no API request caused it (request_id null): Antom's
   * notification, the hosted checkout page, the shopper's return from the wallet. Its id goes on
   * the lines core logs and on the events' deliveries (events.served_request_id), while the
   * events' public `request.id` stays null, as Stripe's does for changes no API request made.
   */
  served_request_id?: string;
}

/** The HTTP request being served: the API request that caused the change, or the one doing it (served_request_id). */
export function servedRequestId(ctx: Pick<RequestContext, 'request_id' | 'served_request_id'>): string | undefined {
  return ctx.request_id ?? ctx.served_request_id;
}

/**
 * What ties a line core logs to the request it serves: the request id under the key the request's
 * own line uses (`reqId`), so `grep req_…` finds the API line, Antom's answer and what core said.
 * Pass it to the connector too (its lines carry it). Background work has none.
 */
export function requestFields(ctx: Pick<RequestContext, 'request_id' | 'served_request_id'>): { reqId?: string } {
  const id = servedRequestId(ctx);
  return id ? { reqId: id } : {};
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CoreDeps {
  store: Store;
  clock: Clock;
  /** The upstream for test or live mode; undefined when that mode has none configured. */
  connector(livemode: boolean): PaymentConnector | undefined;
  urls: {
    /** Antom's paymentNotifyUrl. */
    paymentNotify(): string;
    /**
     * Where the wallet returns the shopper (ours; it forwards to the merchant's return_url with the
     * client secret). Keyed by the attempt id, which only Antom and the shopper see, so knowing a
     * PaymentIntent id is not enough to learn its client secret.
     */
    paymentReturn(attemptId: string): string;
    /** The hosted checkout page of a session (its id is the unguessable part). */
    checkoutPage(sessionId: string): string;
    /** Where a checkout PaymentIntent's shopper comes back to (then on to success_url). */
    checkoutReturn(sessionId: string): string;
  };
  /** Delays (ms after the pay request) of inquiryPayment polls when no notification arrives. */
  pollScheduleMs: readonly number[];
  /**
   * How long a claimed poll (an attempt's or a refund's) stays the claiming process's before
   * another process may take it: pollLeaseMs(ANTOM_TIMEOUT_MS), core/polls.ts.
   */
  pollLeaseMs: number;
  /** The account's settlement currency, fee schedule and availability delays (core/balances/). */
  balances: BalanceSettings;
  log: Logger;
  /** Says why a webhook URL may not be used in this mode (delivery/url-guard.ts: never inside our network). */
  checkWebhookUrl(url: string, livemode: boolean): Promise<string | undefined>;
  /** Called when an event was recorded, so the delivery worker can look soon (after the commit). */
  outboxChanged(): void;
  /**
   * Fault injection for crash tests: the process dies (SIGKILL) when it reaches the named step.
   * A no-op unless the operator set OPENCASHIER_CRASH_AT (config.ts).
   */
  crashPoint(step: CrashStep): void;
  /** Told what happened, for the operator's metrics (metrics.ts); absent, nobody is. Must not throw. */
  observe?: Observer;
}

/** What core reports as it happens, for `GET /metrics`. */
export interface Observer {
  /** An event was recorded (in the transaction that makes the change). */
  event(type: EventType, object: Record<string, unknown>): void;
  /** A notification from Antom was answered with this verdict (and, for a refusal, why). */
  notification(verdict: 'applied' | 'duplicate' | 'refused' | 'throttled', reason?: string): void;
  /** A webhook send ended: delivered, to be retried, or failed for good. */
  webhookDelivery(outcome: 'succeeded' | 'retry' | 'failed'): void;
}

/** The steps of a request where a crash test may kill the process (the gaps between two writes). */
export const CRASH_STEPS = [
  'after_idempotency_claim',
  'after_object_committed',
  'after_antom_answer',
  'before_idempotency_complete',
] as const;
export type CrashStep = (typeof CRASH_STEPS)[number];

/**
 * Context for changes no API request caused (notifications, polling), with the id of the HTTP
 * request doing the work when there is one (a notification's, the checkout page's).
 */
export function systemContext(scope: Scope, servedBy?: string): RequestContext {
  return { scope, request_id: null, idempotency_key: null, served_request_id: servedBy };
}

/**
 * Records an event in the caller's transaction — the change and its event commit together — and,
 * in the same statement, one delivery for every enabled endpoint that wants it (the outbox).
 */
export async function recordEvent(
  s: StoreTx, deps: Pick<CoreDeps, 'clock' | 'outboxChanged' | 'observe'>, ctx: RequestContext, type: EventType, object: { id: string } & Record<string, unknown>,
  previous_attributes?: Record<string, unknown>,
): Promise<void> {
  await recordEvents(s, deps, ctx, [[type, object, previous_attributes]]);
}

/**
 * Several events of one change, in order. All are written before any of their Trust Payments
 * follow-ups reads the store, so the inserts go out as one statement (store/deferred.ts), not one
 * each between the follow-ups' reads.
 */
export async function recordEvents(
  s: StoreTx, deps: Pick<CoreDeps, 'clock' | 'outboxChanged' | 'observe'>, ctx: RequestContext,
  events: readonly (readonly [type: EventType, object: { id: string } & Record<string, unknown>, previous_attributes?: Record<string, unknown>])[],
): Promise<void> {
  const now = deps.clock.now();
  for (const [type, object, previous_attributes] of events) {
    await s.events.record({
      id: newId('event'),
      account_id: ctx.scope.account_id,
      livemode: ctx.scope.livemode,
      created: now,
      type,
      api_version: API_VERSION,
      object_id: object.id,
      data: previous_attributes ? { object, previous_attributes } : { object },
      request_id: ctx.request_id,
      idempotency_key: ctx.idempotency_key,
      // Only when no API request caused it: an API request's id is request_id already.
      served_request_id: ctx.request_id ? null : (ctx.served_request_id ?? null),
    });
  }
  // The Trust Payments view of the same change (settlestatus, URL notifications), in this transaction.
  let followed = false;
  for (const [type, object] of events) followed = (await followEvent(s, deps, ctx, type, object)) || followed;
  if (followed || (await s.webhookEndpoints.mayDeliver(ctx.scope))) deps.outboxChanged();
  for (const [type, object] of events) deps.observe?.event(type, object);
}

class Rollback {
  constructor(readonly result: { ok: false }) {}
}

/**
 * A transaction whose Result decides its fate: an error result rolls back everything written in
 * it, so a refused request leaves the store exactly as it was.
 */
export async function inTx<R extends { ok: boolean }>(store: Store, fn: (s: StoreTx) => Promise<R>): Promise<R> {
  try {
    return await store.tx(async (s) => {
      const r = await fn(s);
      if (!r.ok) throw new Rollback(r as R & { ok: false });
      return r;
    });
  } catch (e) {
    if (e instanceof Rollback) return e.result as R;
    throw e;
  }
}
