/**
 * `GET /metrics`: what an operator watches, in Prometheus' text format (prom-client). Every metric
 * the gateway exports is defined here, and fed from four places:
 *
 * - every request, by route pattern (never the URL: it can hold a client secret) and status;
 * - every call to Antom (the connector's call log, store/upstream-calls.ts), by API and outcome;
 * - core, through `CoreDeps.observe`: events as they are recorded (payments by method, wallet and
 *   outcome come from the charge events), notifications by verdict, webhook sends by outcome;
 * - at scrape time, the store: outbox depth and the age of its oldest row, the pollers' and
 *   expiry's backlogs (store/backlogs.ts), and the PostgreSQL pool.
 *
 * Who may read it: on a loopback HOST anyone (it is this machine's); anywhere else only a scraper
 * that sends `Authorization: Bearer $METRICS_TOKEN`, and without a token the route is off.
 *
 * With `WORKERS=N` every process keeps its own numbers; the process a scrape reaches asks the
 * primary, which gathers all of them (prom-client's AggregatorRegistry over the cluster's IPC), so
 * a scrape always sees the whole gateway: counters summed, the store's gauges taken once.
 */
import cluster from 'node:cluster';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import promClient, { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Observer } from './core/context.js';
import type { Db } from './store/db.js';
import { backlogs } from './store/backlogs.js';
import type { UpstreamCall } from './store/upstream-calls.js';
import { routeOf } from './logging.js';

/** Seconds: from a fast read to a slow confirm through Antom. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** How long a scrape waits for the store's figures before it answers without them. */
const STORE_TIMEOUT_MS = 2_000;

export interface MetricsOptions {
  db: Db;
  now(): number;
  /** Required of scrapers when set (METRICS_TOKEN). */
  token?: string;
  /** Without a token: whether the route answers at all (a loopback HOST, no proxy in front). */
  open: boolean;
}

export interface Metrics {
  /** For CoreDeps.observe. */
  observer: Observer;
  /** Hands one Antom call to the counters (tee'd from the connector's call log). */
  upstreamCall(call: UpstreamCall): void;
  /** The request hooks and `GET /metrics`. */
  register(app: FastifyInstance): void;
  /** Why `GET /metrics` is off, for the start log; undefined when it answers. */
  offReason: string | undefined;
  /** The exposition text of this process alone (tests). */
  text(): Promise<string>;
}

/** Process metrics (CPU, memory, event-loop lag, GC): one set per process, however many gateways it runs (tests run many). */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    promClient.collectDefaultMetrics({ register: processRegistry, prefix: 'opencashier_' });
  }
  return processRegistry;
}

