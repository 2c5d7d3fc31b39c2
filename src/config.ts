/**
 * Configuration, parsed once at boot from the environment and handed down as a typed object.
 * Nothing below the composition root reads `process.env`.
 */
import { z } from 'zod';
import { privateKeyFromBase64, publicKeyFromBase64 } from './connectors/antom/signing.js';
import { ANTOM_NOTIFY_SCHEDULE_MS } from './simulator/context.js';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS } from './delivery/webhooks.js';
import { CRASH_STEPS, type CrashStep } from './core/context.js';
import { isLoopbackHost } from './delivery/url-guard.js';
import { SITE_REFERENCE, USERNAME } from './store/tp-accounts.js';
import { DEFAULT_BALANCE_SETTINGS, SETTLEMENT_CURRENCIES, parseFees, type BalanceSettings, type SettlementCurrency } from './core/balances/settings.js';

const bool = z
  .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['1', 'true', 'on', 'yes'].includes(v));

const msList = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'a comma-separated list of milliseconds')
  .transform((s) => s.split(',').map((x) => Number(x.trim())));

const base64Key = z.string().regex(/^[A-Za-z0-9+/=\s]+$/, 'bare Base64 DER, as Antom’s Dashboard gives it');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4242),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().default('./.opencashier'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  /** A PostgreSQL schema to keep our tables in (search_path); default: the user's default. */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a plain lower-case schema name').optional(),
  /** Connections each gateway process keeps open to PostgreSQL (plus two: its presence lock, its LISTEN for key changes). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  /** Gateway processes `serve` runs side by side on one port (PostgreSQL only). */
  WORKERS: z.coerce.number().int().min(1).max(256).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `pretty`: one readable line per request; `json`: pino's JSON lines. Default: pretty on a terminal. */
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),

  /** Unset: on, unless live mode is configured (then only an explicit SIMULATOR=on mounts it). */
  SIMULATOR: bool.optional(),
  /** A reverse proxy in front serves PUBLIC_URL: trust its X-Forwarded-For, and allow a PUBLIC_URL it rewrites. */
  BEHIND_PROXY: bool.default(false),
  OPENCASHIER_TEST_SECRET_KEY: z.string().regex(/^sk_test_[A-Za-z0-9_]{8,200}$/, 'sk_test_ followed by at least 8 letters or digits').optional(),
  OPENCASHIER_TEST_PUBLISHABLE_KEY: z.string().regex(/^pk_test_[A-Za-z0-9_]{8,200}$/, 'pk_test_ followed by at least 8 letters or digits').optional(),
  OPENCASHIER_ACCOUNT_NAME: z.string().min(1).max(100).default('OpenCashier test merchant'),

  ANTOM_TEST_CLIENT_ID: z.string().optional(),
  ANTOM_TEST_PRIVATE_KEY: base64Key.optional(),
  ANTOM_TEST_PUBLIC_KEY: base64Key.optional(),
  ANTOM_TEST_BASE_URL: z.url().optional(),
  ANTOM_LIVE_CLIENT_ID: z.string().optional(),
  ANTOM_LIVE_PRIVATE_KEY: base64Key.optional(),
  ANTOM_LIVE_PUBLIC_KEY: base64Key.optional(),
  ANTOM_LIVE_BASE_URL: z.url().default('https://open-sea-global.alipay.com'),
  /** The account's settlement currency; ANTOM_SETTLEMENT_CURRENCY is its older name. Checked against SETTLEMENT_CURRENCIES below. */
  OPENCASHIER_SETTLEMENT_CURRENCY: z.string().optional(),
  ANTOM_SETTLEMENT_CURRENCY: z.string().optional(),
  /** The fee schedule (core/balances/settings.ts parseFees): `alipay=2.9%+30,alipayplus=3.4%`; unset, no fees. */
  OPENCASHIER_FEES: z.string().optional(),
  /** How long a balance transaction stays pending before its funds are available, per mode. */
  OPENCASHIER_AVAILABLE_DELAY_SECONDS: z.coerce.number().int().min(0).optional(),
  OPENCASHIER_AVAILABLE_DELAY_LIVE_SECONDS: z.coerce.number().int().min(0).optional(),
  ANTOM_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** Notifications whose Request-Time is older than this are refused as replays. */
  ANTOM_NOTIFY_MAX_AGE_SECONDS: z.coerce.number().int().positive().default(900),

  /** Delays before each inquiryPayment when no notification came (ms after the pay request). */
  POLL_SCHEDULE_MS: msList.optional(),
  /** Delays of the simulator's notifyPayment retries (ms after the payment completes). */
  SIMULATOR_NOTIFY_SCHEDULE_MS: msList.optional(),
  WORKER_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Delays between webhook attempts (ms); its length + 1 is the number of attempts. */
  WEBHOOK_RETRY_SCHEDULE_MS: msList.optional(),
  /** An endpoint failing without a single success for this long is disabled (default 3 days). */
  WEBHOOK_DISABLE_AFTER_MS: z.coerce.number().int().positive().default(3 * 24 * 3_600_000),
  /** Deliveries (and URL notifications) a process holds at once; sends are capped per endpoint besides. */
  WEBHOOK_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(256),
  WEBHOOK_PER_ENDPOINT: z.coerce.number().int().positive().default(16),
  /** Crash tests only: SIGKILL this process when a request reaches the step (core/context.ts). */
  OPENCASHIER_CRASH_AT: z.enum(CRASH_STEPS).optional(),
  /** Test mode may send webhooks to loopback and private addresses; default: on when HOST is loopback. */
  WEBHOOK_ALLOW_PRIVATE_URLS: bool.optional(),
  /** Requests per second per API key; 0 turns the limit off. */
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(100),

  /** Trust Payments: the first start's site and webservices user; a password given later becomes the user's. */
  OPENCASHIER_TP_SITE_REFERENCE: z.string().regex(SITE_REFERENCE, '1 to 50 letters, digits or underscores').optional(),
  OPENCASHIER_TP_USERNAME: z.string().regex(USERNAME, '1 to 100 characters without spaces or colons').optional(),
  OPENCASHIER_TP_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
  /** How long an authorised Trust Payments AUTH waits before it settles (settlestatus 100), per mode. */
  OPENCASHIER_TP_SETTLE_DELAY_SECONDS: z.coerce.number().int().min(0).default(5),
  OPENCASHIER_TP_SETTLE_DELAY_LIVE_SECONDS: z.coerce.number().int().min(0).default(86_400),
  /** Delays between Trust Payments URL-notification attempts (ms); default: the notifier's own. */
  TP_NOTIFICATION_RETRY_SCHEDULE_MS: msList.optional(),

  /** The dashboard's password; unset: generated on first start and printed once in the banner. */
  OPENCASHIER_DASHBOARD_PASSWORD: z.string().min(12, 'at least 12 characters').max(200).optional(),
  /** How long a dashboard sign-in lasts. */
  DASHBOARD_SESSION_HOURS: z.coerce.number().positive().max(24 * 30).default(12),

  /** `GET /metrics` asks for `Authorization: Bearer <this>`; unset, it answers on loopback only. */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').max(200).optional(),
  /** On SIGTERM, how long requests under way may take to finish before their connections are cut. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
});

export interface AntomCredentials {
  clientId: string;
  privateKeyBase64: string;
  antomPublicKeyBase64: string;
  baseUrl: string;
}

export interface Config {
  port: number;
  host: string;
  /** Where shoppers' browsers and Antom reach us; URLs we hand out are built from it. */
  publicUrl: string;
  /** True when `publicUrl` was not set and must follow the port we actually bound (PORT=0). */
  publicUrlFromPort: boolean;
  dataDir: string;
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  /** The pool of each process (DATABASE_POOL_SIZE); PostgreSQL only. */
  databasePoolSize: number;
  /** How many gateway processes `serve` runs (WORKERS); more than one needs PostgreSQL. */
  workers: number;
  logLevel: string;
  /** A reverse proxy in front: client addresses come from X-Forwarded-For. */
  behindProxy: boolean;
  /** Unset: the composition root decides (pretty when stdout is a terminal). */
  logFormat: 'pretty' | 'json' | undefined;
  /** Mount the built-in Antom: SIMULATOR if given, else on only without live mode. */
  simulator: boolean;
  bootstrap: { testSecretKey?: string; testPublishableKey?: string; accountName: string };
  antom: {
    /** Unset in test mode means "use the built-in simulator". */
    test?: AntomCredentials;
    live?: AntomCredentials;
    timeoutMs: number;
    notifyMaxAgeMs: number;
  };
  /** Settlement currency, fee schedule, availability delays (core/balances/). */
  balances: BalanceSettings;
  pollScheduleMs: number[];
  simulatorNotifyScheduleMs: number[];
  workerIntervalMs: number;
  rateLimitPerSecond: number;
  crashAt: CrashStep | undefined;
  webhooks: {
    timeoutMs: number; retryScheduleMs: number[]; disableAfterMs: number; maxInFlight: number; perEndpoint: number;
    /** Test mode only: loopback and private webhook URLs are allowed. Live mode never allows them. */
    allowPrivateUrls: boolean;
  };
  tp: {
    /** The first start's site, webservices user and password (OPENCASHIER_TP_*); unset: generated. */
    siteReference?: string;
    username?: string;
    password?: string;
    /** How long an authorised AUTH waits before it settles, in test and live mode. */
    settleDelayMs: { test: number; live: number };
    /** Unset: the notification worker's default schedule. */
    notificationRetryScheduleMs?: number[];
  };
  dashboard: {
    /** Given by the operator (OPENCASHIER_DASHBOARD_PASSWORD); unset: generated once and kept hashed. */
    password?: string;
    sessionTtlMs: number;
    /** Cookies get `Secure` when the dashboard is served over https. */
    secureCookies: boolean;
  };
  /**
   * `GET /metrics` (metrics.ts): open on a loopback HOST; beyond loopback only with a token, and
   * off without one.
   */
  metrics: { token?: string; open: boolean };
  /** SIGTERM: requests under way get this long to finish (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
}

/** Antom's demo backs off 2 s … 512 s; we start later because a shopper needs time to scan. */
export const DEFAULT_POLL_SCHEDULE_MS = [15_000, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 1_200_000];

