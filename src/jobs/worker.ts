/**
 * Background work of one gateway process: poll Antom for attempts and refunds that got no answer,
 * expire Checkout Sessions whose time is up, settle authorised Trust Payments AUTHs, make balance
 * transactions available when their day comes, prune
 * expired idempotency keys, rate-limit windows, dashboard sessions, old refused notifications and
 * old upstream calls, and on PGlite (which runs no autovacuum) vacuum the tables and keep the
 * planner's statistics fresh. Every step claims its rows in the
 * database, so any number of processes may run this loop side by side.
 */
import type { CoreDeps } from '../core/context.js';
import { pollDueAttempts } from '../core/payment-intents/poll.js';
import { pollDueRefunds } from '../core/refunds/poll.js';
import { expireDueSessions } from '../core/checkout/expire.js';
import { settleDue, type SettlementSchedule } from '../core/settlement/settle.js';
import { releaseAvailable } from '../core/balances/available.js';
import { REFUSED_RETENTION_MS } from '../core/notifications.js';
import type { Db } from '../store/db.js';
import { pruneKeys } from '../store/idempotency.js';
import { pruneRateWindows } from '../store/rate-limits.js';
import { pruneSessions } from '../store/dashboard-auth.js';
import { vacuumEachTable } from '../store/vacuum.js';
import { CALL_RETENTION_MS, pruneCalls } from '../store/upstream-calls.js';

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60_000;
/**
 * PGlite runs no autovacuum, so without this its planner never has statistics and picks poor
 * plans once tables grow (the dashboard's method filter: ~450 ms at 100,000 payments without,
 * 2–4 ms with). PostgreSQL's autovacuum does it there.
 */
const ANALYZE_EVERY_MS = 60 * 60_000;
/** PGlite's dead row versions are removed this often (store/vacuum.ts: why, and what it measured). */
const VACUUM_EVERY_MS = 60_000;

export class Worker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastPrune = 0;
  private lastAnalyze = 0;
  private lastVacuum = 0;

  constructor(
    private readonly core: CoreDeps,
    private readonly db: Db,
    private readonly intervalMs: number,
    private readonly settlement: SettlementSchedule,
    /**
     * Runs a task in one process at a time (store/presence.ts). Expiry needs it: its due sessions
     * are read, not claimed, and each expiry asks Antom to close the attempt before the session's
     * row is locked — the locked state change keeps the event single, this keeps the call single.
     */
    private readonly exclusive: <T>(name: string, task: () => Promise<T>) => Promise<T | undefined> = (_name, task) => task(),
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over everything due; returns the number of attempts polled. */
  async runOnce(): Promise<number> {
    const now = this.core.clock.now();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await pruneKeys(this.db, now - IDEMPOTENCY_TTL_MS);
      await pruneRateWindows(this.db, now);
      await pruneSessions(this.db, now);
      await this.core.store.notifications.pruneRefused(now - REFUSED_RETENTION_MS);
      await pruneCalls(this.db, now - CALL_RETENTION_MS);
    }
    if (this.db.kind === 'pglite' && now - this.lastVacuum >= VACUUM_EVERY_MS) {
      this.lastVacuum = now;
      await vacuumEachTable(this.db);
    }
    if (this.db.kind === 'pglite' && now - this.lastAnalyze >= ANALYZE_EVERY_MS) {
      this.lastAnalyze = now;
      await this.db.query('ANALYZE');
    }
    let total = ((await this.exclusive('expire-sessions', () => expireDueSessions(this.core))) ?? 0) + (await settleDue(this.core, this.settlement)) + (await releaseAvailable(this.core));
    for (;;) {
      const stopping = () => this.stopped;
      const n = (await pollDueAttempts(this.core, 20, stopping)) + (await pollDueRefunds(this.core, 20, stopping));
      total += n;
      if (n === 0 || this.stopped) return total;
    }
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.core.log.error({ err }, 'background work failed; retrying next round'))
        .finally(() => {
          if (!this.stopped) this.schedule(this.intervalMs);
        });
    }, delay);
    this.timer.unref();
  }
}
