/**
 * A payment's life after `pay`: the shopper (or a script) completes it, it expires, and each
 * result is announced by a notifyPayment in the outbox. Buttons, the script API, inquiries and the
 * worker all go through these functions, so a payment's status is decided in one place.
 */
import { randomInt } from 'node:crypto';
import { walletsFor, WALLETS, formatAmount, type WalletCode } from '../core/money.js';
import { publicBase, type SimContext } from './context.js';
import { findPayment, isFinal, type PaymentKey, type PaymentRow } from './store.js';
import { inTx, type Tx } from './tx.js';
import { isoTime, messageFor, result, SUCCESS, wireAmount, type Json } from './wire.js';
import { settlementFields } from './rates.js';

export interface ShopperUrls {
  normalUrl: string;
  applinkUrl: string;
  schemeUrl: string;
  cashierUrl: string;
  walletUrl: string;
}

export function shopperUrls(ctx: SimContext, p: Pick<PaymentRow, 'code_value' | 'terminal_type'>): ShopperUrls {
  const base = publicBase(ctx);
  const cv = encodeURIComponent(p.code_value);
  const cashierUrl = `${base}/simulator/cashier?codeValue=${cv}`;
  const walletUrl = `${base}/simulator/wallet?codeValue=${cv}`;
  return {
    // A desktop shopper scans a QR; a phone shopper goes straight to the wallet.
    normalUrl: p.terminal_type === 'WEB' ? cashierUrl : walletUrl,
    applinkUrl: walletUrl,
    schemeUrl: `alipays://platformapi/startApp?appId=10000007&qrcode=${encodeURIComponent(walletUrl)}`,
    cashierUrl,
    walletUrl,
  };
}

/** The codeValue inside any URL we handed out (normalUrl, applinkUrl, the scheme URL's `qrcode`), or a bare codeValue. */
export function codeValueFrom(urlOrCode: string): string | undefined {
  const s = urlOrCode.trim();
  if (/^[A-Za-z0-9_-]{20,100}$/.test(s)) return s;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return undefined;
  }
  const direct = u.searchParams.get('codeValue');
  if (direct) return direct;
  const inner = u.searchParams.get('qrcode');
  return inner && inner !== s ? codeValueFrom(inner) : undefined;
}

/** The wallet used for a payment: Alipay+ lets the shopper pick one; any other method is its own wallet. */
export function resolveWallet(p: PaymentRow, requested: string | undefined): { wallet: string | undefined } | { problem: string } {
  if (p.method !== 'CONNECT_WALLET') {
    if (requested && requested !== p.method) return { problem: `This ${p.method} payment can only be paid with ${p.method}.` };
    return { wallet: p.method };
  }
  if (!requested) return { wallet: p.wallet ?? undefined };
  if (p.wallet && requested !== p.wallet) return { problem: `The payment is already being paid with ${p.wallet}.` };
  const option = walletsFor(p.method, p.currency, p.amount).find((o) => o.wallet.code === requested);
  if (!option) return { problem: `${requested} does not pay in ${p.currency} through Alipay+.` };
  if (!option.available) return { problem: `${option.wallet.name} needs at least ${formatAmount(option.minimum, p.currency)}.` };
  return { wallet: requested };
}

function pspCustomerInfo(p: PaymentRow): Json | undefined {
  if (!p.wallet || !p.psp_customer_id) return undefined;
  const id = p.psp_customer_id;
  return {
    pspName: p.wallet,
    pspCustomerId: id,
    displayCustomerId: `${id.slice(0, 3)}****${id.slice(-4)}`,
  };
}

