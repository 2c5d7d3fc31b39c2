/**
 * The composition root: the only place that knows every part. It opens the store, migrates,
 * makes sure an account exists, wires core to the Antom connector (the real Antom or the built-in
 * simulator — configuration decides), and mounts the front doors.
 */
import { createServer, type Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import type { CoreDeps } from './core/context.js';
import type { PaymentConnector } from './core/connector.js';
import { randomToken } from './core/ids.js';
import { pollLeaseMs } from './core/polls.js';
import { openDb, type Db } from './store/db.js';
import { CORE_MIGRATIONS, migrate, type Migration } from './store/migrate.js';
import { StoreUnavailable } from './core/store.js';
import { sqlStore } from './store/repos.js';
import { openPresence } from './store/presence.js';
import { callsFor, recordingConnector, StoreCallSink } from './store/upstream-calls.js';
import type { BusinessProfile } from './core/catalog/prohibited-businesses.js';
import { accountName, bootstrapAccount, businessProfile, getSetting, putSettingOnce, watchKeyChanges, type Bootstrap } from './store/accounts.js';
import { bootstrapTrustPayments, type TpBootstrap } from './store/tp-accounts.js';
import { AntomClient } from './connectors/antom/client.js';
import { AntomNotificationVerifier, type NotifySigner } from './connectors/antom/notify.js';
import { generateAntomKeyPair } from './connectors/antom/signing.js';
import { sendError, v1Plugin } from './api/v1/plugin.js';
import { apiErrors } from './api/v1/errors.js';
import { errorCodesPage } from './api/v1/error-codes.js';
import { apiReferenceRoutes } from './api/openapi.js';
import { parseForm } from './api/v1/form.js';
import { NOTIFY_PATH, upstreamRoutes } from './api/upstream.js';
import { checkoutPageRoutes } from './api/checkout.js';
import { notFoundPage } from './pages/home.js';
import { dashboardPlugin, sessionOf } from './api/dashboard/plugin.js';
import { dashboardQueries } from './store/dashboard.js';
import { bootstrapDashboardPassword } from './store/dashboard-auth.js';
import { SIMULATOR_MIGRATIONS, SimulatorWorker, simulatorPlugin, type SimulatorOptions } from './simulator/index.js';
import { Worker } from './jobs/worker.js';
import { WebhookWorker } from './delivery/webhooks.js';
import { DEFAULT_TP_NOTIFICATION_RETRY_SCHEDULE_MS, UrlNotificationWorker } from './delivery/url-notifications.js';
import { checkWebhookUrl } from './delivery/url-guard.js';
import { frameworkErrors, guardFrontDoors } from './front-doors.js';
import { webservicesRoutes } from './api/webservices/plugin.js';
import { loggerOptions, RouteLogController } from './logging.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { DestinationStream } from 'pino';

/** Keys of the built-in simulator: generated on first start, kept in the store. */
export interface SimulatorKeys {
  clientId: string;
  merchantPrivateKey: string;
  merchantPublicKey: string;
  antomPrivateKey: string;
  antomPublicKey: string;
}

export interface Gateway {
  config: Config;
  webhooks: WebhookWorker;
  urlNotifications: UrlNotificationWorker;
  /** The log of calls to Antom; flush() writes what is buffered (tests compare the store after it). */
  upstreamCalls: StoreCallSink;
  app: FastifyInstance;
  db: Db;
  core: CoreDeps;
  account: Bootstrap;
  /** The account's business profile as it was at boot (the start banner warns when it is prohibited). */
  business: BusinessProfile;
  /** The Trust Payments site and webservices user made (or found) at boot. */
  tp: TpBootstrap;
  /** The dashboard password in plain text when it was just generated or given; shown once. */
  dashboardPassword?: string;
  simulatorKeys?: SimulatorKeys;
  metrics: Metrics;
  /** The base URL the gateway is reachable at (PUBLIC_URL, or the bound port). */
  publicUrl(): string;
  start(): Promise<void>;
  /**
   * Drains and closes: /readyz answers 503 at once, no new connection is accepted, requests under
   * way finish (each answer says `Connection: close`) within SHUTDOWN_TIMEOUT_MS, after which their
   * connections are cut; background work stops and hands back what it claimed and did not send;
   * the store closes last. Calling it again returns the same promise.
   */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  clock?: Clock;
  /** Run background work (polling, simulator notifications); tests may drive it by hand. */
  workers?: boolean;
  /** Where log lines go instead of stdout (tests read what was logged). */
  logStream?: DestinationStream;
  /** What this process is, for the refusal another process gets from the data folder's lock (default "the gateway"). */
  as?: string;
}

function queryParser(qs: string): Record<string, unknown> {
  try {
    return parseForm(qs);
  } catch {
    // The v1 schemas refuse unknown parameters, so this name surfaces as a clear 400.
    return { '(malformed query string)': '' };
  }
}

export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const db = await openDb({ databaseUrl: config.databaseUrl, schema: config.databaseSchema, dataDir: resolve(config.dataDir, 'pglite'), as: options.as ?? 'the gateway', poolSize: config.databasePoolSize });
  const migrations = [...CORE_MIGRATIONS, ...SIMULATOR_MIGRATIONS];
  await migrate(db, migrations);
  const presence = await openPresence(db, config.databaseUrl ? { connectionString: config.databaseUrl, scope: config.databaseSchema } : undefined);
  const stopWatchingKeys = await watchKeyChanges(db, config.databaseUrl);
  const account = await bootstrapAccount(db, {
    name: config.bootstrap.accountName,
    secretKey: config.bootstrap.testSecretKey,
    publishableKey: config.bootstrap.testPublishableKey,
    now: clock.now(),
  });
  const business = await businessProfile(db, account.accountId);
  const tp = await bootstrapTrustPayments(db, {
    accountId: account.accountId,
    merchantName: account.accountName,
    siteReference: config.tp.siteReference,
    username: config.tp.username,
    password: config.tp.password,
    now: clock.now(),
  });

  const dashboardPassword = await bootstrapDashboardPassword(db, { accountId: account.accountId, password: config.dashboard.password, now: clock.now() });

  let simulatorKeys: SimulatorKeys | undefined;
  if (config.simulator) {
    simulatorKeys = (await getSetting<SimulatorKeys>(db, 'simulator.keys')) ?? (await (async () => {
      const merchant = generateAntomKeyPair();
      const antom = generateAntomKeyPair();
      return putSettingOnce<SimulatorKeys>(db, 'simulator.keys', {
        clientId: `SANDBOX_OC${randomToken(12).toUpperCase()}`,
        merchantPrivateKey: merchant.privateKeyBase64,
        merchantPublicKey: merchant.publicKeyBase64,
        antomPrivateKey: antom.privateKeyBase64,
        antomPublicKey: antom.publicKeyBase64,
      });
    })());
  }

  const app = Fastify({
    logger: loggerOptions({ level: config.logLevel, stream: options.logStream }),
    logController: new RouteLogController(),
    genReqId: () => `req_${randomToken(20)}`,
    requestIdHeader: false,
    routerOptions: { querystringParser: queryParser },
    bodyLimit: 1_048_576,
    // Only when the operator says a proxy is in front; otherwise X-Forwarded-For is anyone's to forge.
    trustProxy: config.behindProxy,
    frameworkErrors,
    // While draining, requests already on an open connection are served (stop() explains).
    return503OnClosing: false,
  });
  let draining = false;
  app.addHook('onRequest', async (req, reply) => {
    reply.header('Request-Id', req.id);
  });
  // Draining: an answer sent now is its connection's last, so the client's next request goes elsewhere.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (draining) reply.header('Connection', 'close');
    done(null, payload);
  });
  guardFrontDoors(app);
  const metrics = createMetrics({ db, now: () => clock.now(), token: config.metrics.token, open: config.metrics.open && !config.behindProxy });
  metrics.register(app);

  let boundUrl = config.publicUrl;
  let internalUrl = `http://127.0.0.1:${config.port}`;
  const publicUrl = () => boundUrl;
  const connectors: { test?: PaymentConnector; live?: PaymentConnector } = {};
  const logAntom = (msg: string, fields: Record<string, unknown>) => app.log.warn(fields, msg);
  const connectorOptions = { timeoutMs: config.antom.timeoutMs, settlementCurrency: config.balances.settlementCurrency, log: logAntom };
  const upstreamCalls = new StoreCallSink(db, { log: app.log });
  const callSink = {
    record: (call: Parameters<StoreCallSink['record']>[0]) => {
      upstreamCalls.record(call);
      metrics.upstreamCall(call);
    },
  };
  const recorded = (c: PaymentConnector, livemode: boolean) => recordingConnector(c, callSink, livemode, clock);
  if (config.antom.live) connectors.live = recorded(new AntomClient(config.antom.live, connectorOptions), true);
  if (config.antom.test) connectors.test = recorded(new AntomClient(config.antom.test, connectorOptions), false);
  const makeSimulatorConnector = () => {
    if (config.antom.test || !simulatorKeys) return;
    connectors.test = recorded(new AntomClient(
      { clientId: simulatorKeys.clientId, privateKeyBase64: simulatorKeys.merchantPrivateKey, antomPublicKeyBase64: simulatorKeys.antomPublicKey, baseUrl: internalUrl },
      connectorOptions,
    ), false);
  };
  makeSimulatorConnector();

  const signers: NotifySigner[] = [];
  if (config.antom.live) signers.push({ clientId: config.antom.live.clientId, antomPublicKeyBase64: config.antom.live.antomPublicKeyBase64, livemode: true });
  if (config.antom.test) signers.push({ clientId: config.antom.test.clientId, antomPublicKeyBase64: config.antom.test.antomPublicKeyBase64, livemode: false });
  else if (simulatorKeys) signers.push({ clientId: simulatorKeys.clientId, antomPublicKeyBase64: simulatorKeys.antomPublicKey, livemode: false });
  const verifier = new AntomNotificationVerifier(signers, config.antom.notifyMaxAgeMs, () => clock.now());

  const core: CoreDeps = {
    store: sqlStore(db),
    clock,
    connector: (livemode) => (livemode ? connectors.live : connectors.test),
    urls: {
      paymentNotify: () => `${boundUrl}${NOTIFY_PATH}`,
      paymentReturn: (attemptId) => `${boundUrl}/return/${attemptId}`,
      checkoutPage: (sessionId) => `${boundUrl}/pay/${sessionId}`,
      checkoutReturn: (sessionId) => `${boundUrl}/pay/${sessionId}/return`,
    },
    pollScheduleMs: config.pollScheduleMs,
    pollLeaseMs: pollLeaseMs(config.antom.timeoutMs),
    balances: config.balances,
    log: app.log,
    checkWebhookUrl: (url, livemode) => checkWebhookUrl(url, { livemode, allowPrivate: config.webhooks.allowPrivateUrls }),
    outboxChanged: () => {
      webhookWorker?.kick();
      urlNotifications?.kick();
    },
    crashPoint: (step) => {
      if (step !== config.crashAt) return;
      process.stderr.write(`OPENCASHIER_CRASH_AT=${step}: killing the process\n`);
      process.kill(process.pid, 'SIGKILL');
    },
    observe: metrics.observer,
  };
  // Created right after core, which it serves; core only calls it once requests flow.
  const webhookWorker: WebhookWorker = new WebhookWorker(core, { ...config.webhooks, intervalMs: config.workerIntervalMs });
  // Trust Payments URL notifications: the same outbox rules as webhooks (loopback only when webhooks may go there).
  const urlNotifications: UrlNotificationWorker = new UrlNotificationWorker(db, {
    clock, log: app.log, timeoutMs: config.webhooks.timeoutMs, retryScheduleMs: config.tp.notificationRetryScheduleMs ?? DEFAULT_TP_NOTIFICATION_RETRY_SCHEDULE_MS,
    maxInFlight: config.webhooks.maxInFlight, intervalMs: config.workerIntervalMs, allowPrivateUrls: config.webhooks.allowPrivateUrls,
  });

  await app.register(v1Plugin({ core, db, presence, publicUrl, rateLimitPerSecond: config.rateLimitPerSecond }), { prefix: '/v1' });
  app.get('/docs/errors', async (_req, reply) => reply.type('text/html; charset=utf-8').send(errorCodesPage()));
  await app.register(apiReferenceRoutes({ simulator: Boolean(config.simulator) }));
  await app.register(upstreamRoutes({ core, verifier: () => verifier }));
  await app.register(webservicesRoutes({ core, db }));
  await app.register(checkoutPageRoutes({ core, merchantName: (id) => accountName(db, id) }));

  let simulatorOptions: SimulatorOptions | undefined;
  if (config.simulator && simulatorKeys) {
    simulatorOptions = {
      db,
      get publicUrl() {
        return boundUrl;
      },
      merchants: [{ clientId: simulatorKeys.clientId, merchantPublicKeyBase64: simulatorKeys.merchantPublicKey, name: account.accountName }],
      antomPrivateKeyBase64: simulatorKeys.antomPrivateKey,
      notifyScheduleMs: config.simulatorNotifyScheduleMs,
      workerIntervalMs: config.workerIntervalMs,
      clock,
      log: app.log,
    };
    await app.register(simulatorPlugin(simulatorOptions));
  }
  await app.register(dashboardPlugin({
    core, db, queries: dashboardQueries(db), sessionTtlMs: config.dashboard.sessionTtlMs, secureCookies: config.dashboard.secureCookies,
    liveConfigured: Boolean(config.antom.live), accountName: (id) => accountName(db, id), publicUrl,
    // The page reads the calls just made too: whatever waits in the sink's batch goes in first.
    upstreamCalls: async (references) => {
      await upstreamCalls.flush();
      return callsFor(db, references);
    },
    simulator: Boolean(simulatorOptions),
  }));
  // The gateway's front page is the dashboard: a signed-out visitor is sent to sign in and learns nothing about the account.
  app.get('/', async (req, reply) => reply.redirect((await sessionOf(db, req, clock.now())) ? '/dashboard' : '/dashboard/login', 303));
  // Liveness: the process answers. Readiness: it should be sent traffic (what a load balancer checks).
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const reason = draining ? 'shutting down' : await storeProblem(db, migrations);
    return reason === undefined ? { ready: true } : reply.code(503).header('Retry-After', '2').send({ ready: false, reason });
  });
  // Outside every door: an API client that forgot /v1 gets the /v1 error shape and a hint; a browser a page.
  app.setNotFoundHandler(async (req, reply) => {
    if ((req.headers.accept ?? '').includes('text/html')) {
      return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage());
    }
    return sendError(reply, apiErrors.unknownRoute(req.method, req.url));
  });

  const worker = new Worker(core, db, config.workerIntervalMs, { delayMs: config.tp.settleDelayMs }, (name, task) => presence.exclusive(name, task));
  const simWorker = simulatorOptions ? new SimulatorWorker(simulatorOptions) : undefined;
  const runWorkers = options.workers ?? true;
  /**
   * The built-in simulator is called over HTTP like the real Antom. Its calls go to a listener of
   * their own (loopback, any port, the same routes), so that a request under way when stop()
   * closes the public port still reaches it.
   */
  let internal: Server | undefined;
  let stopping: Promise<void> | undefined;
  // Requests under way on the public port (until their connection has the whole answer, or is gone).
  let inFlight = 0;
  const whenIdle = new Set<() => void>();
  app.server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      if (--inFlight === 0) for (const f of [...whenIdle]) f();
    });
  });
  /** Resolves true once `p` has settled, or false at `deadline` (ms since the epoch). */
  const settledBy = (p: Promise<unknown>, deadline: number) => new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    void p.finally(() => {
      clearTimeout(timer);
      resolve(true);
    }).catch(() => undefined);
  });
  /** Resolves true once no request is under way, or false at `deadline` (ms since the epoch). */
  const requestsDone = (deadline: number) => new Promise<boolean>((resolve) => {
    if (inFlight === 0) return resolve(true);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      whenIdle.delete(onIdle);
      resolve(ok);
    };
    const onIdle = () => done(true);
    const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
    whenIdle.add(onIdle);
  });

  return {
    config,
    webhooks: webhookWorker,
    urlNotifications,
    upstreamCalls,
    app,
    db,
    core,
    account,
    business,
    tp,
    dashboardPassword,
    simulatorKeys,
    metrics,
    publicUrl,
    async start() {
      await app.listen({ port: config.port, host: config.host });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
      internalUrl = `http://${host}:${port}`;
      if (config.publicUrlFromPort) boundUrl = `http://localhost:${port}`;
      if (simulatorOptions && !config.antom.test) {
        const server = createServer((req, res) => app.routing(req, res));
        await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
        internal = server;
        internalUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      }
      if (metrics.offReason) app.log.warn(`${metrics.offReason}; set it to let Prometheus scrape`);
      makeSimulatorConnector();
      if (runWorkers) {
        worker.start();
        webhookWorker.start();
        urlNotifications.start();
        simWorker?.start();
      }
    },
    stop() {
      stopping ??= (async () => {
        draining = true;
        const deadline = Date.now() + config.shutdownTimeoutMs;
        const background = Promise.all([worker.stop(), webhookWorker.stop(), urlNotifications.stop(), simWorker?.stop()]);
        // 1. No new connection is accepted. The open ones stay (http.Server's own close() would
        //    drop the idle ones at once, racing a request a client is sending on one right now):
        //    each is served once more, answered with `Connection: close` (the onSend hook), so a
        //    load balancer's health check on one reads /readyz's 503.
        if (app.server.listening) NetServer.prototype.close.call(app.server);
        const cut = () => {
          app.log.warn({ timeout_ms: config.shutdownTimeoutMs, requests: inFlight }, 'requests still under way at the shutdown timeout; their connections are cut');
          app.server.closeAllConnections();
        };
        // 2. The requests under way finish, or are cut at the deadline.
        if (!(await requestsDone(deadline))) cut();
        // 3. The connections nobody used meanwhile close; Fastify's own close runs its hooks. It
        //    waits for every connection to end, so one that took a request meanwhile is cut at the
        //    deadline too: a request that never ends must not hold the exit past it.
        const closed = app.close();
        if (!(await settledBy(closed, deadline))) {
          cut();
          await closed;
        }
        if (internal) {
          const server = internal;
          await new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
        }
        await background;
        // After every caller of the connector has stopped, before the store goes.
        await upstreamCalls.stop();
        await presence.close();
        await stopWatchingKeys();
        await db.close();
      })();
      return stopping;
    },
  };
}


/** How long /readyz waits for the store before it calls it unreachable. */
const READY_TIMEOUT_MS = 2_000;

/**
 * Why the store cannot serve requests now, or undefined when it can: it must answer within
 * READY_TIMEOUT_MS, and every migration this build knows must be applied (another process may
 * be the one migrating, during a rolling deploy).
 */
async function storeProblem(db: Db, migrations: readonly Migration[]): Promise<string | undefined> {
  const ids = migrations.map((m) => m.id);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the database did not answer within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
  });
  // Every migration, not only the newest: one added between two applied ones counts too.
  const asked = db.query<{ id: string }>('SELECT id FROM schema_migrations WHERE id = ANY($1::text[])', [ids]).then(
    (rows) => {
      const applied = new Set(rows.map((r) => r.id));
      const missing = ids.filter((id) => !applied.has(id));
      return missing.length === 0 ? undefined : `migration${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not applied`;
    },
    (err: unknown) => (err instanceof StoreUnavailable ? err.reason : 'the database answered with an error'),
  );
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