export class ConfigError extends Error {}

function credentials(prefix: 'TEST' | 'LIVE', env: z.infer<typeof envSchema>, baseUrl: string | undefined): AntomCredentials | undefined {
  const clientId = env[`ANTOM_${prefix}_CLIENT_ID`];
  const priv = env[`ANTOM_${prefix}_PRIVATE_KEY`];
  const pub = env[`ANTOM_${prefix}_PUBLIC_KEY`];
  const given = [clientId, priv, pub].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given !== 3 || !baseUrl) {
    const missing = [[`ANTOM_${prefix}_CLIENT_ID`, clientId], [`ANTOM_${prefix}_PRIVATE_KEY`, priv], [`ANTOM_${prefix}_PUBLIC_KEY`, pub]].filter(([, v]) => v === undefined).map(([n]) => n);
    throw new ConfigError(`${missing.join(' and ')} missing: ANTOM_${prefix}_CLIENT_ID, ANTOM_${prefix}_PRIVATE_KEY and ANTOM_${prefix}_PUBLIC_KEY go together (set all three or none; ANTOM_${prefix}_BASE_URL is optional).`);
  }
  const privateKeyBase64 = priv!.replace(/\s+/g, '');
  const antomPublicKeyBase64 = pub!.replace(/\s+/g, '');
  // Read the keys now, so a bad one stops the boot with its name instead of failing at the first payment.
  try {
    privateKeyFromBase64(privateKeyBase64);
  } catch {
    throw new ConfigError(`ANTOM_${prefix}_PRIVATE_KEY is not an RSA private key: give the Base64 PKCS#8 DER text Antom's Dashboard shows (no PEM header lines).`);
  }
  try {
    publicKeyFromBase64(antomPublicKeyBase64);
  } catch {
    throw new ConfigError(`ANTOM_${prefix}_PUBLIC_KEY is not an RSA public key: give Antom's public key as the Base64 DER text its Dashboard shows (no PEM header lines).`);
  }
  return { clientId: clientId!, privateKeyBase64, antomPublicKeyBase64, baseUrl };
}

