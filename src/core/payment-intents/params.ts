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
  description?: string | null;
  metadata?: Metadata;
  receipt_email?: string | null;
  statement_descriptor?: string | null;
  statement_descriptor_suffix?: string | null;
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

export type ConfirmPaymentIntentParams = PaymentMethodParams;

export type CancellationReason = 'abandoned' | 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface CancelPaymentIntentParams {
  cancellation_reason?: CancellationReason;
}
