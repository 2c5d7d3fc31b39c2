/**
 * The webhook outbox worker. Deliveries were written with their events (core/context.ts
 * recordEvent); here they are claimed (SKIP LOCKED, with a lease, so a process killed mid-send
 * leaves them to be sent again), POSTed with a fresh Stripe-Signature, and every attempt is kept.
 *
 * In bulk: one statement claims many due deliveries with their events and endpoints, and the
 * attempts of many ended sends are recorded by one statement (attempts, deliveries, events'
 * pending_webhooks, endpoints' failing_since), with no transaction per send. A send's result waits
 * in memory for its batch; its delivery stays leased until it is recorded, so a process killed in
 * between sends it again.
 *
 * At least once: a delivery ends only on a 2xx, or when its retry schedule (data, ~18 attempts in
 * 72 hours) runs out. Sends run side by side with a cap per endpoint, so a slow or hanging
 * endpoint holds only its own slots, never another endpoint's deliveries. An endpoint that has
 * failed without a single success for `disableAfterMs` is disabled, with an event.
 */
import { eventPublic, webhookEndpointPublic } from '../core/model.js';
import { dialectOfApiVersion, inDialect } from '../api/v1/dialect.js';
import { recordEvent, systemContext, type CoreDeps } from '../core/context.js';
import type { DeliveryResult, DueDelivery } from '../core/store.js';
import { giveUpPending } from '../core/webhooks/endpoints.js';
import { signatureHeader } from './signature.js';
import { jitter, OutboxWorker, type SendResult } from './outbox.js';
import { loggableId } from '../logging.js';

export interface WebhookDeliveryOptions {
  timeoutMs: number;
  /** Delay before retry n (ms): entry 0 follows the first attempt. Its length bounds the attempts. */
  retryScheduleMs: readonly number[];
  /** An endpoint failing for this long without any success is disabled. */
  disableAfterMs: number;
  maxInFlight: number;
  perEndpoint: number;
  intervalMs: number;
  /** Test mode may deliver to loopback and private addresses (see url-guard.ts). */
  allowPrivateUrls: boolean;
}

/** ~18 attempts over ~71 hours, the first retry within a minute (WooshPay: 18 attempts in 72 h). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [
  30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 2_400_000,
  3_600_000, 7_200_000, 10_800_000, 14_400_000, 21_600_000, 28_800_000, 32_400_000, 36_000_000, 43_200_000, 54_000_000,
];

const USER_AGENT = 'OpenCashier/0.1 (+https://github.com/opencashier; webhooks)';

/** At most this many results in one recording statement. */
const RECORD_BATCH = 500;
/**
 * Results wait up to this long for others to record with (or until there are RECORD_SOON): the
 * endpoint's slot is free meanwhile, so this costs no throughput and saves a statement per send.
 */
const RECORD_DELAY_MS = 20;
const RECORD_SOON = 64;
/**
 * An endpoint whose last answer was a quick 2xx may have this many times its cap claimed at once
 * (but never more than half of what the process holds, so other endpoints keep room), waiting
 * their turn, so that one claim feeds many sends; any other only what it may send at once (a
 * hanging endpoint never sits on deliveries that another process could send).
 */
const PREFETCH = 16;
/** A lease's time for recording, after its send's timeout. */
const RECORD_MARGIN_MS = 1_000;
/** A 2xx within this is a quick answer. */
const QUICK_MS = 1_000;

export class WebhookWorker extends OutboxWorker<DueDelivery> {
  /** Sends ended and not yet recorded; their deliveries stay leased until they are. */
  private results: DeliveryResult[] = [];
  private recording: Promise<void> | undefined;
  /** Ends the recorder's wait early when enough results have gathered. */
  private gathered: (() => void) | undefined;

  constructor(private readonly core: CoreDeps, private readonly opts: WebhookDeliveryOptions) {
    super({ ...opts, what: 'webhook deliveries', log: core.log, userAgent: USER_AGENT, sendCap: opts.perEndpoint });
  }

  /** Endpoints whose last answer was a quick 2xx (in this process): deliveries are claimed ahead for them. */
  private readonly quick = new Set<string>();

  protected claim(free: number, inFlight: ReadonlyMap<string, number>): Promise<DueDelivery[]> {
    // Long enough to finish a send and record it; a process killed mid-send frees it after this. A
    // claimed delivery waits its turn at most until `stale` (below), so this covers its send too.
    const lease = this.opts.timeoutMs * 2 + RECORD_MARGIN_MS;
    const ahead = Math.max(this.opts.perEndpoint, Math.min(this.opts.perEndpoint * PREFETCH, Math.floor(this.opts.maxInFlight / 2)));
    const room = new Map<string, number>();
    for (const ep of this.quick) room.set(ep, ahead);
    for (const [ep, n] of inFlight) room.set(ep, (this.quick.has(ep) ? ahead : this.opts.perEndpoint) - n);
    return this.core.store.deliveries.claimDue(this.core.clock.now(), free, lease, room, this.opts.perEndpoint);
  }

  /**
   * A delivery whose lease no longer covers a whole send and its recording. Read off the lease the
   * claim wrote (the delivery's next_attempt_at), not off when the claim came back: the lease runs
   * from before the claim waited for a connection and ran, which under load can be seconds.
   */
  protected override stale(d: DueDelivery): boolean {
    return this.core.clock.now() + this.opts.timeoutMs + RECORD_MARGIN_MS > (d.delivery.next_attempt_at ?? 0);
  }

