/**
 * Currencies, payment methods and wallets: every money rule of the seeds, as data, in one place.
 *
 * Amounts everywhere are integer counts of the currency's minor unit (ISO 4217 exponent).
 * Sources: seed 000 (Alipay: presents CNY, GBP, USD, EUR, HKD; minimum 0.01 CNY; no maximum),
 * seed 003 (Alipay+: presents CNY, HKD, GBP, IDR, MYR, PHP, THB; the currency decides the wallets),
 * seed 004 (Alipay through Trust Payments: AUD, CAD, CHF, DKK, EUR, GBP, HKD, JPY, KRW, NOK, NZD,
 * SEK, SGD, THB, USD),
 * docs/antom-protocol.md §3 and §7 (wallet codes, per-wallet minimums, IDR in whole rupiah).
 */

export interface CurrencyInfo {
  code: string;
  /** Digits after the decimal point: 2 for CNY (fen), 0 for JPY. */
  exponent: number;
  /** Antom wants some currencies in whole units even though ISO gives them decimals (IDR). */
  wholeUnitsOnly?: boolean;
  /** The major unit's name, for messages ("whole rupiah"). */
  unitName?: string;
}

export const CURRENCIES: Readonly<Record<string, CurrencyInfo>> = {
  CNY: { code: 'CNY', exponent: 2 },
  USD: { code: 'USD', exponent: 2 },
  EUR: { code: 'EUR', exponent: 2 },
  GBP: { code: 'GBP', exponent: 2 },
  HKD: { code: 'HKD', exponent: 2 },
  // Antom: "For IDR … make the last two digits 00".
  IDR: { code: 'IDR', exponent: 2, wholeUnitsOnly: true, unitName: 'rupiah' },
  MYR: { code: 'MYR', exponent: 2 },
  PHP: { code: 'PHP', exponent: 2 },
  THB: { code: 'THB', exponent: 2 },
  SGD: { code: 'SGD', exponent: 2 },
  JPY: { code: 'JPY', exponent: 0 },
  KRW: { code: 'KRW', exponent: 0 },
  AUD: { code: 'AUD', exponent: 2 },
  CAD: { code: 'CAD', exponent: 2 },
  CHF: { code: 'CHF', exponent: 2 },
  DKK: { code: 'DKK', exponent: 2 },
  NOK: { code: 'NOK', exponent: 2 },
  NZD: { code: 'NZD', exponent: 2 },
  SEK: { code: 'SEK', exponent: 2 },
};

/** Foreign currencies Alipay CN takes from cross-border merchants (seeds 000 and 004). */
const ALIPAY_CN_CURRENCIES = {
  CNY: 1, USD: 1, EUR: 1, GBP: 1, HKD: 1, AUD: 1, CAD: 1, CHF: 1, DKK: 1, JPY: 1, KRW: 1, NOK: 1, NZD: 1, SEK: 1, SGD: 1, THB: 1,
} as const;

export type PaymentMethodType = 'alipay' | 'alipayplus';
export const PAYMENT_METHOD_TYPES: readonly PaymentMethodType[] = ['alipay', 'alipayplus'];

export type WalletCode =
  | 'ALIPAY_CN' | 'ALIPAY_HK' | 'DANA' | 'TNG' | 'BOOST' | 'GCASH' | 'BPI'
  | 'RABBIT_LINE_PAY' | 'AKULAKU_PAYLATER' | 'AKULAKU_PAYLATER_PH';

export interface WalletInfo {
  code: WalletCode;
  name: string;
  /** Currencies this wallet pays in, with the smallest amount (minor units) it accepts; 1 when none is documented. */
  currencies: Readonly<Record<string, number>>;
  /** Two-letter region, for ordering the cashier by the shopper's region. */
  region: string;
}