/** Refusal reasons are free text; the label is one of a few kinds, so the series stay few. */
export function reasonKind(reason: string | undefined): string {
  if (!reason) return 'none';
  const r = reason.toLowerCase();
  if (r.includes('replay')) return 'replayed';
  if (r.includes('signature') || r.includes('client-id')) return 'signature';
  if (r.includes('request-time') || r.includes('too old') || r.includes('expired')) return 'stale';
  if (r.includes('json') || r.includes('missing') || r.includes('malformed') || r.includes('nul')) return 'malformed';
  if (r.includes('amount') || r.includes('currency')) return 'amount_mismatch';
  if (r.includes('unknown') || r.includes('not known') || r.includes('vanished') || r.includes('no such')) return 'unknown_payment';
  return 'other';
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'opencashier_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'], registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'opencashier_http_request_duration_seconds', help: 'Time to answer an HTTP request, by method, route pattern and status class.',
    labelNames: ['method', 'route', 'status_class'], buckets: LATENCY_BUCKETS, registers: [registry],
  });
  const payments = new Counter({
    name: 'opencashier_payments_total', help: 'Payments that ended (a charge was made), by method, wallet, outcome and mode.',
    labelNames: ['method', 'wallet', 'outcome', 'livemode'], registers: [registry],
  });
  const events = new Counter({
    name: 'opencashier_events_total', help: 'Events recorded, by type.', labelNames: ['type'], registers: [registry],
  });
  const antomCalls = new Counter({
    name: 'opencashier_antom_calls_total', help: 'Calls to Antom (or the simulator), by API and outcome (unknown: no usable answer).',
    labelNames: ['api', 'outcome', 'livemode'], registers: [registry],
  });
  const antomSeconds = new Histogram({
    name: 'opencashier_antom_call_duration_seconds', help: 'Time of a call to Antom, retries within the call included, by API.',
    labelNames: ['api'], buckets: LATENCY_BUCKETS, registers: [registry],
  });
  const notifications = new Counter({
    name: 'opencashier_antom_notifications_total', help: 'Notifications received from Antom, by verdict (applied, duplicate, refused, throttled) and reason of a refusal.',
    labelNames: ['verdict', 'reason'], registers: [registry],
  });
  const deliveries = new Counter({
    name: 'opencashier_webhook_deliveries_total', help: 'Webhook sends, by outcome: succeeded, retry (failed, will be sent again), failed (failed for good).',
    labelNames: ['outcome'], registers: [registry],
  });

  // The store's figures: the same for every process of a gateway, so taken once, not summed. One
  // read serves every gauge of a scrape (and of scrapes within a second).
  let read: { at: number; done: Promise<void> } | undefined;
  const fromStore = (name: string, help: string, pick: (b: Awaited<ReturnType<typeof backlogs>>, now: number) => number) =>
    new Gauge({
      name, help, registers: [registry], aggregator: 'max',
      async collect() {
        if (!read || Date.now() - read.at > 1_000) read = { at: Date.now(), done: readStore() };
        await read.done;
        if (lastBacklogs) this.set(pick(lastBacklogs.value, lastBacklogs.at));
      },
    });
  let lastBacklogs: { value: Awaited<ReturnType<typeof backlogs>>; at: number } | undefined;
  const readStoreFailures = new Counter({
    name: 'opencashier_metrics_store_read_failures_total', help: 'Scrapes whose store figures could not be read in time (the gauges then keep their last values).',
    registers: [registry],
  });
  async function readStore(): Promise<void> {
    const now = opts.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('late')), STORE_TIMEOUT_MS);
      });
      lastBacklogs = { value: await Promise.race([backlogs(opts.db, now), late]), at: now };
    } catch {
      readStoreFailures.inc();
    } finally {
      clearTimeout(timer);
    }
  }
  const age = (oldest: number | null, now: number) => (oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));
  fromStore('opencashier_webhook_outbox_pending', 'Webhook deliveries waiting to be sent (due or scheduled for a retry).', (b) => b.webhooksPending);
  fromStore('opencashier_webhook_outbox_oldest_age_seconds', 'Age of the oldest webhook delivery still pending (0 when none is).', (b, now) => age(b.webhooksOldest, now));
  fromStore('opencashier_url_notifications_pending', 'Trust Payments URL notifications waiting to be sent.', (b) => b.urlNotificationsPending);
  fromStore('opencashier_url_notifications_oldest_age_seconds', 'Age of the oldest URL notification still pending (0 when none is).', (b, now) => age(b.urlNotificationsOldest, now));
  fromStore('opencashier_payment_polls_due', 'Payment attempts whose inquiry to Antom is due now.', (b) => b.paymentPollsDue);
  fromStore('opencashier_refund_polls_due', 'Refunds whose inquiry to Antom is due now.', (b) => b.refundPollsDue);
  fromStore('opencashier_checkout_sessions_to_expire', 'Open Checkout Sessions past their expiry, not yet expired.', (b) => b.sessionsToExpire);

  if (opts.db.pool) {
    const pool = opts.db.pool;
    // Read once the scrape's own store read is done: pg's pool queues a query for a tick even with
    // a connection idle, so read together the scrape would count itself as waiting.
    const poolGauge = (name: string, help: string, pick: (p: ReturnType<typeof pool>) => number) =>
      new Gauge({ name, help, registers: [registry], async collect() { await read?.done; this.set(pick(pool())); } });
    poolGauge('opencashier_db_pool_max', 'PostgreSQL connections this process may open (DATABASE_POOL_SIZE).', (p) => p.max);
    poolGauge('opencashier_db_pool_open', 'PostgreSQL connections open.', (p) => p.open);
    poolGauge('opencashier_db_pool_idle', 'PostgreSQL connections open and idle.', (p) => p.idle);
    poolGauge('opencashier_db_pool_waiting', 'Queries waiting for a PostgreSQL connection.', (p) => p.waiting);
  }

  const observer: Observer = {
    event(type, object) {
      events.inc({ type });
      if (type !== 'charge.succeeded' && type !== 'charge.failed') return;
      const details = object.payment_method_details as { type?: string } & Record<string, { wallet?: string | null } | undefined> | undefined;
      const method = details?.type ?? 'unknown';
      const wallet = details?.[method]?.wallet ?? (method === 'alipay' ? 'ALIPAY_CN' : 'none');
      payments.inc({ method, wallet: String(wallet), outcome: type === 'charge.succeeded' ? 'succeeded' : 'failed', livemode: String(object.livemode === true) });
    },
    notification(verdict, reason) {
      notifications.inc({ verdict, reason: verdict === 'refused' ? reasonKind(reason) : 'none' });
    },
    webhookDelivery(outcome) {
      deliveries.inc({ outcome });
    },
  };

  const combined = () => Registry.merge([registry, processMetrics()]);
  if (cluster.isWorker) {
    // Answers the primary's "your numbers?" (prom-client's listener, added by the constructor).
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry, processMetrics()]);
  }

  const offReason = opts.token || opts.open ? undefined : 'GET /metrics is off: this gateway listens beyond loopback and METRICS_TOKEN is not set';
  const tokenDigest = opts.token ? createHash('sha256').update(opts.token).digest() : undefined;
  const authorized = (header: string | undefined) => {
    if (!tokenDigest) return true;
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    return m !== null && timingSafeEqual(createHash('sha256').update(m[1]!).digest(), tokenDigest);
  };

  return {
    observer,
    offReason,
    upstreamCall(call) {
      antomCalls.inc({ api: call.api, outcome: call.outcome, livemode: String(call.livemode) });
      antomSeconds.observe({ api: call.api }, call.latency_ms / 1000);
    },
    text: () => combined().metrics(),
    register(app) {
      app.addHook('onResponse', (req, reply, done) => {
        const route = routeOf(req);
        const status = reply.statusCode;
        requests.inc({ method: req.method, route, status });
        requestSeconds.observe({ method: req.method, route, status_class: `${Math.floor(status / 100)}xx` }, reply.elapsedTime / 1000);
        done();
      });
      app.get('/metrics', async (req, reply) => {
        reply.header('Cache-Control', 'no-store');
        if (offReason) return reply.code(404).type('text/plain; charset=utf-8').send(`${offReason}.\n`);
        if (!authorized(req.headers.authorization)) {
          return reply.code(401).header('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain; charset=utf-8')
            .send('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.\n');
        }
        const text = cluster.isWorker ? await fromPrimary() : await combined().metrics();
        return reply.type(registry.contentType).send(text);
      });
    },
  };
}

