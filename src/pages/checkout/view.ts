/**
 * What the hosted checkout page shows: routes (src/api/checkout.ts) build this from a Checkout
 * Session and its PaymentIntent; the templates in this folder only render it. Amounts are integer
 * minor units of `currency`; times are epoch milliseconds.
 */

/** The shopper languages the seeds name. */
export type Locale = 'en' | 'zh-Hans' | 'zh-Hant' | 'ja' | 'es' | 'nl' | 'id' | 'ms' | 'th' | 'fil';

export type Device = 'desktop' | 'phone';

export interface CheckoutLineItemView {
  name: string;
  description: string | null;
  quantity: number;
  /** Price of one unit. */
  unitAmount: number;
  /** quantity × unitAmount. */
  amountTotal: number;
  imageUrl: string | null;
}

export interface CheckoutWalletView {
  /** Antom wallet code, e.g. GCASH; posted back as the `wallet` form field. */
  code: string;
  name: string;
  available: boolean;
  /** Smallest amount this wallet takes, minor units (shown when not available). */
  minimum: number;
}

export interface CheckoutView {
  sessionId: string;
  merchantName: string;
  /** False in test mode: the page then says so. */
  livemode: boolean;
  locale: Locale;
  device: Device;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid';
  currency: string;
  amountSubtotal: number;
  amountTotal: number;
  lineItems: CheckoutLineItemView[];
  /** `alipay` (one wallet: Alipay) and/or `alipayplus` (the shopper chooses among `wallets`). */
  methods: ('alipay' | 'alipayplus')[];
  /** Alipay+ wallets serving `currency`, in display order; empty when `alipayplus` is not offered. */
  wallets: CheckoutWalletView[];
  customerEmail: string | null;
  expiresAt: number;
  successUrl: string;
  /** Null when the merchant gave no cancel_url: then no cancel link is shown. */
  cancelUrl: string | null;
  /** A failed attempt's message for the shopper, shown above a "try again"; null otherwise. */
  lastError: string | null;
  /**
   * A desktop payment in progress: the QR code (inline SVG markup, safe to embed) that the wallet
   * app scans, which method and wallet it is for, and the wallet link itself (as a fallback link).
   */
  qr: { svg: string; walletUrl: string; method: 'alipay' | 'alipayplus'; wallet: string | null } | null;
  urls: {
    /**
     * POST here (form fields: `method`, and `wallet` for Alipay+) to start paying. As a form post it
     * answers with a redirect (phone: to the wallet app; desktop: back to the page, now with `qr`).
     * With `Accept: application/json` it answers `{qr: {svg, walletUrl}}`, `{redirect}` or
     * `{error}` instead, so the desktop page can fill its reserved QR box without reloading.
     */
    pay: string;
    /** GET: JSON `{status, payment_status, next: string|null, error: string|null}`; poll it while a QR is shown. */
    status: string;
  };
}
