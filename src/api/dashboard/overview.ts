/** The Overview and Refunded payments pages: read-only, from the dashboard's read model. */
import type { RefundFilter } from '../../store/dashboard.js';
import { overviewPage } from '../../pages/dashboard/overview.js';
import { refundsPage } from '../../pages/dashboard/refunds.js';
import { getBalance } from '../../core/balances/read.js';
import { cursorParam, DAY_MS, PAGE_SIZE, readDays } from './filters.js';
import type { DashboardKit } from './session.js';

export const OVERVIEW_DAYS = 30;

/** The window's UTC days, oldest first, ending with today's. */
export function lastDays(now: number, days: number): string[] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

export function overviewRoutes(kit: DashboardKit): void {
  const { queries, core } = kit.opts;

  kit.get('/dashboard', async (_req, reply, s) => {
    const now = core.clock.now();
    const [totals, balance] = await Promise.all([queries.overview(s.scope, now, OVERVIEW_DAYS), getBalance(core, s.scope)]);
    return kit.html(reply, overviewPage(s.ctx, { days: lastDays(now, OVERVIEW_DAYS), totals, balance, publicUrl: kit.opts.publicUrl() }));
  });

  kit.get('/dashboard/refunds', async (req, reply, s) => {
    const q = req.query;
    const filter: RefundFilter = {};
    const form: Record<string, string> = {};
    const problems: string[] = [];
    if (q.status === 'succeeded' || q.status === 'pending' || q.status === 'failed' || q.status === 'canceled') form.status = filter.status = q.status;
    if (q.currency && /^[a-zA-Z]{3}$/.test(q.currency)) form.currency = filter.currency = q.currency.toUpperCase();
    readDays(q, filter, form, problems);
    const [page, totals, currencies] = await Promise.all([
      queries.refunds(s.scope, filter, { limit: PAGE_SIZE, after: cursorParam(q.after), before: cursorParam(q.before) }),
      queries.refundTotals(s.scope, filter),
      queries.currencies(s.scope),
    ]);
    return kit.html(reply, refundsPage(s.ctx, { form, page, totals, currencies, problems }));
  });
}
