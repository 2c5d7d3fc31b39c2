/**
 * SQL for the Trust Payments URL-notification worker (delivery/url-notifications.ts). Rows are
 * written by core with the change they report (tpRepo(q).enqueueNotification); here they are
 * claimed with a lease, their attempts kept, and their end decided.
 *
 * A claim counts the attempt (attempts + 1) and pushes next_attempt_at past the lease in the same
 * statement, so a process killed mid-send leaves the row pending, to be claimed again once the
 * lease runs out, and a crash that repeats still uses up the retry schedule.
 */
import type { Queryable } from './db.js';
import type { TpNotificationRecord } from '../core/settlement/records.js';
import { fromRow } from './repos.js';
import { TP_NOTIFICATIONS } from './tp-repos.js';

export interface TpNotificationAttemptRecord {
  notification_id: string;
  /** The claim's number (the row's `attempts` after the claim): 1 for the first send. */
  attempt: number;
  started: number;
  latency_ms: number | null;
  http_status: number | null;
  error: string | null;
  response_excerpt: string | null;
}

const ATTEMPT_COLUMNS = ['notification_id', 'attempt', 'started', 'latency_ms', 'http_status', 'error', 'response_excerpt'] as const;

export interface ClaimOptions {
  /** Notifications of these sites already in flight in this process, and how many. */
  inFlight?: ReadonlyMap<string, number>;
  /** At most this many in flight per site, counting `inFlight`. */
  perSite?: number;
}

/**
 * What ends an attempt. `succeeded` ends the row whenever it is still pending (a late success is
 * still a success); `retry` and `failed` apply only while `attempt` is still the row's latest
 * claim, so a worker whose lease ran out cannot undo what a newer claim decided.
 */
export type TpNotificationOutcome =
  | { kind: 'succeeded'; attempt: number; status: number; now: number }
  | { kind: 'retry'; attempt: number; status: number | null; nextAttemptAt: number }
  | { kind: 'failed'; attempt: number; status: number | null; now: number };

export function tpNotificationStore(q: Queryable) {
  return {
    /**
     * Pending notifications due at `now`, oldest first, at most `limit` (and at most `perSite`
     * per site, counting those already in flight), locked SKIP LOCKED and leased until
     * `now + leaseMs`, in one statement.
     */
    claimDue: async (now: number, limit: number, leaseMs: number, opts: ClaimOptions = {}): Promise<TpNotificationRecord[]> => {
      const busy = [...(opts.inFlight ?? new Map<string, number>())];
      const rows = await q.query(
        `UPDATE tp_notifications SET next_attempt_at = $2, attempts = attempts + 1, last_attempt_at = $1
          WHERE id IN (
            SELECT id FROM tp_notifications
             WHERE id IN (SELECT id FROM (
                            SELECT n.id, row_number() OVER (PARTITION BY n.site_reference ORDER BY n.next_attempt_at, n.created, n.id)
                                   + COALESCE(b.busy, 0) AS place
                              FROM tp_notifications n
                              LEFT JOIN unnest($4::text[], $5::int[]) AS b(site, busy) ON b.site = n.site_reference
                             WHERE n.status = 'pending' AND n.next_attempt_at <= $1) ranked
                           WHERE place <= $6)
               AND status = 'pending' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, created, id LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [now, now + leaseMs, limit, busy.map(([site]) => site), busy.map(([, n]) => n), opts.perSite ?? limit],
      );
      return rows
        .map((r) => fromRow(TP_NOTIFICATIONS, r))
        .sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    recordAttempt: async (a: TpNotificationAttemptRecord): Promise<void> => {
      await q.query(
        `INSERT INTO tp_notification_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        ATTEMPT_COLUMNS.map((c) => a[c]),
      );
    },

    /** Ends the attempt (see {@link TpNotificationOutcome}); false when the row had moved on. */
    finish: async (notificationId: string, o: TpNotificationOutcome): Promise<boolean> => {
      const rows = o.kind === 'succeeded'
        ? await q.query(
          `UPDATE tp_notifications SET status = 'succeeded', next_attempt_at = NULL, last_status = $2, completed_at = $3
            WHERE id = $1 AND status = 'pending' RETURNING 1`,
          [notificationId, o.status, o.now],
        )
        : o.kind === 'retry'
          ? await q.query(
            `UPDATE tp_notifications SET next_attempt_at = $3, last_status = $4
              WHERE id = $1 AND status = 'pending' AND attempts = $2 RETURNING 1`,
            [notificationId, o.attempt, o.nextAttemptAt, o.status],
          )
          : await q.query(
            `UPDATE tp_notifications SET status = 'failed', next_attempt_at = NULL, last_status = $3, completed_at = $4
              WHERE id = $1 AND status = 'pending' AND attempts = $2 RETURNING 1`,
            [notificationId, o.attempt, o.status, o.now],
          );
      return rows.length > 0;
    },

    get: async (notificationId: string): Promise<TpNotificationRecord | undefined> => {
      const rows = await q.query('SELECT * FROM tp_notifications WHERE id = $1', [notificationId]);
      return rows[0] ? fromRow(TP_NOTIFICATIONS, rows[0]) : undefined;
    },

    attemptsOf: async (notificationId: string): Promise<TpNotificationAttemptRecord[]> => {
      const rows = await q.query(
        `SELECT ${ATTEMPT_COLUMNS.join(', ')} FROM tp_notification_attempts WHERE notification_id = $1 ORDER BY attempt`,
        [notificationId],
      );
      return rows as unknown as TpNotificationAttemptRecord[];
    },
  };
}

export type TpNotificationStore = ReturnType<typeof tpNotificationStore>;
