/**
 * `opencashier report settlement --from <date> --to <date> [--live]`: the settlement report
 * (core/balances/report.ts) as CSV on stdout — what GET /v1/reports/settlement answers. A bad
 * period is one line on stderr and exit code 2.
 */
import { parseArgs } from 'node:util';
import type { Queryable } from '../store/db.js';
import { balanceTransactionRepo } from '../store/balances.js';
import { parseReportTime, settlementCsv } from '../core/balances/report.js';

export interface ReportIo {
  db: Queryable;
  accountId: string;
  out(text: string): void;
  err(text: string): void;
}

export const REPORT_USAGE = `Usage: opencashier report settlement --from <YYYY-MM-DD | unix time> --to <YYYY-MM-DD | unix time> [--live]
       one CSV line per balance transaction created from --from up to (not including) --to, test mode unless --live`;

export async function runReport(argv: string[], io: ReportIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'settlement') {
    io.err(`${sub === undefined ? 'Which report?' : `Unknown report: ${sub}`}\n\n${REPORT_USAGE}\n`);
    return 2;
  }
  let values: { from?: string; to?: string; live?: boolean };
  try {
    ({ values } = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' }, live: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${REPORT_USAGE}\n`);
    return 2;
  }
  const from = values.from === undefined ? undefined : parseReportTime(values.from);
  const to = values.to === undefined ? undefined : parseReportTime(values.to);
  if (from === undefined || to === undefined || from >= to) {
    io.err(`Give the period as --from and --to (a date YYYY-MM-DD or a unix time), --from before --to.\n\n${REPORT_USAGE}\n`);
    return 2;
  }
  const rows = await balanceTransactionRepo(io.db).report({ account_id: io.accountId, livemode: values.live === true }, from, to);
  io.out(settlementCsv(rows));
  return 0;
}
