#!/usr/bin/env node
/**
 * `opencashier <command>`: serve (default), migrate, reset, keys roll, business, report, tp, listen, trigger, seed. Reads the environment once, here.
 */
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createGateway, type Gateway } from './app.js';
import { applyPgliteV8Flags, openDb, PgliteInitError } from './store/db.js';
import { CORE_MIGRATIONS, migrate } from './store/migrate.js';
import { SIMULATOR_MIGRATIONS } from './simulator/index.js';
import { bootstrapAccount, rollKey } from './store/accounts.js';
import { runListen } from './listen/listen.js';
import { runTrigger } from './listen/trigger.js';
import { DataFolderBusy } from './store/data-lock.js';
import { resetTestData } from './store/reset.js';
import { prettyStream } from './logging.js';
import { runTp, TP_USAGE, tpWantsHelp } from './cli/tp.js';
import { generateDashboardPassword, setDashboardPassword } from './store/dashboard-auth.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('New dashboard password (at least 12 characters), then Enter and Ctrl-D: ');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
import { runSeed } from './cli/seed.js';
import { runBusiness } from './cli/business.js';
import { runReport } from './cli/report.js';
import { describeProfile, prohibitedMessage } from './core/catalog/prohibited-businesses.js';
import { isClusterWorker, reportReady, runPrimary } from './cluster.js';

const HELP = `OpenCashier — a self-hosted gateway for Alipay and Alipay+

Usage: opencashier [command]

  serve                 start the gateway (default)
  migrate               apply database migrations and exit
  reset [--keep-keys]   delete every test-mode object (payments, refunds, sessions, products,
                        webhook endpoints, events, the simulator's payments, Trust Payments
                        transactions and notifications) and roll the test keys (--keep-keys keeps
                        them); live data and Trust Payments sites, users and rules are kept
  keys roll [--publishable] [--live]
                        replace the account's secret (or publishable) key and print the new one
  listen --forward-to <url> [--api-key sk_…] [--api-base http://localhost:4242] [--events a,b]
                        forward a running gateway's events to a local URL, signed as webhooks
                        (opencashier listen --help for every option)
  trigger <event> [--api-key sk_test_…] [--api-base http://localhost:4242] [--list]
                        make a test payment, refund or Checkout Session on a running gateway
                        reach the state that records <event> (opencashier trigger --list)
  tp sites|users|rules …
                        Trust Payments sites, webservices users and URL-notification rules
                        (opencashier tp --help for every command)
  business              show the account's business profile (merchant category code and category)
  business set [--mcc <4 digits>] [--category <name>]
                        set it ('' clears a part); a business on Alipay's prohibited list
                        (business list-prohibited) cannot take Alipay or Alipay+ payments
  report settlement --from <date> --to <date> [--live]
                        the settlement report: one CSV line per balance transaction, with the
                        payment's merchant references (GET /v1/reports/settlement)
  dashboard password [--generate]
                        set the dashboard password (read from stdin, or OPENCASHIER_DASHBOARD_PASSWORD;
                        --generate makes one and prints it); signs out password sessions
  seed [--payments N] [--seed N]
                        add a month of sample test data (payments, refunds, webhooks, Trust
                        Payments AUTHs) for the dashboard, with the gateway stopped; running it
                        again adds more (opencashier seed --help)
  help                  this text

Environment (all optional): PORT (4242), HOST (127.0.0.1), PUBLIC_URL, DATA_DIR (./.opencashier),
DATABASE_URL (postgres://…; default: embedded PGlite in DATA_DIR), WORKERS (1; several processes on
PostgreSQL), DATABASE_POOL_SIZE (10 per process), SIMULATOR (on),
OPENCASHIER_TEST_SECRET_KEY, OPENCASHIER_TEST_PUBLISHABLE_KEY, ANTOM_TEST_* / ANTOM_LIVE_*
(CLIENT_ID, PRIVATE_KEY, PUBLIC_KEY, BASE_URL), LOG_LEVEL (info); balances:
OPENCASHIER_SETTLEMENT_CURRENCY (USD; GBP, HKD, EUR), OPENCASHIER_FEES (alipay=2.9%+30,…; none),
OPENCASHIER_AVAILABLE_DELAY_SECONDS (5), OPENCASHIER_AVAILABLE_DELAY_LIVE_SECONDS (172800); Trust Payments:
OPENCASHIER_TP_SITE_REFERENCE, OPENCASHIER_TP_USERNAME, OPENCASHIER_TP_PASSWORD (the first site and
webservices user; generated when unset), OPENCASHIER_TP_SETTLE_DELAY_SECONDS (5),
OPENCASHIER_TP_SETTLE_DELAY_LIVE_SECONDS (86400), TP_NOTIFICATION_RETRY_SCHEDULE_MS; dashboard:
OPENCASHIER_DASHBOARD_PASSWORD (generated on first start when unset), DASHBOARD_SESSION_HOURS (12).
See README.md.`;