export const WALLETS: Readonly<Record<WalletCode, WalletInfo>> = {
  // Seed 000 says Alipay's minimum is 0.01 CNY; antom.md gives 0.1 CNY for ALIPAY_CN through Alipay+.
  ALIPAY_CN: { code: 'ALIPAY_CN', name: 'Alipay', currencies: ALIPAY_CN_CURRENCIES, region: 'CN' },
  ALIPAY_HK: { code: 'ALIPAY_HK', name: 'AlipayHK', currencies: { HKD: 1 }, region: 'HK' },
  DANA: { code: 'DANA', name: 'DANA', currencies: { IDR: 30000 }, region: 'ID' },
  AKULAKU_PAYLATER: { code: 'AKULAKU_PAYLATER', name: 'Akulaku PayLater', currencies: { IDR: 100 }, region: 'ID' },
  TNG: { code: 'TNG', name: "Touch 'n Go eWallet", currencies: { MYR: 5 }, region: 'MY' },
  BOOST: { code: 'BOOST', name: 'Boost', currencies: { MYR: 5 }, region: 'MY' },
  GCASH: { code: 'GCASH', name: 'GCash', currencies: { PHP: 100 }, region: 'PH' },
  BPI: { code: 'BPI', name: 'BPI', currencies: { PHP: 1 }, region: 'PH' },
  AKULAKU_PAYLATER_PH: { code: 'AKULAKU_PAYLATER_PH', name: 'Akulaku PayLater', currencies: { PHP: 1 }, region: 'PH' },
  RABBIT_LINE_PAY: { code: 'RABBIT_LINE_PAY', name: 'Rabbit LINE Pay', currencies: { THB: 1 }, region: 'TH' },
};

/** Alipay+ through the unified cashier: which wallets serve each presentment currency. */
const ALIPAYPLUS_WALLETS_BY_CURRENCY: Readonly<Record<string, readonly WalletCode[]>> = {
  CNY: ['ALIPAY_CN'],
  HKD: ['ALIPAY_HK'],
  // Chinese travellers paying in the UK: Alipay CN pays foreign-currency orders (seed 003 uses GBP).
  GBP: ['ALIPAY_CN'],
  IDR: ['DANA', 'AKULAKU_PAYLATER'],
  MYR: ['TNG', 'BOOST'],
  PHP: ['GCASH', 'BPI', 'AKULAKU_PAYLATER_PH'],
  THB: ['RABBIT_LINE_PAY'],
};

export interface MethodRules {
  type: PaymentMethodType;
  /** The `paymentMethodType` sent to Antom. */
  upstreamMethod: 'ALIPAY_CN' | 'CONNECT_WALLET';
  /** Presentment currencies, with each one's minimum in minor units. */
  currencies: Readonly<Record<string, number>>;
  /** No maximum in the seeds; bounded only so amounts stay exact integers. */
  maximum: number;
}

export const MAX_AMOUNT = 99_999_999_999_99;

export const METHODS: Readonly<Record<PaymentMethodType, MethodRules>> = {
  alipay: {
    type: 'alipay',
    upstreamMethod: 'ALIPAY_CN',
    currencies: ALIPAY_CN_CURRENCIES,
    maximum: MAX_AMOUNT,
  },
  alipayplus: {
    type: 'alipayplus',
    upstreamMethod: 'CONNECT_WALLET',
    currencies: { CNY: 1, HKD: 1, GBP: 1, IDR: 100, MYR: 1, PHP: 1, THB: 1 },
    maximum: MAX_AMOUNT,
  },
};

export function isPaymentMethodType(s: string): s is PaymentMethodType {
  return s === 'alipay' || s === 'alipayplus';
}

export function currencyInfo(code: string): CurrencyInfo | undefined {
  return CURRENCIES[code.toUpperCase()];
}

export function methodsForCurrency(currency: string): PaymentMethodType[] {
  const c = currency.toUpperCase();
  return PAYMENT_METHOD_TYPES.filter((m) => METHODS[m].currencies[c] !== undefined);
}

/** Wallets a shopper may pay an Alipay+ order with, and whether the amount is enough for each. */
export function alipayPlusWallets(currency: string, amount: number): { wallet: WalletInfo; available: boolean; minimum: number }[] {
  const c = currency.toUpperCase();
  return (ALIPAYPLUS_WALLETS_BY_CURRENCY[c] ?? []).map((code) => {
    const wallet = WALLETS[code];
    const minimum = wallet.currencies[c] ?? 1;
    return { wallet, available: amount >= minimum, minimum };
  });
}