  /** Claimed and never sent (stale, or waiting at stop): due again now, the claim uncounted. */
  protected override async handBack(rows: DueDelivery[]): Promise<void> {
    await this.core.store.tx(async (s) => {
      for (const d of rows) {
        const cur = await s.deliveries.lock(d.delivery.id);
        if (cur && cur.status === 'pending' && cur.attempts === d.delivery.attempts) {
          await s.deliveries.update({ ...cur, attempts: cur.attempts - 1, next_attempt_at: this.core.clock.now() });
        }
      }
    });
  }

  protected idOf(d: DueDelivery): string {
    return d.delivery.id;
  }

  protected destinationOf(d: DueDelivery): string {
    return d.endpoint.id;
  }

  /** Sends, and hands the result to the recorder: the endpoint's slot is free once the answer is in. */
  protected async deliver(d: DueDelivery): Promise<void> {
    // Rendered in the dialect the endpoint's api_version asks for (api/v1/dialect.ts).
    const body = JSON.stringify(inDialect(eventPublic(d.event), dialectOfApiVersion(d.endpoint.api_version)));
    const started = this.core.clock.now();
    const r = d.endpoint.status === 'enabled' && !d.endpoint.deleted
      ? await this.post(d.endpoint.url, body, d.endpoint.secret, d.endpoint.livemode)
      : { status: null, error: 'endpoint disabled before this attempt', excerpt: null, latencyMs: 0 };
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    if (ok && r.latencyMs < QUICK_MS) this.quick.add(d.endpoint.id);
    else this.quick.delete(d.endpoint.id);
    // The number this send was claimed as: if its lease ran out mid-send, the row has moved on to
    // the next claim, and each send still keeps its own number.
    const attempt = d.delivery.attempts;
    const delay = ok ? undefined : this.opts.retryScheduleMs[attempt - 1];
    this.results.push({
      delivery_id: d.delivery.id, endpoint_id: d.endpoint.id, attempt, started, latency_ms: r.latencyMs,
      http_status: r.status, error: r.error, response_excerpt: r.excerpt,
      outcome: ok ? 'succeeded' : delay === undefined ? 'failed' : 'retry',
      next_attempt_at: delay === undefined ? null : this.core.clock.now() + jitter(delay),
    });
    this.core.observe?.webhookDelivery(ok ? 'succeeded' : delay === undefined ? 'failed' : 'retry');
    // The event's object and the request that made the change (an API request, or Antom's
    // notification when its public request.id is null): a payment's lines lead here.
    this.core.log.debug({
      event: d.event.id, type: d.event.type, object: loggableId(d.event.object_id), request: d.event.request_id ?? d.event.served_request_id ?? undefined,
      endpoint: d.endpoint.id, attempt, status: r.status ?? undefined, error: r.error ?? undefined, ms: r.latencyMs,
    }, 'webhook sent');
    if (this.results.length >= RECORD_SOON) this.gathered?.();
    this.recording ??= this.record();
  }

  protected override settle(): Promise<void> {
    return this.recording ?? Promise.resolve();
  }

  private post(url: string, body: string, secret: string, livemode: boolean): Promise<SendResult> {
    const signature = signatureHeader(secret, body, Math.floor(this.core.clock.now() / 1000));
    return this.sender.post(url, body, {
      'Content-Type': 'application/json; charset=utf-8',
      'Stripe-Signature': signature,
      'Wooshpay-Signature': signature,
    }, livemode);
  }

  /**
   * Records every ended send, many per statement: while one batch is being written the next one
   * gathers. A batch that fails to record is left to its leases (the sends are made again).
   */
  private async record(): Promise<void> {
    try {
      while (this.results.length > 0) {
        if (this.results.length < RECORD_SOON) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => this.gathered?.(), RECORD_DELAY_MS);
            this.gathered = () => {
              clearTimeout(timer);
              this.gathered = undefined;
              resolve();
            };
          });
        }
        // One result per delivery in a batch (two sends of one delivery end together only when
        // one outlived its lease): the later one goes in the next batch, in order.
        const seen = new Set<string>();
        const batch: DeliveryResult[] = [];
        const rest: DeliveryResult[] = [];
        for (const r of this.results) {
          if (batch.length < RECORD_BATCH && !seen.has(r.delivery_id)) {
            seen.add(r.delivery_id);
            batch.push(r);
          } else rest.push(r);
        }
        this.results = rest;
        try {
          const now = this.core.clock.now();
          const failing = await this.core.store.deliveries.recordResults(batch, now, this.opts.disableAfterMs);
          for (const endpointId of failing) await this.disable(endpointId);
        } catch (err) {
          this.core.log.error({ err, deliveries: batch.length }, 'recording webhook attempts failed; their leases will bring them back');
        }
      }
    } finally {
      this.recording = undefined;
    }
  }

  /** An endpoint that has failed without a single success for disableAfterMs: disabled, with an event. */
  private async disable(endpointId: string): Promise<void> {
    await this.core.store.tx(async (s) => {
      const endpoint = await s.webhookEndpoints.lockById(endpointId);
      const now = this.core.clock.now();
      if (!endpoint || endpoint.status !== 'enabled' || endpoint.failing_since === null) return;
      if (now - endpoint.failing_since < this.opts.disableAfterMs) return;
      const disabled = {
        ...endpoint, status: 'disabled' as const, updated: now,
        disabled_reason: `every delivery failed since ${new Date(endpoint.failing_since).toISOString()}`,
      };
      await s.webhookEndpoints.update(disabled);
      await giveUpPending(s, this.core, endpoint.id);
      await recordEvent(s, this.core, systemContext({ account_id: endpoint.account_id, livemode: endpoint.livemode }), 'webhook_endpoint.disabled',
        webhookEndpointPublic(disabled), { status: 'enabled' });
      this.core.log.warn({ endpoint: endpoint.id }, 'webhook endpoint disabled after failing for too long');
    });
  }
}