/** A word the shell passes on as it is. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function banner(g: Gateway): string {
  const c = g.config;
  const u = g.publicUrl();
  const a = g.account;
  const store = c.databaseUrl ? `PostgreSQL ${c.databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}` : `PGlite in ${resolve(c.dataDir, 'pglite')}`;
  const tp = g.tp;
  // Seed 004's AUTH for Alipay, as the official client sends it (test/fixtures/trustpayments-wire.json).
  const tpAuth = JSON.stringify({
    alias: tp.username, version: '1.00',
    request: [{
      requesttypedescriptions: ['AUTH'], sitereference: tp.siteReference || '<site>', paymenttypedescription: 'ALIPAY',
      accounttypedescription: 'ECOM', baseamount: '1050', currencyiso3a: 'EUR', returnurl: 'https://example.com/done',
    }],
  });
  const prohibited = prohibitedMessage(g.business);
  const key = (plain: string | undefined, display: string) => plain ?? `${display}  (stored hashed; set it with the env variable or roll it: npm run cli -- keys roll)`;
  const lines = [
    '',
    `OpenCashier is running${a.created ? ' — first start: a test account was created' : ''}`,
    '',
    `  Dashboard            ${u}/dashboard`,
    `  Dashboard password   ${g.dashboardPassword ?? '(stored hashed; it was printed once, when made — set a new one: npm run cli -- dashboard password)'}`,
    `  API (Stripe-style)   ${u}/v1`,
    `  API reference        ${u}/docs  (OpenAPI 3.1: ${u}/openapi.json)`,
    `  Health, metrics      ${u}/readyz  ${g.metrics.offReason ? '(/metrics off: set METRICS_TOKEN)' : `${u}/metrics${g.config.metrics.token ? ' (Bearer METRICS_TOKEN)' : ''}`}`,
    `  Antom notify URL     ${u}/antom/notify`,
    c.simulator && !c.antom.test ? `  Antom simulator      ${u}/ams/api/v1/payments/…  (cashier pages under ${u}/simulator/)`
      : c.antom.test ? `  Antom (test mode)    ${c.antom.test.baseUrl}` : '  Test mode            no upstream (set ANTOM_TEST_*, or SIMULATOR=on to mount the simulator beside live mode)',
    c.antom.live ? `  Antom (live mode)    ${c.antom.live.baseUrl}` : '  Live mode            not configured (set ANTOM_LIVE_*)',
    `  Store                ${store}`,
    ...(c.workers > 1 ? [`  Processes            ${c.workers} gateway processes share the port (WORKERS=${c.workers})`] : []),
    '',
    `  Stop                 Ctrl-C (everything stays in the store; the next start picks it up)`,
    `  Start over           npm run cli -- reset   (deletes the test data; --keep-keys keeps the keys)`,
    '',
    `  Account              ${a.accountName} (${a.accountId})`,
    `  Business             ${describeProfile(g.business)}${g.business.mcc || g.business.category ? '' : '  (set it: npm run cli -- business set --mcc <code>)'}`,
    ...(prohibited ? ['', `  WARNING: ${prohibited}`, '  Every Alipay and Alipay+ payment of this account is refused until it changes.'] : []),
    `  Test secret key      ${key(a.secretKey, a.secretDisplay)}`,
    `  Test publishable key ${key(a.publishableKey, a.publishableDisplay)}`,
    '',
    `  Trust Payments JSON  ${u}/json/`,
    `  Trust Payments XML   ${u}/xml/`,
    `  TP site reference    ${tp.siteReference || '(none: npm run cli -- tp users grant <name> --site <ref>)'}`,
    `  TP username          ${tp.username}`,
    `  TP password          ${tp.password ?? `(stored hashed; set OPENCASHIER_TP_PASSWORD or: npm run cli -- tp users passwd ${shellQuote(tp.username)})`}`,
    '',
    'Try it:',
    `  curl ${u}/v1/payment_intents -u ${a.secretKey ?? 'sk_test_…'}: -d amount=20 -d currency=CNY -d confirm=true \\`,
    `    -d "payment_method_data[type]=alipay" -d return_url=https://example.com/done`,
    `  curl ${u}/json/ -u ${shellQuote(`${tp.username}:${tp.password ?? '<password>'}`)} -H 'Content-Type: application/json' \\`,
    `    -d ${shellQuote(tpAuth)}`,
    '',
  ];
  return lines.join('\n');
}

async function serve(config: Config): Promise<void> {
  if (config.workers > 1 && !config.databaseUrl) {
    throw new ConfigError(
      `WORKERS=${config.workers} needs PostgreSQL: the embedded database (PGlite) is one process that owns its data folder, ` +
      'so several gateway processes cannot share it. Set DATABASE_URL=postgres://… to run several processes, or WORKERS=1.',
    );
  }
  if (config.workers > 1 && !isClusterWorker()) {
    process.exit(await runPrimary(config.workers, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }, config.shutdownTimeoutMs + config.webhooks.timeoutMs + 10_000));
  }
  // Before PGlite's WebAssembly is compiled (createGateway opens the store).
  const v8Flags = config.databaseUrl ? [] : applyPgliteV8Flags();
  // On a terminal a person reads the log; anywhere else a machine does.
  const pretty = config.logFormat ? config.logFormat === 'pretty' : Boolean(process.stdout.isTTY);
  const logStream = pretty ? prettyStream(process.stdout, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR) : undefined;
  const gateway = await createGateway(config, { logStream });
  if (v8Flags.length > 0) gateway.app.log.info({ v8_flags: v8Flags }, 'V8 flags set for a PGlite process (README, Performance: Memory)');
  try {
    await gateway.start();
  } catch (err) {
    await gateway.stop().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new ConfigError(`PORT ${config.port} is already in use on ${config.host}: another OpenCashier or another program listens there. Stop it, or set PORT to a free port (PORT=0 picks one).`);
    }
    if (code === 'EACCES') throw new ConfigError(`PORT ${config.port} needs privileges this process does not have: pick a PORT above 1023.`);
    if (code === 'EADDRNOTAVAIL') throw new ConfigError(`HOST ${config.host} is not an address of this machine.`);
    throw err;
  }
  if (isClusterWorker()) reportReady(banner(gateway));
  else process.stdout.write(banner(gateway) + '\n');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.app.log.info({ signal, timeout_ms: config.shutdownTimeoutMs }, 'stopping: finishing the requests under way');
    // Requests get SHUTDOWN_TIMEOUT_MS; webhook sends under way their own timeout; then it is over.
    const deadline = config.shutdownTimeoutMs + config.webhooks.timeoutMs + 5_000;
    setTimeout(() => {
      process.stderr.write(`opencashier: still stopping after ${deadline} ms; exiting anyway\n`);
      process.exit(1);
    }, deadline).unref();
    await gateway.stop();
    gateway.app.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // The primary is gone (killed): a worker does not outlive it.
  if (isClusterWorker()) process.on('disconnect', () => void stop('disconnect'));
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP + '\n');
    return;
  }
  // A client of a running gateway, not a gateway: it needs none of the gateway's configuration.
  if (command === 'listen') {
    process.exitCode = await runListen(rest, process.env);
    return;
  }
  if (command === 'trigger') {
    process.exitCode = await runTrigger(rest, process.env);
    return;
  }
  if (command === 'tp' && tpWantsHelp(rest)) {
    process.stdout.write(TP_USAGE + '\n');
    return;
  }
  if (command === 'seed') {
    process.exitCode = await runSeed(rest, {
      config: () => loadConfig(process.env), out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), tty: Boolean(process.stdout.isTTY),
    });
    return;
  }
  const config = loadConfig(process.env);
  if (command === 'serve') return serve(config);
  const db = await openDb({ databaseUrl: config.databaseUrl, schema: config.databaseSchema, dataDir: resolve(config.dataDir, 'pglite'), as: argv.join(' ') });
  try {
    const applied = await migrate(db, [...CORE_MIGRATIONS, ...SIMULATOR_MIGRATIONS]);
    if (command === 'migrate') {
      process.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'Already up to date.\n');
      return;
    }
    if (command === 'reset') {
      const counts = await resetTestData(db);
      const gone = Object.entries(counts).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`);
      process.stdout.write(`Test data deleted${gone.length ? `: ${gone.join(', ')}` : ' (there was none)'}. Live data was not touched.\n`);
      if (rest.includes('--keep-keys')) {
        process.stdout.write('The test keys are unchanged.\n');
        return;
      }
      const account = await bootstrapAccount(db, { name: config.bootstrap.accountName, now: Date.now() });
      const sk = await rollKey(db, account.accountId, 'secret', false, Date.now());
      const pk = await rollKey(db, account.accountId, 'publishable', false, Date.now());
      process.stdout.write(`New test keys (the old ones no longer work):\n  Test secret key      ${sk}\n  Test publishable key ${pk}\n`);
      return;
    }
    if (command === 'tp') {
      process.exitCode = await runTp(rest, {
        db, accountName: config.bootstrap.accountName, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t),
      });
      return;
    }
    if (command === 'dashboard' && rest[0] === 'password') {
      const account = await bootstrapAccount(db, { name: config.bootstrap.accountName, now: Date.now() });
      let password = rest.includes('--generate') ? generateDashboardPassword() : config.dashboard.password;
      if (password === undefined) password = (await readStdin()).replace(/\r?\n$/, '');
      if (password.length < 12) {
        process.stderr.write('A dashboard password needs at least 12 characters. Pipe one in (echo … | npm run cli -- dashboard password), set OPENCASHIER_DASHBOARD_PASSWORD, or use --generate.\n');
        process.exitCode = 2;
        return;
      }
      await setDashboardPassword(db, account.accountId, password, Date.now());
      process.stdout.write(rest.includes('--generate')
        ? `New dashboard password (shown once; sessions signed in with the old one are closed):\n${password}\n`
        : 'Dashboard password changed; sessions signed in with the old one are closed.\n');
      return;
    }
    if (command === 'business') {
      const account = await bootstrapAccount(db, { name: config.bootstrap.accountName, now: Date.now() });
      process.exitCode = await runBusiness(rest, { db, accountId: account.accountId, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
      return;
    }
    if (command === 'report') {
      const account = await bootstrapAccount(db, { name: config.bootstrap.accountName, now: Date.now() });
      process.exitCode = await runReport(rest, { db, accountId: account.accountId, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
      return;
    }
    if (command === 'keys' && rest[0] === 'roll') {
      const account = await bootstrapAccount(db, { name: config.bootstrap.accountName, now: Date.now() });
      const kind = rest.includes('--publishable') ? 'publishable' : 'secret';
      const key = await rollKey(db, account.accountId, kind, rest.includes('--live'), Date.now());
      process.stdout.write(`New ${rest.includes('--live') ? 'live' : 'test'} ${kind} key for ${account.accountId} (the old one no longer works):\n${key}\n`);
      return;
    }
    process.stderr.write(`Unknown command: ${argv.join(' ')}\n\n${HELP}\n`);
    process.exitCode = 2;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataFolderBusy || err instanceof PgliteInitError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`opencashier: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
