/** The balance and its transactions as the API reads them, scoped to the caller. */
import { fail, ok, pageOr, type Result } from '../errors.js';
import type { CoreDeps } from '../context.js';
import type { ListQuery, Page, Scope } from '../store.js';
import type { BalanceTotal, BalanceTransactionRecord, SettlementReportRow } from './records.js';

export async function getBalanceTransaction(deps: CoreDeps, scope: Scope, id: string): Promise<Result<BalanceTransactionRecord>> {
  const t = await deps.store.balanceTransactions.get(scope, id);
  return t ? ok(t) : fail({ kind: 'not_found', resource: 'balance_transaction', id, param: 'id' });
}

export async function listBalanceTransactions(
  deps: CoreDeps, scope: Scope, q: ListQuery & { type?: string; source?: string; currency?: string },
): Promise<Result<Page<BalanceTransactionRecord>>> {
  return pageOr(await deps.store.balanceTransactions.list(scope, q), q);
}

/**
 * The balance: per currency, the sum of the transactions' `net` that are available and that are
 * still pending — by construction, since it is read from them. The settlement currency is always
 * shown, at zero before the first payment.
 */
export async function getBalance(deps: CoreDeps, scope: Scope): Promise<{ available: BalanceTotal[]; pending: BalanceTotal[] }> {
  const totals = await deps.store.balanceTransactions.totals(scope);
  const currencies = [...new Set([deps.balances.settlementCurrency, ...totals.map((t) => t.currency)])].sort();
  const line = (status: BalanceTotal['status']) => currencies.map((currency) => ({
    currency, status, amount: totals.find((t) => t.currency === currency && t.status === status)?.amount ?? 0,
  }));
  return { available: line('available'), pending: line('pending') };
}

/** Balance transactions created in [from, to) with their payments' references: the settlement report. */
export async function settlementReport(deps: CoreDeps, scope: Scope, from: number, to: number): Promise<SettlementReportRow[]> {
  return deps.store.balanceTransactions.report(scope, from, to);
}
