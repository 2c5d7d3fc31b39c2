/** Validated inputs of the PaymentIntent operations (front doors parse wire formats into these). */
import type { PaymentMethodType } from '../money.js';
import type { Metadata, PaymentMethodOptions } from '../model.js';

export interface PaymentMethodData {
  type: PaymentMethodType;
  billing_details?: Record<string, unknown>;
  metadata?: Metadata;
}

/** What may be set on create, update and confirm alike. */
export interface PaymentMethodParams {
  payment_method_types?: PaymentMethodType[];
  payment_method_data?: PaymentMethodData;
  payment_method?: string;
  payment_method_options?: PaymentMethodOptions;
  return_url?: string | null;
}

export interface CreatePaymentIntentParams extends PaymentMethodParams {
  amount: number;
  currency: string;
  confirm?: boolean;
  confirmation_method?: 'automatic' | 'manual';
  capture_method?: 'automatic';
  /** Stripe's quickstart sends it; offering every method that presents the currency is what we do anyway. */
  automatic_payment_methods?: { enabled: boolean; allow_redirects?: 'always' | 'never' };
  description?: string | null;
  metadata?: Metadata;
  receipt_email?: string | null;
  statement_descriptor?: string | null;
  statement_descriptor_suffix?: string | null;
  /** Internal: the Checkout Session that owns it (never taken from the API). */
  checkout_session_id?: string;
}

export interface UpdatePaymentIntentParams extends PaymentMethodParams {
  amount?: number;
  currency?: string;
  description?: string | null;
  /** Keys with an empty value are removed, as in Stripe. */
  metadata?: Record<string, string | null> | null;
  receipt_email?: string | null;
  statement_descriptor?: string | null;
  statement_descriptor_suffix?: string | null;
}

export interface ConfirmPaymentIntentParams extends PaymentMethodParams {
  /** Internal (hosted checkout): pay with this Alipay+ wallet directly instead of Antom's wallet choice. */
  wallet?: string;
}

/** The first four are the merchant's to give; `expired` is set when a Checkout Session expires. */
export type CancellationReason = 'abandoned' | 'duplicate' | 'fraudulent' | 'requested_by_customer' | 'expired';

export interface CancelPaymentIntentParams {
  cancellation_reason?: CancellationReason;
}
