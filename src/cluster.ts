/**
 * `WORKERS=N opencashier serve` on PostgreSQL: N gateway processes sharing one port (node:cluster).
 *
 * The primary serves nothing and opens no database. It starts the first worker alone, so the
 * migrations and the first start's bootstrap (account, keys, simulator keys, dashboard password)
 * run in one process and the plain keys and password it generates reach the banner; the others
 * start once it listens and find everything made (each of those steps is race-free anyway:
 * advisory locks and ON CONFLICT). The banner — the first worker's, naming the process count — is
 * printed once, when every worker listens.
 *
 * Afterwards a worker that dies (a crash, a SIGKILL) is replaced; SIGTERM and SIGINT are passed to
 * every worker, and the primary exits once they have stopped. A worker that fails while the
 * cluster is starting stops the whole start, with its exit code, instead of being retried forever.
 */
import cluster, { type Worker } from 'node:cluster';
import { serveClusterMetrics } from './metrics.js';

/** What a worker tells the primary once it listens. */
export interface ReadyMessage {
  type: 'opencashier:ready';
  /** The start banner, for the primary to print once. */
  banner: string;
}

export function isReadyMessage(m: unknown): m is ReadyMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'opencashier:ready';
}

/** A replacement for a dead worker starts after this, so a worker that keeps dying does not spin. */
const RESTART_DELAY_MS = 1_000;

export interface PrimaryIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Runs the primary; resolves with the exit code once every worker has stopped. A stopping worker
 * gets `stopGraceMs` (its own shutdown timeouts and a margin) before it is killed.
 */
export function runPrimary(workers: number, io: PrimaryIo, stopGraceMs = 30_000): Promise<number> {
  const metrics = serveClusterMetrics();
  return new Promise((resolvePrimary) => {
    const live = new Set<Worker>();
    const ready = new Set<Worker>();
    let started = false;
    let stopping = false;
    let exitCode = 0;
    let killTimer: NodeJS.Timeout | undefined;

    const finishIfDone = () => {
      if (stopping && live.size === 0) {
        if (killTimer) clearTimeout(killTimer);
        resolvePrimary(exitCode);
      }
    };

    const stopAll = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      for (const w of live) w.process.kill(signal);
      killTimer = setTimeout(() => {
        for (const w of live) w.process.kill('SIGKILL');
      }, stopGraceMs);
      killTimer.unref();
      finishIfDone();
    };

    const fork = (first: boolean) => {
      const w = cluster.fork();
      live.add(w);
      w.on('message', (m: unknown) => {
        metrics(w, m);
        if (!isReadyMessage(m) || stopping) return;
        ready.add(w);
        if (first && !started) {
          for (let i = 1; i < workers; i++) fork(false);
          firstBanner = m.banner;
        }
        if (!started && ready.size === workers) {
          started = true;
          io.out(firstBanner + '\n');
        }
      });
      w.on('exit', (code, signal) => {
        live.delete(w);
        ready.delete(w);
        if (stopping) return finishIfDone();
        if (!started) {
          // It could not start (a port in use, a database out of reach): so would the others.
          exitCode = code || 1;
          stopAll('SIGTERM');
          return;
        }
        io.err(`opencashier: gateway process ${w.process.pid} ${signal ? `was killed (${signal})` : `exited with code ${code}`}; starting another\n`);
        setTimeout(() => {
          if (!stopping) fork(false);
        }, RESTART_DELAY_MS);
      });
    };
    let firstBanner = '';

    process.on('SIGTERM', () => stopAll('SIGTERM'));
    process.on('SIGINT', () => stopAll('SIGINT'));
    fork(true);
  });
}

export const isClusterWorker = () => cluster.isWorker;

/** In a worker: hands the banner to the primary instead of printing it. */
export function reportReady(banner: string): void {
  process.send?.({ type: 'opencashier:ready', banner } satisfies ReadyMessage);
}