/** The payment fields Antom repeats in inquiryPayment answers and notifications. */
export function paymentFields(p: PaymentRow): Json {
  const out: Json = {
    paymentRequestId: p.payment_request_id,
    paymentId: p.payment_id,
    paymentAmount: wireAmount(p.currency, p.amount),
    paymentCreateTime: isoTime(p.created_at),
  };
  if (p.status === 'SUCCESS' && p.paid_at !== null) out.paymentTime = isoTime(p.paid_at);
  out.paymentMethodType = p.wallet ?? p.method;
  const psp = p.status === 'SUCCESS' ? pspCustomerInfo(p) : undefined;
  if (psp) out.pspCustomerInfo = psp;
  return { ...out, ...settlementFields(p) };
}

export interface OutboxItem {
  clientId: string;
  kind: 'notifyPayment' | 'notifyRefund' | 'notifyDispute';
  notifyType: string;
  paymentId: string;
  refundId?: string;
  disputeId?: string;
  url: string;
  body: Json;
}

/** Queues a notification; attempt i is due at now + schedule[i]. The body is serialized here, once. */
export async function enqueueNotification(tx: Tx, ctx: SimContext, n: OutboxItem): Promise<void> {
  const now = ctx.clock.now();
  await tx.q.query(
    `INSERT INTO sim_notifications (client_id, kind, notify_type, payment_id, refund_id, dispute_id, url, body, created_at, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [n.clientId, n.kind, n.notifyType, n.paymentId, n.refundId ?? null, n.disputeId ?? null, n.url, JSON.stringify(n.body), now, now + ctx.schedule[0]!],
  );
  tx.wakeWorkers = true;
}

async function announce(tx: Tx, ctx: SimContext, p: PaymentRow): Promise<void> {
  if (!p.notify_url) return;
  const pending = p.status === 'PENDING';
  const res = p.status === 'SUCCESS' || pending ? SUCCESS : result('F', p.result_code ?? 'PROCESS_FAIL', p.result_message ?? undefined);
  const notifyType = pending ? 'PAYMENT_PENDING' : 'PAYMENT_RESULT';
  await enqueueNotification(tx, ctx, {
    clientId: p.client_id, kind: 'notifyPayment', notifyType, paymentId: p.payment_id, url: p.notify_url,
    body: { notifyType, result: res, ...paymentFields(p) },
  });
}

/** Closes a locked, unpaid payment past its expiry; the conditional update makes the FAIL notification happen once. */
export async function expireLocked(tx: Tx, ctx: SimContext, p: PaymentRow): Promise<PaymentRow> {
  const now = ctx.clock.now();
  if (p.status !== 'PROCESSING' || p.expires_at > now) return p;
  const rows = await tx.q.query<PaymentRow>(
    `UPDATE sim_payments SET status = 'FAIL', result_code = 'ORDER_IS_CLOSED', result_message = $2, updated_at = $3
      WHERE payment_id = $1 AND status = 'PROCESSING' RETURNING *`,
    [p.payment_id, 'The payment was not completed before it expired.', now],
  );
  const closed = rows[0];
  if (!closed) return p;
  await announce(tx, ctx, closed);
  return closed;
}

/** Reads a payment, closing it first if it has expired unpaid (the worker does the same in bulk). */
export async function loadPayment(ctx: SimContext, key: PaymentKey): Promise<PaymentRow | undefined> {
  const p = await findPayment(ctx.db, key);
  if (!p || p.status !== 'PROCESSING' || p.expires_at > ctx.clock.now()) return p;
  return inTx(ctx, async (tx) => {
    const locked = await findPayment(tx.q, { paymentId: p.payment_id }, true);
    return locked && expireLocked(tx, ctx, locked);
  });
}

export async function expireDuePayments(ctx: SimContext, limit = 50): Promise<number> {
  return inTx(ctx, async (tx) => {
    const due = await tx.q.query<PaymentRow>(
      `SELECT * FROM sim_payments WHERE status = 'PROCESSING' AND expires_at <= $1
        ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [ctx.clock.now(), limit],
    );
    for (const p of due) await expireLocked(tx, ctx, p);
    return due.length;
  });
}

export type CompleteOutcome = 'succeeded' | 'failed' | 'processing';