function balanceSettings(e: z.infer<typeof envSchema>): BalanceSettings {
  const given = e.OPENCASHIER_SETTLEMENT_CURRENCY ?? e.ANTOM_SETTLEMENT_CURRENCY;
  const name = e.OPENCASHIER_SETTLEMENT_CURRENCY !== undefined ? 'OPENCASHIER_SETTLEMENT_CURRENCY' : 'ANTOM_SETTLEMENT_CURRENCY';
  const currency = (given ?? DEFAULT_BALANCE_SETTINGS.settlementCurrency).trim().toUpperCase();
  if (!(SETTLEMENT_CURRENCIES as readonly string[]).includes(currency)) {
    throw new ConfigError(`${name}=${given} is not a currency Antom settles in here: use one of ${SETTLEMENT_CURRENCIES.join(', ')} (default USD).`);
  }
  const fees = e.OPENCASHIER_FEES === undefined ? {} : parseFees(e.OPENCASHIER_FEES);
  if ('problem' in fees) throw new ConfigError(`OPENCASHIER_FEES: ${String(fees.problem)}.`);
  const d = DEFAULT_BALANCE_SETTINGS.availableAfterMs;
  return {
    settlementCurrency: currency as SettlementCurrency,
    fees,
    availableAfterMs: {
      test: e.OPENCASHIER_AVAILABLE_DELAY_SECONDS !== undefined ? e.OPENCASHIER_AVAILABLE_DELAY_SECONDS * 1000 : d.test,
      live: e.OPENCASHIER_AVAILABLE_DELAY_LIVE_SECONDS !== undefined ? e.OPENCASHIER_AVAILABLE_DELAY_LIVE_SECONDS * 1000 : d.live,
    },
  };
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const test = credentials('TEST', e, e.ANTOM_TEST_BASE_URL ?? 'https://open-sea-global.alipay.com');
  const live = credentials('LIVE', e, e.ANTOM_LIVE_BASE_URL);
  // The simulator's routes answer anyone (its script API completes payments), so a live
  // deployment gets them only when the operator asks for them by name.
  const simulator = e.SIMULATOR ?? !live;
  if (!test && !simulator && !live) throw new ConfigError('Test mode needs an upstream: keep SIMULATOR on, or set the ANTOM_TEST_* credentials.');
  if (live && !e.BEHIND_PROXY) {
    // Antom posts its notifications to PUBLIC_URL, and shoppers return there from the wallet.
    const url = new URL(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`);
    const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)$/i.test(url.hostname) || url.hostname.endsWith('.localhost');
    if (url.protocol !== 'https:' || local) {
      throw new ConfigError(`PUBLIC_URL ${url.origin} cannot be reached by Antom: live mode needs the https address shoppers and Antom reach this gateway at (PUBLIC_URL=https://pay.example.com). If a proxy in front serves it, set BEHIND_PROXY=on.`);
    }
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    publicUrlFromPort: e.PUBLIC_URL === undefined,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    workers: e.WORKERS,
    logLevel: e.LOG_LEVEL,
    behindProxy: e.BEHIND_PROXY,
    logFormat: e.LOG_FORMAT,
    simulator,
    bootstrap: {
      testSecretKey: e.OPENCASHIER_TEST_SECRET_KEY,
      testPublishableKey: e.OPENCASHIER_TEST_PUBLISHABLE_KEY,
      accountName: e.OPENCASHIER_ACCOUNT_NAME,
    },
    antom: {
      test,
      live,
      timeoutMs: e.ANTOM_TIMEOUT_MS,
      notifyMaxAgeMs: e.ANTOM_NOTIFY_MAX_AGE_SECONDS * 1000,
    },
    balances: balanceSettings(e),
    pollScheduleMs: e.POLL_SCHEDULE_MS ?? DEFAULT_POLL_SCHEDULE_MS,
    simulatorNotifyScheduleMs: e.SIMULATOR_NOTIFY_SCHEDULE_MS ?? [...ANTOM_NOTIFY_SCHEDULE_MS],
    workerIntervalMs: e.WORKER_INTERVAL_MS,
    rateLimitPerSecond: e.RATE_LIMIT_PER_SECOND,
    crashAt: e.OPENCASHIER_CRASH_AT,
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE_MS ?? [...DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS],
      disableAfterMs: e.WEBHOOK_DISABLE_AFTER_MS,
      maxInFlight: e.WEBHOOK_MAX_IN_FLIGHT,
      perEndpoint: e.WEBHOOK_PER_ENDPOINT,
      // A gateway only this machine can reach is a developer's; one others can reach must not
      // become their way into its network unless the operator says so.
      allowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS ?? isLoopbackHost(e.HOST),
    },
    tp: {
      siteReference: e.OPENCASHIER_TP_SITE_REFERENCE,
      username: e.OPENCASHIER_TP_USERNAME,
      password: e.OPENCASHIER_TP_PASSWORD,
      settleDelayMs: { test: e.OPENCASHIER_TP_SETTLE_DELAY_SECONDS * 1000, live: e.OPENCASHIER_TP_SETTLE_DELAY_LIVE_SECONDS * 1000 },
      notificationRetryScheduleMs: e.TP_NOTIFICATION_RETRY_SCHEDULE_MS,
    },
    dashboard: {
      password: e.OPENCASHIER_DASHBOARD_PASSWORD,
      sessionTtlMs: Math.round(e.DASHBOARD_SESSION_HOURS * 3_600_000),
      secureCookies: (e.PUBLIC_URL ?? '').startsWith('https:'),
    },
    metrics: { token: e.METRICS_TOKEN, open: isLoopbackHost(e.HOST) },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}
