/**
 * Versioned migrations, applied in order, each in its own transaction, under an advisory lock so
 * that several gateway processes starting at once against one PostgreSQL apply each exactly once.
 */
import { MIGRATION_LOCK_KEY as LOCK_KEY, type Db } from './db.js';
import core0001 from './migrations/0001_core.js';
import core0002 from './migrations/0002_refunds_webhooks.js';
import core0003 from './migrations/0003_checkout.js';
import core0004 from './migrations/0004_cancel_requests.js';
import core0005 from './migrations/0005_idempotency_owner.js';
import core0006 from './migrations/0006_automatic_payment_methods.js';
import core0007 from './migrations/0007_notification_budget.js';
import core0008 from './migrations/0008_trust_payments.js';
import core0009 from './migrations/0009_dashboard.js';
import core0010 from './migrations/0010_dashboard_indexes.js';
import core0011 from './migrations/0011_webhook_resend.js';
import core0012 from './migrations/0012_upstream_calls.js';
import core0013 from './migrations/0013_webhook_claim.js';
import core0014 from './migrations/0014_enqueue_deliveries.js';
import core0015 from './migrations/0015_presumed_rows.js';
import core0016 from './migrations/0016_disputes.js';
import core0017 from './migrations/0017_business_profile.js';
import core0018 from './migrations/0018_files.js';
import core0019 from './migrations/0019_balance_transactions.js';
import core0021 from './migrations/0021_dashboard_disputes_balance.js';
import core0022 from './migrations/0022_balance_totals.js';
import core0023 from './migrations/0023_event_served_request.js';
import core0024 from './migrations/0024_webhook_rows_by_id.js';
import core0025 from './migrations/0025_webhook_fewer_indexes.js';

export interface Migration {
  id: string;
  sql: string;
}

export const CORE_MIGRATIONS: readonly Migration[] = [
  { id: '0001_core', sql: core0001 },
  { id: '0002_refunds_webhooks', sql: core0002 },
  { id: '0003_checkout', sql: core0003 },
  { id: '0004_cancel_requests', sql: core0004 },
  { id: '0005_idempotency_owner', sql: core0005 },
  { id: '0006_automatic_payment_methods', sql: core0006 },
  { id: '0007_notification_budget', sql: core0007 },
  { id: '0008_trust_payments', sql: core0008 },
  { id: '0009_dashboard', sql: core0009 },
  { id: '0010_dashboard_indexes', sql: core0010 },
  { id: '0011_webhook_resend', sql: core0011 },
  { id: '0012_upstream_calls', sql: core0012 },
  { id: '0013_webhook_claim', sql: core0013 },
  { id: '0014_enqueue_deliveries', sql: core0014 },
  { id: '0015_presumed_rows', sql: core0015 },
  { id: '0016_disputes', sql: core0016 },
  { id: '0017_business_profile', sql: core0017 },
  { id: '0018_files', sql: core0018 },
  { id: '0019_balance_transactions', sql: core0019 },
  { id: '0021_dashboard_disputes_balance', sql: core0021 },
  { id: '0022_balance_totals', sql: core0022 },
  { id: '0023_event_served_request', sql: core0023 },
  { id: '0024_webhook_rows_by_id', sql: core0024 },
  { id: '0025_webhook_fewer_indexes', sql: core0025 },
];

export async function migrate(db: Db, migrations: readonly Migration[]): Promise<string[]> {
  const applied: string[] = [];
  // Under the lock too: two processes starting at once on an empty schema would both find the
  // table missing, and the second CREATE fail on pg_type's unique index (IF NOT EXISTS is no lock).
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await q.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at bigint NOT NULL)');
  });
  for (const m of migrations) {
    const done = await db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const seen = await q.query('SELECT 1 FROM schema_migrations WHERE id = $1', [m.id]);
      if (seen.length > 0) return false;
      for (const statement of splitStatements(m.sql)) await q.query(statement);
      await q.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [m.id, Date.now()]);
      return true;
    });
    if (done) applied.push(m.id);
  }
  return applied;
}

/**
 * Splits at a semicolon that ends a line, except inside a dollar-quoted body (`$fn$ … $fn$`), so a
 * function's statements may end their lines as any SQL does. Our migrations hold no such semicolon
 * elsewhere inside a statement.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quote: string | undefined;
  const token = /\$[A-Za-z_]*\$|;[ \t]*(?:\r?\n|$)/g;
  for (let m = token.exec(sql); m; m = token.exec(sql)) {
    if (m[0].startsWith('$')) {
      if (quote === undefined) quote = m[0];
      else if (quote === m[0]) quote = undefined;
    } else if (quote === undefined) {
      out.push(sql.slice(start, m.index));
      start = m.index + m[0].length;
    }
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}
