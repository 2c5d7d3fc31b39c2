/**
 * `opencashier listen --forward-to <url>`: what `stripe listen` is to Stripe. It follows a running
 * gateway's events over the public API with a secret key and POSTs each one, signed like a real
 * webhook, to a URL on the developer's machine, so a shop's webhook handler can be exercised
 * without registering an endpoint or exposing a port.
 */
import { parseArgs } from 'node:util';
import { signatureHeader } from '../delivery/signature.js';
import { EventFeed, GatewayError, fetchFailure, type ApiEvent } from './feed.js';
import { configDir, signingSecret } from './secret.js';
import { commandLine, gatewayTarget, stdio, UsageError, type Io } from './command.js';

export const LISTEN_HELP = `Usage: opencashier listen --forward-to <url> [options]

Forwards the events of a running gateway to a local URL, signed with a webhook signing secret
(Stripe-Signature header; verify it with stripe.webhooks.constructEvent). The secret stays the
same for the same API base and key.

  -f, --forward-to <url>   where to POST each event (http://localhost:3000/webhooks)
      --api-key <key>      a secret key (default: env OPENCASHIER_API_KEY, then OPENCASHIER_TEST_SECRET_KEY)
      --api-base <url>     the gateway (default http://localhost:4242)
      --events <a,b,…>     only these event types (default: all)
      --interval <ms>      how often to ask the gateway for new events (default 500)
      --print-secret       print the webhook signing secret and exit
  -h, --help               this text`;

/** Attempts per event after the first, and the pause before each. */
const RETRY_DELAYS_MS = [250, 1_000, 3_000];
const FORWARD_TIMEOUT_MS = 15_000;

