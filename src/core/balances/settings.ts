/**
 * What an account's balance is kept in and charged: its settlement currency (sent to Antom as
 * `settlementStrategy.settlementCurrency`), its fee schedule, and how long funds stay pending.
 * Parsed once at boot (config.ts) from OPENCASHIER_SETTLEMENT_CURRENCY, OPENCASHIER_FEES and
 * OPENCASHIER_AVAILABLE_DELAY_*; core is handed the result.
 */
import { isDecimal, percentOf } from './amounts.js';

/**
 * The currencies Antom settles an Alipay merchant in, as seed 000 lists them (specs/antom.md §9c):
 * USD, and GBP, HKD, EUR. Antom's wider list is not documented where we could read it, so no more.
 */
export const SETTLEMENT_CURRENCIES = ['USD', 'GBP', 'HKD', 'EUR'] as const;
export type SettlementCurrency = (typeof SETTLEMENT_CURRENCIES)[number];

/** One line of the fee schedule: a percentage of the settled amount plus a fixed amount (settlement currency, minor units). */
export interface FeeRule {
  percent: string;
  fixed: number;
}

/** Keyed by a payment method type (`alipay`, `alipayplus`), a wallet code (`GCASH`), or `*` for the rest. */
export type FeeSchedule = Readonly<Record<string, FeeRule>>;

export interface BalanceSettings {
  settlementCurrency: SettlementCurrency;
  fees: FeeSchedule;
  /** How long after its balance transaction a payment's funds become available, per mode. */
  availableAfterMs: { test: number; live: number };
}

export const DEFAULT_BALANCE_SETTINGS: BalanceSettings = {
  settlementCurrency: 'USD',
  fees: {},
  availableAfterMs: { test: 5_000, live: 2 * 86_400_000 },
};

/**
 * `alipay=2.9%+30,alipayplus=3.4%,GCASH=1.5%+10,*=3%`: per key a percentage, a fixed amount in
 * minor units of the settlement currency, or both. Returns the schedule, or what is wrong.
 */
export function parseFees(text: string): FeeSchedule | { problem: string } {
  const out: Record<string, FeeRule> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([A-Za-z_*][A-Za-z0-9_]*)\s*=\s*(?:(\d+(?:\.\d+)?)%)?\s*(?:\+?\s*(\d+))?$/.exec(part);
    if (!m || (m[2] === undefined && m[3] === undefined)) {
      return { problem: `"${part}" is not method=percent%+fixed (for example alipay=2.9%+30, alipayplus=3.4%, *=50)` };
    }
    if (m[2] !== undefined && (!isDecimal(m[2]) || Number(m[2]) >= 100)) return { problem: `"${part}": the percentage must be below 100` };
    if (out[m[1]!]) return { problem: `"${m[1]}" is given twice` };
    out[m[1]!] = { percent: m[2] ?? '0', fixed: Number(m[3] ?? 0) };
  }
  return out;
}

/** The rule for a charge: its wallet's, else its method's, else `*`'s, else none. */
export function feeRuleFor(fees: FeeSchedule, method: string, wallet: string | null): { key: string; rule: FeeRule } | undefined {
  for (const key of [wallet, method, '*']) if (key && fees[key]) return { key, rule: fees[key] };
  return undefined;
}

/** The fee on a settled amount (never more than the amount, never negative). */
export function feeOn(amount: number, rule: FeeRule): number {
  if (amount <= 0) return 0;
  return Math.min(amount, percentOf(amount, rule.percent) + rule.fixed);
}
