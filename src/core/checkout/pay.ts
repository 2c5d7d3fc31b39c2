/**
 * The hosted page starts a payment: it confirms the session's PaymentIntent for the shopper's
 * device (desktop → WEB, a QR code to scan; phone → WAP, straight into the wallet app) and, for
 * Alipay+, the wallet the shopper picked among those serving the currency. Pressing the button
 * twice reuses the attempt in flight; picking another wallet closes it at Antom first.
 */
import { fail, invalid, ok, type Result } from '../errors.js';
import { walletsFor, type PaymentMethodType } from '../money.js';
import type { CheckoutSessionRecord, PaymentIntentRecord } from '../model.js';
import { requestFields, systemContext, type CoreDeps, type RequestContext } from '../context.js';
import { confirmPaymentIntent } from '../payment-intents/confirm.js';
import { applyPaymentOutcome } from '../payment-intents/apply-outcome.js';
import { expireCheckoutSession } from './expire.js';

export interface StartPayment {
  method: PaymentMethodType;
  /** Alipay+ wallet code (e.g. GCASH); required for alipayplus. */
  wallet?: string;
  device: 'desktop' | 'phone';
  osType?: 'IOS' | 'ANDROID';
  clientIp?: string;
}

export interface Started {
  pi: PaymentIntentRecord;
  /** Where a phone goes (the wallet app page). */
  redirectUrl: string | null;
  /** What a desktop shows as a QR code, and the wallet link behind it. */
  qr: { value: string; walletUrl: string } | null;
}

/** `servedBy`: the id of the page's request, for the log. */
export async function startCheckoutPayment(deps: CoreDeps, sessionId: string, p: StartPayment, servedBy?: string): Promise<Result<Started>> {
  const session = await deps.store.checkoutSessions.findById(sessionId);
  if (!session) return fail({ kind: 'not_found', resource: 'checkout.session', id: sessionId });
  const ctx: RequestContext = { ...systemContext({ account_id: session.account_id, livemode: session.livemode }, servedBy), actor: 'checkout' };
  if (session.status === 'open' && session.expires_at <= deps.clock.now()) await expireCheckoutSession(deps, ctx, session.id);
  const current = (await deps.store.checkoutSessions.findById(sessionId))!;
  if (current.status !== 'open') return fail(invalid('parameter_invalid', `This checkout is ${current.status}.`, 'session'));
  const checked = checkChoice(current, p);
  if (!checked.ok) return checked;

  const terminal = p.device === 'desktop' ? 'WEB' : 'WAP';
  const upstream = p.method === 'alipayplus' ? p.wallet! : 'ALIPAY_CN';
  let pi = (await deps.store.paymentIntents.findById(current.payment_intent_id))!;
  const open = await deps.store.attempts.open(pi.id);
  if (open && pi.status === 'requires_action') {
    if (open.upstream_method === upstream && open.env.terminal_type === terminal) return ok(started(pi, open.redirect, p.device));
    // Another wallet or device: close this attempt at Antom before starting the new one.
    const connector = deps.connector(pi.livemode);
    const closed = connector ? await connector.cancel(open.id, requestFields(ctx)) : { status: 'unknown' as const };
    if (closed.status !== 'canceled') return fail({ kind: 'upstream_unavailable', message: 'The earlier payment could not be closed yet; try again in a moment.' });
    const applied = await applyPaymentOutcome(deps, ctx, open.id, { status: 'canceled' });
    if (!applied.ok) return applied;
    pi = applied.value;
  }
  if (pi.status === 'processing' || pi.status === 'succeeded') return ok({ pi, redirectUrl: null, qr: null });

  const confirmed = await confirmPaymentIntent(deps, ctx, pi.id, {
    payment_method_data: { type: p.method },
    payment_method_options: { [p.method]: { terminal_type: terminal, ...(p.osType ? { os_type: p.osType } : {}), ...(p.clientIp ? { client_ip: p.clientIp } : {}) } },
    wallet: p.method === 'alipayplus' ? p.wallet : undefined,
  });
  if (!confirmed.ok) return confirmed;
  const attempt = await deps.store.attempts.open(confirmed.value.id);
  return ok(started(confirmed.value, attempt?.redirect ?? null, p.device));
}

function checkChoice(session: CheckoutSessionRecord, p: StartPayment): Result<true> {
  if (!session.payment_method_types.includes(p.method)) return fail(invalid('payment_method_not_available', `This checkout does not offer ${p.method}.`, 'method'));
  if (p.method !== 'alipayplus') return ok(true);
  const offered = walletsFor('CONNECT_WALLET', session.currency, session.amount_total).find((w) => w.wallet.code === p.wallet);
  if (!offered) return fail(invalid('parameter_invalid', `Choose one of the wallets shown for ${session.currency}.`, 'wallet'));
  if (!offered.available) return fail(invalid('parameter_invalid', `${offered.wallet.name} does not take amounts this small.`, 'wallet'));
  return ok(true);
}

function started(pi: PaymentIntentRecord, r: { normalUrl?: string; applinkUrl?: string; schemeUrl?: string; qrCode?: string } | null, device: 'desktop' | 'phone'): Started {
  const walletUrl = r?.applinkUrl ?? r?.normalUrl ?? null;
  if (device === 'phone') return { pi, redirectUrl: r?.normalUrl ?? walletUrl, qr: null };
  const value = r?.qrCode ?? walletUrl;
  return { pi, redirectUrl: null, qr: value ? { value, walletUrl: walletUrl ?? value } : null };
}
