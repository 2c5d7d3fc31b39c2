/**
 * The balance in the dashboard: the balance per currency, its transactions, and the settlement
 * report of a period as a CSV download — read through the same core operations as GET /v1/balance
 * and GET /v1/reports/settlement.
 */
import { getBalance, settlementReport } from '../../core/balances/read.js';
import { parseReportTime } from '../../core/balances/report.js';
import { sendSettlementCsv } from '../settlement-csv.js';
import { BALANCE_TYPES, balancePage } from '../../pages/dashboard/balance.js';
import { cursorParam, DAY_MS, PAGE_SIZE } from './filters.js';
import type { DashboardKit } from './session.js';

const REPORT_DAYS = 30;

export function balanceRoutes(kit: DashboardKit): void {
  const { queries, core } = kit.opts;

  kit.get('/dashboard/balance', async (req, reply, s) => {
    const q = req.query;
    const form: Record<string, string> = {};
    const problems: string[] = [];
    const type = BALANCE_TYPES.find((t) => t === q.type);
    if (type) form.type = type;
    else if (q.type) problems.push(`"${q.type}" is not a balance transaction type; showing every type.`);
    if (q.report === 'bad') problems.push('The settlement report needs a period: a start date before its end date.');
    const [balance, page] = await Promise.all([
      getBalance(core, s.scope),
      queries.balanceTransactions(s.scope, type ? { type } : {}, { limit: PAGE_SIZE, after: cursorParam(q.after), before: cursorParam(q.before) }),
    ]);
    const today = Math.floor(core.clock.now() / DAY_MS) * DAY_MS;
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    return kit.html(reply, balancePage(s.ctx, {
      form, balance, page, problems, settlementCurrency: core.balances.settlementCurrency,
      reportFrom: day(today - (REPORT_DAYS - 1) * DAY_MS), reportTo: day(today + DAY_MS),
    }));
  });

  kit.get('/dashboard/balance/report.csv', async (req, reply, s) => {
    const from = parseReportTime(req.query.from ?? '');
    const to = parseReportTime(req.query.to ?? '');
    if (from === undefined || to === undefined || from >= to) return reply.redirect('/dashboard/balance?report=bad', 303);
    const rows = await settlementReport(core, s.scope, from, to);
    return sendSettlementCsv(reply, rows, from);
  });
}
