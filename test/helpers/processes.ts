/**
 * Real processes and real sockets for the tests that need them: the CLI as a child process
 * (`dist/src/cli.js`), and a local HTTP server standing in for a merchant's webhook handler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_DATABASE_URL } from './gateway.js';

const cli = new URL('../../src/cli.js', import.meta.url).pathname;

export interface CliProcess {
  proc: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves with the first match of `re` in the output; rejects if the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; resolves at once if it already exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `node dist/src/cli.js …args` with the test's environment plus `env`. */
export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const proc = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += String(d);
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    exitCode = code;
    for (const w of [...waiters]) w();
    resolve(code);
  }));
  return {
    proc,
    output: () => out,
    exited,
    waitFor: (re, timeoutMs = 30_000) => new Promise((resolve, reject) => {
      const check = () => {
        const m = out.match(re);
        if (m) {
          finish();
          resolve(m);
        } else if (exitCode !== undefined) {
          finish();
          reject(new Error(`process exited (${exitCode}) before printing ${re}:\n${out}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${re} within ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    }),
    stop: async (signal = 'SIGTERM') => {
      if (exitCode === undefined) proc.kill(signal);
      return exited;
    },
  };
}

/** `opencashier serve` as a child process, once its banner is printed, with its API base URL. */
export async function spawnGateway(env: Record<string, string>): Promise<CliProcess & { url: string }> {
  const p = spawnCli(['serve'], { PORT: '0', HOST: '127.0.0.1', ...env });
  try {
    const m = await p.waitFor(/API \(Stripe-style\)\s+(\S+)\/v1\s[\s\S]*Try it:/, 60_000);
    return { ...p, url: m[1]! };
  } catch (err) {
    p.proc.kill('SIGKILL');
    throw err;
  }
}

export interface Received {
  body: string;
  headers: IncomingHttpHeaders;
  /** The status the receiver answered; undefined while held or if the sender went away first. */
  status?: number;
}

/**
 * Decides each request's answer: a status to answer at once, or 'hold' to keep it open (the test
 * can answer or drop it later).
 */
export type ReceiverPolicy = (r: Received, index: number) => number | 'hold';

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests being held open right now. */
  held(): Received[];
  policy: ReceiverPolicy;
  close(): Promise<void>;
}

/** A webhook handler on 127.0.0.1 that records every request; answers 200 unless told otherwise. */
export async function startReceiver(policy: ReceiverPolicy = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const holding = new Map<Received, ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { body: Buffer.concat(chunks).toString('utf8'), headers: req.headers };
      const index = received.push(r) - 1;
      const answer = receiver.policy(r, index);
      if (answer === 'hold') {
        holding.set(r, res);
        res.on('close', () => holding.delete(r));
        return;
      }
      r.status = answer;
      res.writeHead(answer, { 'Content-Type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    held: () => [...holding.keys()],
    policy,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return receiver;
}

/** `opencashier serve` (any free port, warnings only) once `until` is in its output: the process and what it printed so far. */
export async function serveCli(env: Record<string, string>, until: RegExp = /Try it:/): Promise<{ proc: ChildProcess; out: string }> {
  const p = spawnCli(['serve'], { PORT: '0', LOG_LEVEL: 'warn', ...env });
  try {
    await p.waitFor(until, 60_000);
    return { proc: p.proc, out: p.output() };
  } catch (err) {
    p.proc.kill('SIGKILL');
    throw err;
  }
}

/** SIGTERM; resolves once the process has exited (at once if it already had). */
export function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

/** Runs the CLI to its end (warnings only): its exit code, stdout and stderr. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => (out += String(d)));
    p.stderr!.on('data', (d) => (err += String(d)));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** A v1 client for the processes' tests: JSON in and out, with `secret` as the API key. */
export function apiClient(secret: string) {
  return async <T = any>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${secret}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as T };
  };
}

/** One statement on its own connection, in a test's PostgreSQL schema. */
export async function sqlIn<T = any>(schema: string, text: string, params: unknown[] = []): Promise<T[]> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A port nothing listens on now (for processes that must share one PUBLIC_URL, or follow each other on one port). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