export interface CompleteInput {
  outcome: CompleteOutcome;
  wallet?: string;
  failureCode?: string;
  /** false completes upstream silently, so a gateway's polling path can be exercised. */
  notify: boolean;
}

export type CompleteResult =
  | { ok: true; payment: PaymentRow }
  | { ok: false; httpStatus: 400 | 404 | 409; code: string; message: string; payment?: PaymentRow };

/** What a wallet does when the shopper confirms or declines: the buttons and `POST /simulator/v1/complete`. */
export async function completePayment(ctx: SimContext, key: PaymentKey, input: CompleteInput): Promise<CompleteResult> {
  return inTx(ctx, async (tx): Promise<CompleteResult> => {
    const found = await findPayment(tx.q, key, true);
    if (!found) return { ok: false, httpStatus: 404, code: 'payment_not_found', message: 'No payment has this URL or code.' };
    const p = await expireLocked(tx, ctx, found);
    if (isFinal(p.status)) {
      const why = p.result_code === 'ORDER_IS_CLOSED' ? 'expired' : p.status.toLowerCase();
      return { ok: false, httpStatus: 409, code: 'payment_final', message: `The payment is already final (${why}).`, payment: p };
    }
    if (input.outcome === 'processing' && p.status === 'PENDING') {
      return { ok: false, httpStatus: 409, code: 'payment_pending', message: 'The payment is already processing; complete it as succeeded or failed.', payment: p };
    }
    const chosen = resolveWallet(p, input.wallet);
    if ('problem' in chosen) return { ok: false, httpStatus: 400, code: 'wallet_invalid', message: chosen.problem };
    if (input.outcome === 'succeeded' && !chosen.wallet) {
      const names = walletsFor(p.method, p.currency, p.amount).filter((o) => o.available).map((o) => o.wallet.code);
      return { ok: false, httpStatus: 400, code: 'wallet_required', message: `Choose the wallet that pays: one of ${names.join(', ')}.` };
    }
    const now = ctx.clock.now();
    const wallet = chosen.wallet ?? null;
    let rows: PaymentRow[];
    if (input.outcome === 'succeeded') {
      rows = await tx.q.query<PaymentRow>(
        `UPDATE sim_payments SET status = 'SUCCESS', result_code = 'SUCCESS', result_message = 'success', wallet = $2,
                psp_customer_id = $3, paid_at = $4, updated_at = $4 WHERE payment_id = $1 RETURNING *`,
        [p.payment_id, wallet, pspCustomerId(wallet!), now],
      );
    } else if (input.outcome === 'failed') {
      const code = input.failureCode ?? 'PROCESS_FAIL';
      rows = await tx.q.query<PaymentRow>(
        `UPDATE sim_payments SET status = 'FAIL', result_code = $2, result_message = $3, wallet = $4, updated_at = $5
          WHERE payment_id = $1 RETURNING *`,
        [p.payment_id, code, messageFor(code), wallet, now],
      );
    } else {
      rows = await tx.q.query<PaymentRow>(
        `UPDATE sim_payments SET status = 'PENDING', result_code = 'PAYMENT_IN_PROCESS', result_message = 'payment in process',
                wallet = $2, updated_at = $3 WHERE payment_id = $1 RETURNING *`,
        [p.payment_id, wallet, now],
      );
    }
    const updated = rows[0]!;
    if (input.notify) await announce(tx, ctx, updated);
    return { ok: true, payment: updated };
  });
}

/** A wallet account number that looks like the wallet's own (Alipay's start with 2088). */
function pspCustomerId(wallet: string): string {
  let digits = '';
  while (digits.length < 12) digits += String(randomInt(0, 1_000_000)).padStart(6, '0');
  const prefix = wallet === 'ALIPAY_CN' ? '2088' : wallet in WALLETS && WALLETS[wallet as WalletCode].region === 'PH' ? '0917' : '6000';
  return prefix + digits.slice(0, 12);
}
