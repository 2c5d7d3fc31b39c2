/** The settlement report as a CSV download: one reply for GET /v1/reports/settlement and the dashboard's report.csv. */
import type { FastifyReply } from 'fastify';
import { settlementCsv } from '../core/balances/report.js';

/** Sends `rows` as `settlement-<from's date>.csv`, never cached (it is the account's money). */
export function sendSettlementCsv(reply: FastifyReply, rows: Parameters<typeof settlementCsv>[0], from: number): FastifyReply {
  return reply.code(200).type('text/csv; charset=utf-8').header('Cache-Control', 'no-store')
    .header('Content-Disposition', `attachment; filename="settlement-${new Date(from).toISOString().slice(0, 10)}.csv"`)
    .send(settlementCsv(rows));
}