/** Wallets that may pay for a given upstream method: Alipay is one wallet, Alipay+ depends on the currency. */
export function walletsFor(upstreamMethod: string, currency: string, amount: number) {
  if (upstreamMethod === 'ALIPAY_CN') {
    const w = WALLETS.ALIPAY_CN;
    const min = w.currencies[currency.toUpperCase()];
    return min === undefined ? [] : [{ wallet: w, available: amount >= min, minimum: min }];
  }
  if (upstreamMethod === 'CONNECT_WALLET') return alipayPlusWallets(currency, amount);
  const w = WALLETS[upstreamMethod as WalletCode];
  const min = w?.currencies[currency.toUpperCase()];
  return w && min !== undefined ? [{ wallet: w, available: amount >= min, minimum: min }] : [];
}

export type AmountProblem =
  | { code: 'currency_unknown'; message: string }
  | { code: 'currency_not_supported'; message: string }
  | { code: 'amount_too_small'; message: string }
  | { code: 'amount_too_large'; message: string }
  | { code: 'amount_invalid'; message: string };

/** Checks an amount for a method; undefined when it is acceptable. */
export function checkAmount(method: PaymentMethodType, currency: string, amount: number): AmountProblem | undefined {
  const info = currencyInfo(currency);
  if (!info) return { code: 'currency_unknown', message: `Invalid currency: ${currency.toLowerCase()}.` };
  const rules = METHODS[method];
  const min = rules.currencies[info.code];
  if (min === undefined) {
    return {
      code: 'currency_not_supported',
      message: `The currency ${info.code} is not supported by ${method}. It presents ${Object.keys(rules.currencies).join(', ')}.`,
    };
  }
  if (!Number.isSafeInteger(amount) || amount <= 0) return { code: 'amount_invalid', message: 'Amount must be a positive integer in the currency\'s minor unit.' };
  if (amount < min) return { code: 'amount_too_small', message: `Amount must be at least ${formatAmount(min, info.code)} for ${method}.` };
  if (amount > rules.maximum) return { code: 'amount_too_large', message: `Amount must be no more than ${formatAmount(rules.maximum, info.code)}.` };
  return checkWholeUnits(info.code, amount);
}

/**
 * Antom takes some currencies in whole units only (IDR: "make the last two digits 00"), for every
 * amount it is sent: payments and refunds alike.
 */
export function checkWholeUnits(currency: string, amount: number): AmountProblem | undefined {
  const info = currencyInfo(currency);
  if (!info?.wholeUnitsOnly || amount % 10 ** info.exponent === 0) return undefined;
  const unit = info.unitName ? `whole ${info.unitName}` : 'whole units';
  return {
    code: 'amount_invalid',
    message: `${info.code} amounts must be ${unit} (Antom's rule): the last ${info.exponent} digits of amount must be ${'0'.repeat(info.exponent)} (got ${amount}).`,
  };
}

/** Plain formatting for messages: "CNY 0.01". Pages use Intl for the shopper's locale. */
export function formatAmount(amount: number, currency: string): string {
  const info = currencyInfo(currency);
  const exp = info?.exponent ?? 2;
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const units = Math.floor(abs / 10 ** exp);
  const frac = exp > 0 ? '.' + String(abs % 10 ** exp).padStart(exp, '0') : '';
  return `${currency.toUpperCase()} ${sign}${units}${frac}`;
}

/** Antom's Amount: `value` is a string of the integer minor units. */
export function toAntomAmount(amount: number, currency: string): { currency: string; value: string } {
  return { currency: currency.toUpperCase(), value: String(amount) };
}

export function fromAntomAmount(a: { currency?: unknown; value?: unknown } | undefined): { currency: string; amount: number } | undefined {
  if (!a || typeof a.currency !== 'string' || typeof a.value !== 'string' || !/^\d{1,16}$/.test(a.value)) return undefined;
  const amount = Number(a.value);
  return Number.isSafeInteger(amount) ? { currency: a.currency.toUpperCase(), amount } : undefined;
}