/** What a worker's request for the whole cluster's numbers looks like, and the primary's answer. */
interface ClusterMetricsMessage {
  type: 'opencashier:metrics';
  id: number;
  text?: string;
  error?: string;
}

function isMetricsMessage(m: unknown): m is ClusterMetricsMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'opencashier:metrics';
}

let asked = 0;
/** In a worker: the whole cluster's exposition, gathered by the primary. */
function fromPrimary(): Promise<string> {
  const id = ++asked;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary did not answer a metrics request within 10 s'));
    }, 10_000);
    const onMessage = (m: unknown) => {
      if (!isMetricsMessage(m) || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (m.text !== undefined) resolve(m.text);
      else reject(new Error(m.error ?? 'the primary could not gather metrics'));
    };
    process.on('message', onMessage);
    process.send?.({ type: 'opencashier:metrics', id } satisfies ClusterMetricsMessage);
  });
}

/** In the primary: answers each worker's request with every worker's numbers, aggregated. */
export function serveClusterMetrics(): (worker: { send(m: unknown): void }, message: unknown) => void {
  const aggregator = new AggregatorRegistry();
  return (worker, message) => {
    if (!isMetricsMessage(message) || message.text !== undefined) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: 'opencashier:metrics', id: message.id, text } satisfies ClusterMetricsMessage),
      (err: Error) => worker.send({ type: 'opencashier:metrics', id: message.id, error: err.message } satisfies ClusterMetricsMessage),
    );
  };
}
