/** Rules shared by create, update and confirm: methods, currency, options, payment methods. */
import { fail, invalid, notFound, ok, type CoreError, type Result } from '../errors.js';
import { checkAmount, methodsForCurrency, type PaymentMethodType } from '../money.js';
import type { NextAction, PaymentAttemptRecord, PaymentIntentRecord, PaymentMethodOptions } from '../model.js';
import { newId } from '../ids.js';
import { redirectUrlProblem } from '../redirect-urls.js';
import type { StoreTx } from '../store.js';
import type { CoreDeps, RequestContext } from '../context.js';
import type { PaymentMethodParams } from './params.js';
import { nextStatus, type PaymentIntentTransition } from './states.js';

/** Moves a PaymentIntent along the table, or says why it cannot. */
export function transition(pi: PaymentIntentRecord, name: PaymentIntentTransition, action: string): Result<PaymentIntentRecord> {
  const to = nextStatus(pi.status, name);
  if (!to) return fail(unexpectedState(pi, action));
  return ok({ ...pi, status: to });
}

export function unexpectedState(pi: PaymentIntentRecord, action: string): CoreError {
  return {
    kind: 'unexpected_state',
    code: 'payment_intent_unexpected_state',
    message: `You cannot ${action} this PaymentIntent because it has a status of ${pi.status}.`,
    paymentIntentId: pi.id,
  };
}

/** A Checkout Session's PaymentIntent is paid on the hosted page; the API expires the session instead. */
export function ownedByCheckout(pi: PaymentIntentRecord, action: string): CoreError {
  return {
    kind: 'unexpected_state',
    code: 'payment_intent_unexpected_state',
    paymentIntentId: pi.id,
    message: `You cannot ${action} this PaymentIntent directly: it belongs to Checkout Session ${pi.checkout_session_id}. The shopper pays on the session's page; expire the session to stop it (POST /v1/checkout/sessions/${pi.checkout_session_id}/expire).`,
  };
}

/** Checks the amount against every method the PaymentIntent offers. */
export function checkAmountForMethods(types: readonly PaymentMethodType[], currency: string, amount: number): CoreError | undefined {
  for (const t of types) {
    const problem = checkAmount(t, currency, amount);
    if (!problem) continue;
    const param = problem.code === 'currency_not_supported' || problem.code === 'currency_unknown' ? 'currency' : 'amount';
    const code = problem.code === 'currency_unknown' || problem.code === 'currency_not_supported'
      ? 'currency_not_supported' : problem.code === 'amount_invalid' ? 'invalid_amount' : problem.code;
    return invalid(code, problem.message, param);
  }
  return undefined;
}

/** The methods offered when the merchant names none: those that present the currency. */
export function defaultMethods(currency: string, amount: number): PaymentMethodType[] {
  return methodsForCurrency(currency).filter((m) => !checkAmount(m, currency, amount));
}

/**
 * Applies payment_method_types, payment_method_options, payment_method_data / payment_method and
 * return_url to a PaymentIntent (not saved). Creates the PaymentMethod row when data is given.
 */
export async function applyPaymentMethodParams(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord, params: PaymentMethodParams,
): Promise<Result<{ pi: PaymentIntentRecord; attached: boolean }>> {
  let next = { ...pi };
  if (params.payment_method_types) {
    if (params.payment_method_types.length === 0) return fail(invalid('parameter_invalid_empty', 'payment_method_types must name at least one method.', 'payment_method_types'));
    next.payment_method_types = [...new Set(params.payment_method_types)];
  }
  const problem = checkAmountForMethods(next.payment_method_types, next.currency, next.amount);
  if (problem) return fail(problem);

  if (params.payment_method_options) {
    const merged: PaymentMethodOptions = { ...next.payment_method_options };
    for (const [method, opts] of Object.entries(params.payment_method_options) as [PaymentMethodType, object][]) {
      if (!next.payment_method_types.includes(method)) {
        return fail(invalid('parameter_invalid', `payment_method_options[${method}] was given, but ${method} is not in payment_method_types (${next.payment_method_types.join(', ')}).`, `payment_method_options[${method}]`));
      }
      merged[method] = { ...merged[method], ...opts };
    }
    next.payment_method_options = merged;
  }
  if (params.return_url !== undefined) {
    // The front doors check this too; here it holds for every door, since the wallet follows it.
    const problem = params.return_url === null ? undefined : redirectUrlProblem(params.return_url, { bareHost: false });
    if (problem) return fail(invalid('url_invalid', `Invalid return_url: return_url ${problem}.`, 'return_url'));
    next.return_url = params.return_url;
  }

  if (params.payment_method_data && params.payment_method) {
    return fail(invalid('parameters_exclusive', 'Give either payment_method or payment_method_data, not both.', 'payment_method_data'));
  }
  let attached = false;
  if (params.payment_method_data) {
    const data = params.payment_method_data;
    if (!next.payment_method_types.includes(data.type)) {
      return fail(invalid('payment_method_not_available', `payment_method_data[type] is ${data.type}, which is not in payment_method_types (${next.payment_method_types.join(', ')}).`, 'payment_method_data[type]'));
    }
    const pm = {
      id: newId('paymentMethod'),
      account_id: ctx.scope.account_id,
      livemode: ctx.scope.livemode,
      created: deps.clock.now(),
      type: data.type,
      details: {},
      billing_details: data.billing_details ?? {},
      metadata: data.metadata ?? {},
    };
    await s.paymentMethods.insert(pm);
    next.payment_method = pm.id;
    attached = true;
  } else if (params.payment_method) {
    const pm = await s.paymentMethods.get(ctx.scope, params.payment_method);
    if (!pm) return fail(notFound('payment_method', params.payment_method, 'payment_method'));
    if (!next.payment_method_types.includes(pm.type)) {
      return fail(invalid('payment_method_not_available', `The PaymentMethod ${pm.id} is of type ${pm.type}, which is not in payment_method_types.`, 'payment_method'));
    }
    next.payment_method = pm.id;
    attached = true;
  } else if (next.payment_method) {
    // A method attached earlier must still be allowed by the (possibly changed) types.
    const pm = await s.paymentMethods.get(ctx.scope, next.payment_method);
    if (pm && !next.payment_method_types.includes(pm.type)) next.payment_method = null;
  }
  return ok({ pi: next, attached });
}

/** Both shapes the seeds and Stripe use, side by side (seed 000 / seed 003 / Stripe). */
export function nextActionFor(attempt: PaymentAttemptRecord, returnUrl: string | null): NextAction | null {
  const r = attempt.redirect;
  const url = r?.normalUrl ?? r?.applinkUrl ?? r?.schemeUrl;
  if (!url) return null;
  const action: NextAction = { type: 'redirect_to_url', redirect_to_url: { url, return_url: returnUrl } };
  if (attempt.method_type === 'alipay') {
    action.alipay_handle_redirect = { url, native_url: r?.schemeUrl ?? null, native_data: null, return_url: returnUrl };
  } else {
    action.alipayplus_handle_redirect = { normalUrl: url, schemeUrl: r?.schemeUrl ?? null, applinkUrl: r?.applinkUrl ?? null };
  }
  return action;
}
