/** /v1/balance, /v1/balance_transactions and the settlement report (core/balances/). */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { getBalance, getBalanceTransaction, listBalanceTransactions, settlementReport } from '../../../core/balances/read.js';
import { sendSettlementCsv } from '../../settlement-csv.js';
import * as P from '../params.js';
import { renderBalanceTransaction } from '../expand.js';
import { balancePublic } from '../balance-objects.js';
import { parseParams, scopeOf, sendResult } from '../plugin.js';
import { listBody } from './list.js';
import { ok } from '../../../core/errors.js';

export function balanceRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;

    app.get('/balance', async (req, reply) => {
      if (!parseParams(reply, P.retrieveBalance, req.query, 'none')) return reply;
      const scope = scopeOf(req);
      return sendResult(reply, ok(await getBalance(core, scope)), (b) => balancePublic(b, scope.livemode));
    });

    app.get<{ Params: { id: string } }>('/balance_transactions/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieveBalance, req.query, 'balance_transaction');
      if (!parsed) return reply;
      const scope = scopeOf(req);
      const now = core.clock.now();
      return sendResult(reply, await getBalanceTransaction(core, scope, req.params.id), (t) => renderBalanceTransaction(store, scope, t, parsed.expand, now));
    });

    app.get('/balance_transactions', async (req, reply) => {
      const parsed = parseParams(reply, P.listBalanceTransactions, req.query, 'balance_transaction', true);
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      const scope = scopeOf(req);
      const page = await listBalanceTransactions(core, scope, { ...P.toListQuery(p), type: p.type, source: p.source, currency: p.currency });
      const now = core.clock.now();
      return sendResult(reply, page, (pg) => listBody('/v1/balance_transactions', pg, (t) => renderBalanceTransaction(store, scope, t, expand, now)));
    });

    app.get('/reports/settlement', async (req, reply) => {
      const parsed = parseParams(reply, P.settlementReport, req.query, 'none');
      if (!parsed) return reply;
      const rows = await settlementReport(core, scopeOf(req), parsed.params.from, parsed.params.to);
      return sendSettlementCsv(reply, rows, parsed.params.from);
    });
  };
}