interface Options {
  forwardTo?: string;
  apiKey?: string;
  apiBase: string;
  types?: string[];
  intervalMs: number;
  printSecret: boolean;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'forward-to': { type: 'string', short: 'f' },
        'api-key': { type: 'string' },
        'api-base': { type: 'string' },
        events: { type: 'string' },
        interval: { type: 'string' },
        'print-secret': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const target = gatewayTarget(values, env);
  let forwardTo = values['forward-to'];
  if (forwardTo !== undefined) {
    // Like `stripe listen`, accept localhost:3000/hook without a scheme.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(forwardTo)) forwardTo = `http://${forwardTo}`;
    let u: URL;
    try {
      u = new URL(forwardTo);
    } catch {
      throw new UsageError(`--forward-to ${JSON.stringify(values['forward-to'])} is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError('--forward-to must be an http or https URL');
  }
  const intervalMs = values.interval === undefined ? 500 : Number(values.interval);
  if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new UsageError('--interval must be a whole number of milliseconds, at least 10');
  const types = values.events?.split(',').map((t) => t.trim()).filter(Boolean);
  return {
    forwardTo,
    ...target,
    types: types && types.length > 0 && !types.includes('*') ? types : undefined,
    intervalMs,
    printSecret: values['print-secret'] ?? false,
  };
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

type Outcome = { status: number; error?: undefined } | { status?: undefined; error: string };

async function post(url: string, body: string, secret: string, signal: AbortSignal): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': 'opencashier-listen',
        // Signed per attempt, as the gateway does, so a retried event is never stale.
        'Stripe-Signature': signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
      },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(FORWARD_TIMEOUT_MS)]),
    });
    await res.arrayBuffer(); // drain, so the connection can be reused
    return { status: res.status };
  } catch (err) {
    if (signal.aborted) throw err;
    return { error: fetchFailure(err) };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}


/** POSTs one event to the forward-to URL until it is answered 2xx, or the retries run out. */
async function forward(event: ApiEvent, url: string, secret: string, io: Io, signal: AbortSignal): Promise<void> {
  // The event exactly as the API gave it: JSON.stringify of the parsed object reproduces the
  // gateway's own serialisation, and the signature covers these very bytes.
  const body = JSON.stringify(event);
  io.out(`${stamp()}   --> ${event.type} [${event.id}]`);
  for (let attempt = 0; ; attempt++) {
    const r = await post(url, body, secret, signal);
    if (signal.aborted) return;
    const ok = r.status !== undefined && r.status >= 200 && r.status < 300;
    const delay = RETRY_DELAYS_MS[attempt];
    const what = r.status !== undefined ? `[${r.status}]` : '[ERROR]';
    const tail = ok ? '' : r.error ? ` ${r.error}` : '';
    const next = ok ? '' : delay !== undefined ? `; retry ${attempt + 1} of ${RETRY_DELAYS_MS.length} in ${delay} ms` : `; gave up after ${attempt + 1} attempts`;
    io.out(`${stamp()}  <--  ${what} POST ${url} [${event.id}]${tail}${next}`);
    if (ok || delay === undefined) return;
    await sleep(delay, signal);
    if (signal.aborted) return;
  }
}

/**
 * Runs `opencashier listen` with the command's arguments (after `listen`) until SIGINT or
 * SIGTERM, or a fatal error. Resolves to the process exit code: 0 on a signal or after
 * `--print-secret`; 1 when the gateway refuses the key or the request, or the secrets file is
 * unusable; 2 for bad usage.
 */
export async function runListen(argv: string[], env: NodeJS.ProcessEnv, io: Io = stdio): Promise<number> {
  const opts = commandLine('listen', LISTEN_HELP, io, () => parseOptions(argv, env));
  if (typeof opts === 'number') return opts;
  if (!opts.apiKey) {
    io.err('opencashier listen: no API key: pass --api-key sk_test_… or set OPENCASHIER_API_KEY (the serve banner prints the test secret key)');
    return 2;
  }
  if (!opts.printSecret && !opts.forwardTo) {
    io.err(`opencashier listen: --forward-to is required\n\n${LISTEN_HELP}`);
    return 2;
  }
  let secret: string;
  try {
    ({ secret } = signingSecret(configDir(env), opts.apiBase, opts.apiKey));
  } catch (err) {
    io.err(`opencashier listen: cannot keep the signing secret: ${(err as Error).message}`);
    return 1;
  }
  if (opts.printSecret) {
    io.out(secret);
    return 0;
  }
  const forwardTo = opts.forwardTo!;

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const feed = new EventFeed({ apiBase: opts.apiBase, apiKey: opts.apiKey, types: opts.types });
  // One line when a problem starts (or changes) and one when it is over, not one per poll.
  let problem: string | undefined;
  const call = async <T>(fn: () => Promise<T>): Promise<T | undefined | 'fatal'> => {
    try {
      const v = await fn();
      if (problem !== undefined) io.err(`${stamp()}  ${opts.apiBase} answers again.`);
      problem = undefined;
      return v;
    } catch (err) {
      if (stop.signal.aborted) return undefined;
      if (!(err instanceof GatewayError)) throw err;
      if (err.kind === 'unauthorized') {
        io.err(`opencashier listen: ${err.message}; check --api-key`);
        return 'fatal';
      }
      // The gateway finds our request itself wrong (an --events value, another API version): asking again will not help.
      if (err.status === 400) {
        io.err(`opencashier listen: ${err.message}`);
        return 'fatal';
      }
      if (err.kind === 'cursor_gone') {
        io.err(`${stamp()}  ${err.message}`);
        return undefined;
      }
      if (problem !== err.message) io.err(`${stamp()}  ${err.message}; retrying…`);
      problem = err.message;
      return undefined;
    }
  };

  try {
    for (;;) {
      const started = await call(() => feed.start(stop.signal).then(() => true));
      if (started === 'fatal') return 1;
      if (started || stop.signal.aborted) break;
      await sleep(opts.intervalMs, stop.signal);
    }
    if (stop.signal.aborted) return 0;
    io.out(`Ready! Your webhook signing secret is ${secret} (^C to quit)`);
    if (opts.types) io.out(`Forwarding only ${opts.types.join(', ')} to ${forwardTo}`);
    while (!stop.signal.aborted) {
      const events = await call(() => feed.next(stop.signal));
      if (events === 'fatal') return 1;
      for (const e of events ?? []) {
        if (stop.signal.aborted) break;
        await forward(e, forwardTo, secret, io, stop.signal);
      }
      await sleep(opts.intervalMs, stop.signal);
    }
    return 0;
  } catch (err) {
    if (stop.signal.aborted) return 0;
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
