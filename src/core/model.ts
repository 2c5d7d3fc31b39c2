/**
 * The records core keeps, and their public shape (the seeds' JSON plus Stripe's fields). Field
 * names follow the wire (snake_case), so a record, its row and its JSON read alike.
 */
import type { PaymentMethodType } from './money.js';
import type { PaymentIntentStatus } from './payment-intents/states.js';
import { balanceTransactionPublic, type BalanceTransactionRecord } from './balances/records.js';

export type Metadata = Record<string, string>;

/** `payment_method_options.alipay` (seed 000) and `.alipayplus` (seed 003) take the same fields. */
export interface WalletOptions {
  client_ip?: string;
  terminal_type?: 'WEB' | 'APP' | 'WAP';
  os_type?: 'IOS' | 'ANDROID';
}
export interface PaymentMethodOptions {
  alipay?: WalletOptions;
  alipayplus?: WalletOptions;
}

export interface LastPaymentError {
  type: 'card_error' | 'api_error' | 'invalid_request_error';
  code: string;
  decline_code?: string;
  message: string;
  payment_method_type: PaymentMethodType;
  payment_method?: PaymentMethodPublic;
}

export interface NextAction {
  type: 'redirect_to_url';
  redirect_to_url: { url: string; return_url: string | null };
  /** Seed 000: Alipay. */
  alipay_handle_redirect?: { url: string; native_url: string | null; native_data: string | null; return_url: string | null };
  /** Seed 003: Alipay+. */
  alipayplus_handle_redirect?: { normalUrl: string; schemeUrl: string | null; applinkUrl: string | null };
}

export interface PaymentIntentRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  amount: number;
  currency: string;
  status: PaymentIntentStatus;
  client_secret: string;
  payment_method_types: PaymentMethodType[];
  payment_method_options: PaymentMethodOptions;
  payment_method: string | null;
  confirmation_method: 'automatic' | 'manual';
  capture_method: 'automatic';
  return_url: string | null;
  description: string | null;
  metadata: Metadata;
  amount_received: number;
  latest_charge: string | null;
  last_payment_error: LastPaymentError | null;
  cancellation_reason: string | null;
  canceled_at: number | null;
  next_action: NextAction | null;
  receipt_email: string | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  idempotency_key: string | null;
  /** Set when a Checkout Session owns this PaymentIntent: it is then paid through the hosted page only. */
  checkout_session_id: string | null;
  /** As the merchant asked (Stripe's automatic_payment_methods), or null. */
  automatic_payment_methods: { enabled: boolean; allow_redirects?: 'always' | 'never' } | null;
}

export interface PaymentMethodRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  type: PaymentMethodType;
  details: { wallet?: string };
  billing_details: Record<string, unknown>;
  metadata: Metadata;
}

export type AttemptStatus = 'pending' | 'redirected' | 'processing' | 'succeeded' | 'failed' | 'canceled';

export interface PaymentAttemptRecord {
  /** Antom's paymentRequestId. */
  id: string;
  payment_intent_id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  amount: number;
  currency: string;
  method_type: PaymentMethodType;
  upstream_method: string;
  payment_method_id: string;
  /** Antom's orderDescription, fixed at the first send so resends are identical. */
  description: string;
  env: { terminal_type: 'WEB' | 'WAP' | 'APP'; os_type?: 'IOS' | 'ANDROID'; client_ip?: string };
  status: AttemptStatus;
  upstream_payment_id: string | null;
  redirect: { normalUrl?: string; schemeUrl?: string; applinkUrl?: string; qrCode?: string } | null;
  failure_code: string | null;
  failure_message: string | null;
  wallet: string | null;
  buyer_id: string | null;
  paid_at: number | null;
  next_poll_at: number | null;
  poll_count: number;
  /**
   * Set when the gateway decided to close this attempt at Antom, before asking. Until Antom answers
   * the cancel, a success reported for the attempt is held (its facts kept, nothing reported as
   * paid); Antom's answer to the cancel decides. See payment-intents/cancel.ts.
   */
  cancel_requested_at: number | null;
  /** Who asked: the merchant (API), a Checkout Session expiring, or the poller when nobody paid in time. */
  cancel_source: CancelSource | null;
  cancel_reason: string | null;
}

export type CancelSource = 'merchant' | 'checkout' | 'expiry';

export interface ChargeRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  payment_intent_id: string;
  payment_method_id: string | null;
  attempt_id: string;
  amount: number;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed';
  amount_refunded: number;
  failure_code: string | null;
  failure_message: string | null;
  payment_method_details: Record<string, unknown>;
  description: string | null;
  metadata: Metadata;
  /** Antom told of a dispute (chargeback) of this charge; stays true once set, as Stripe's does. */
  disputed: boolean;
  /** Its balance transaction (core/balances/), once it succeeded. */
  balance_transaction?: string | null;
}

export interface EventRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  type: string;
  api_version: string | null;
  object_id: string;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  request_id: string | null;
  idempotency_key: string | null;
  /**
   * When no API request caused it (request_id null): the HTTP request that recorded it, Antom's
   * notification's or the checkout page's, for the log (its deliveries' lines). Never shown in the API.
   */
  served_request_id: string | null;
  pending_webhooks: number;
}

/** The API version our objects' shape follows (Stripe's OpenAPI 2023-08-16, seeds' extensions). */
export const API_VERSION = '2023-08-16';

// ---------------------------------------------------------------------------------------------
// Public shapes

export interface PaymentMethodPublic {
  id: string;
  object: 'payment_method';
  type: PaymentMethodType;
  created: number;
  livemode: boolean;
  billing_details: Record<string, unknown>;
  customer: null;
  metadata: Metadata;
  alipay?: Record<string, unknown>;
  alipayplus?: Record<string, unknown>;
}

export function paymentMethodPublic(pm: PaymentMethodRecord): PaymentMethodPublic {
  const billing = { address: null, email: null, name: null, phone: null, ...pm.billing_details };
  return {
    id: pm.id,
    object: 'payment_method',
    type: pm.type,
    created: pm.created,
    livemode: pm.livemode,
    billing_details: billing,
    customer: null,
    metadata: pm.metadata,
    [pm.type]: { ...pm.details },
  };
}

export function paymentIntentPublic(pi: PaymentIntentRecord) {
  return {
    id: pi.id,
    object: 'payment_intent' as const,
    created: pi.created,
    currency: pi.currency,
    amount: pi.amount,
    amount_capturable: 0,
    amount_received: pi.amount_received,
    status: pi.status,
    livemode: pi.livemode,
    client_secret: pi.client_secret,
    next_action: pi.next_action,
    payment_method_types: pi.payment_method_types,
    confirmation_method: pi.confirmation_method,
    payment_method_options: pi.payment_method_options,
    return_url: pi.return_url,
    payment_method: pi.payment_method as string | PaymentMethodPublic | null,
    capture_method: pi.capture_method,
    latest_charge: pi.latest_charge as string | Record<string, unknown> | null,
    last_payment_error: pi.last_payment_error,
    cancellation_reason: pi.cancellation_reason,
    canceled_at: pi.canceled_at,
    description: pi.description,
    metadata: pi.metadata,
    receipt_email: pi.receipt_email,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: pi.statement_descriptor_suffix,
    customer: null,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: pi.automatic_payment_methods,
    invoice: null,
    on_behalf_of: null,
    processing: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    transfer_data: null,
    transfer_group: null,
  };
}

export type PaymentIntentPublic = ReturnType<typeof paymentIntentPublic>;

export function chargePublic(ch: ChargeRecord) {
  const succeeded = ch.status === 'succeeded';
  return {
    id: ch.id,
    object: 'charge' as const,
    created: ch.created,
    amount: ch.amount,
    amount_captured: succeeded ? ch.amount : 0,
    amount_refunded: ch.amount_refunded,
    currency: ch.currency,
    status: ch.status,
    paid: succeeded,
    captured: succeeded,
    refunded: succeeded && ch.amount_refunded >= ch.amount,
    disputed: ch.disputed,
    livemode: ch.livemode,
    payment_intent: ch.payment_intent_id as string | Record<string, unknown>,
    payment_method: ch.payment_method_id as string | PaymentMethodPublic | null,
    payment_method_details: ch.payment_method_details,
    failure_code: ch.failure_code,
    failure_message: ch.failure_message,
    outcome: succeeded
      ? { network_status: 'approved_by_network', reason: null, risk_level: 'not_assessed', seller_message: 'Payment complete.', type: 'authorized' }
      : ch.status === 'failed'
        ? { network_status: 'declined_by_network', reason: ch.failure_code?.toLowerCase() ?? null, risk_level: 'not_assessed', seller_message: ch.failure_message, type: 'issuer_declined' }
        : null,
    billing_details: { address: null, email: null, name: null, phone: null },
    description: ch.description,
    metadata: ch.metadata,
    balance_transaction: (ch.balance_transaction ?? null) as string | Record<string, unknown> | null,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    calculated_statement_descriptor: null,
    customer: null,
    failure_balance_transaction: null,
    fraud_details: {},
    invoice: null,
    on_behalf_of: null,
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    transfer_data: null,
    transfer_group: null,
  };
}

export type ChargePublic = ReturnType<typeof chargePublic>;

export function eventPublic(ev: EventRecord) {
  return {
    id: ev.id,
    object: 'event' as const,
    api_version: ev.api_version,
    created: ev.created,
    data: ev.data,
    livemode: ev.livemode,
    pending_webhooks: ev.pending_webhooks,
    request: { id: ev.request_id, idempotency_key: ev.idempotency_key },
    type: ev.type,
  };
}

// ---------------------------------------------------------------------------------------------
// Refunds and webhooks

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface RefundRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  payment_intent_id: string;
  charge_id: string;
  amount: number;
  currency: string;
  reason: RefundReason | null;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  failure_reason: string | null;
  /** Antom's result code when the refund failed upstream. */
  failure_code: string | null;
  description: string | null;
  metadata: Metadata;
  upstream_refund_id: string | null;
  next_poll_at: number | null;
  poll_count: number;
  idempotency_key: string | null;
  /** Its balance transaction (core/balances/), once it succeeded. */
  balance_transaction?: string | null;
}

export function refundPublic(r: RefundRecord) {
  return {
    id: r.id,
    object: 'refund' as const,
    created: r.created,
    amount: r.amount,
    currency: r.currency,
    metadata: r.metadata,
    reason: r.reason,
    status: r.status,
    description: r.description,
    payment_intent: r.payment_intent_id as string | Record<string, unknown>,
    charge: r.charge_id as string | Record<string, unknown>,
    failure_reason: r.failure_reason,
    balance_transaction: (r.balance_transaction ?? null) as string | Record<string, unknown> | null,
    receipt_number: null,
    source_transfer_reversal: null,
    transfer_reversal: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Disputes (chargebacks), as Antom's notifyDispute tells them (core/disputes/)

export type DisputeStatus =
  | 'warning_needs_response' | 'warning_under_review' | 'warning_closed' | 'needs_response' | 'under_review' | 'won' | 'lost';

/** Stripe's dispute reasons (the subset a wallet payment can have). */
export type DisputeReason = 'fraudulent' | 'duplicate' | 'product_not_received' | 'product_unacceptable' | 'credit_not_processed' | 'unrecognized' | 'general';

export interface DisputeRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  payment_intent_id: string;
  charge_id: string;
  amount: number;
  currency: string;
  reason: DisputeReason;
  /** Antom's disputeReasonMsg, as the buyer's side gave it. */
  reason_message: string | null;
  status: DisputeStatus;
  /** Antom's defenseDueTime (ms): evidence_details.due_by. */
  due_by: number | null;
  metadata: Metadata;
  /** Stripe's evidence fields the merchant set: text (EVIDENCE_TEXT_FIELDS) and file ids (EVIDENCE_FILE_FIELDS); what is sent to Antom on submit. */
  evidence: Partial<Record<EvidenceField, string>>;
  /** How many times the defence was sent to Antom (supplyDefenseDocument). */
  submission_count: number;
  /** Antom's disputeId. */
  upstream_dispute_id: string;
  /** Antom's disputeJudgedResult, once judged. */
  judged_result: string | null;
  closed_at: number | null;
}

/** Stripe's evidence fields that take text. */
export const EVIDENCE_TEXT_FIELDS = [
  'access_activity_log', 'billing_address', 'cancellation_policy_disclosure', 'cancellation_rebuttal', 'customer_email_address',
  'customer_name', 'customer_purchase_ip', 'duplicate_charge_explanation', 'duplicate_charge_id', 'product_description',
  'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date', 'shipping_address', 'shipping_carrier', 'shipping_date',
  'shipping_tracking_number', 'uncategorized_text',
] as const;
/** Stripe's evidence fields that take the id of a file uploaded for dispute_evidence (POST /v1/files). */
export const EVIDENCE_FILE_FIELDS = [
  'cancellation_policy', 'customer_communication', 'customer_signature', 'duplicate_charge_documentation', 'receipt', 'refund_policy',
  'service_documentation', 'shipping_documentation', 'uncategorized_file',
] as const;
export type EvidenceFileField = (typeof EVIDENCE_FILE_FIELDS)[number];
export type EvidenceField = (typeof EVIDENCE_TEXT_FIELDS)[number] | EvidenceFileField;

const EMPTY_EVIDENCE = {
  access_activity_log: null, billing_address: null, cancellation_policy: null, cancellation_policy_disclosure: null,
  cancellation_rebuttal: null, customer_communication: null, customer_email_address: null, customer_name: null,
  customer_purchase_ip: null, customer_signature: null, duplicate_charge_documentation: null, duplicate_charge_explanation: null,
  duplicate_charge_id: null, product_description: null, receipt: null, refund_policy: null, refund_policy_disclosure: null,
  refund_refusal_explanation: null, service_date: null, service_documentation: null, shipping_address: null, shipping_carrier: null,
  shipping_date: null, shipping_documentation: null, shipping_tracking_number: null, uncategorized_file: null, uncategorized_text: null,
};

/** Whether the dispute is still open: funds frozen, refunds refused. */
export function disputeOpen(status: DisputeStatus): boolean {
  return status === 'needs_response' || status === 'under_review' || status === 'warning_needs_response' || status === 'warning_under_review';
}

/** Whether an open dispute's defence window is over (Stripe's `evidence_details.past_due`). */
export function disputePastDue(d: { status: DisputeStatus; due_by: number | null }, now: number): boolean {
  return d.due_by !== null && disputeOpen(d.status) && now > d.due_by;
}

/** Stripe's dispute; it carries its balance transactions whole (the withdrawal, and the reinstatement once won). */
export function disputePublic(d: DisputeRecord, now: number, txns: readonly BalanceTransactionRecord[] = []) {
  return {
    id: d.id,
    object: 'dispute' as const,
    amount: d.amount,
    balance_transactions: txns.map(balanceTransactionPublic),
    charge: d.charge_id as string | Record<string, unknown>,
    created: d.created,
    currency: d.currency,
    evidence: { ...EMPTY_EVIDENCE, ...d.evidence },
    evidence_details: {
      due_by: d.due_by,
      has_evidence: Object.values(d.evidence).some((v) => v !== undefined && v !== ''),
      past_due: disputePastDue(d, now),
      submission_count: d.submission_count,
    },
    // An inquiry (a retrieval request) withdrew nothing: the charge may still be refunded, as in Stripe.
    is_charge_refundable: d.status.startsWith('warning_'),
    livemode: d.livemode,
    metadata: d.metadata,
    payment_intent: d.payment_intent_id as string | Record<string, unknown>,
    reason: d.reason,
    status: d.status,
  };
}

export interface WebhookEndpointRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  url: string;
  description: string | null;
  enabled_events: string[];
  api_version: string | null;
  status: 'enabled' | 'disabled';
  metadata: Metadata;
  /** whsec_…: signs every delivery; shown only when the endpoint is created. */
  secret: string;
  deleted: boolean;
  /** When the current run of failed deliveries began; null after any success. */
  failing_since: number | null;
  disabled_reason: string | null;
}

export function webhookEndpointPublic(w: WebhookEndpointRecord, opts: { withSecret?: boolean } = {}) {
  return {
    id: w.id,
    object: 'webhook_endpoint' as const,
    created: w.created,
    description: w.description,
    metadata: w.metadata,
    status: w.status,
    url: w.url,
    livemode: w.livemode,
    api_version: w.api_version,
    enabled_events: w.enabled_events,
    application: null,
    ...(opts.withSecret ? { secret: w.secret } : {}),
  };
}

export interface WebhookDeliveryRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  event_id: string;
  endpoint_id: string;
  created: number;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  completed_at: number | null;
}

export interface WebhookAttemptRecord {
  delivery_id: string;
  attempt: number;
  started: number;
  latency_ms: number;
  http_status: number | null;
  error: string | null;
  response_excerpt: string | null;
}

/** A delivery and every attempt at it: what merchants read to see why a webhook did not arrive. */
export function webhookDeliveryPublic(d: WebhookDeliveryRecord & { attempt_log: WebhookAttemptRecord[] }) {
  return {
    id: d.id,
    object: 'webhook_delivery' as const,
    created: d.created,
    livemode: d.livemode,
    event: d.event_id,
    webhook_endpoint: d.endpoint_id,
    status: d.status,
    attempt_count: d.attempts,
    next_attempt_at: d.status === 'pending' ? d.next_attempt_at : null,
    last_attempt_at: d.last_attempt_at,
    last_http_status: d.last_status,
    completed_at: d.completed_at,
    attempts: d.attempt_log.map((a) => ({
      attempt: a.attempt,
      created: a.started,
      latency_ms: a.latency_ms,
      http_status: a.http_status,
      error: a.error,
      response_excerpt: a.response_excerpt,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Catalog and Checkout

export interface ProductRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  name: string;
  active: boolean;
  description: string | null;
  url: string | null;
  images: string[];
  metadata: Metadata;
  default_price_id: string | null;
}

export function productPublic(p: ProductRecord) {
  return {
    id: p.id,
    object: 'product' as const,
    created: p.created,
    updated: p.updated,
    active: p.active,
    name: p.name,
    description: p.description,
    metadata: p.metadata,
    livemode: p.livemode,
    url: p.url,
    images: p.images,
    default_price: p.default_price_id,
    type: 'service' as const,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    unit_label: null,
    package_dimensions: null,
    features: [] as unknown[],
  };
}

export interface PriceRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  product_id: string;
  active: boolean;
  currency: string;
  unit_amount: number;
  nickname: string | null;
  lookup_key: string | null;
  billing_scheme: 'per_unit';
  type: 'one_time' | 'recurring';
  recurring: { interval: string; interval_count: number } | null;
  metadata: Metadata;
}

export function pricePublic(p: PriceRecord, product?: ProductRecord) {
  return {
    id: p.id,
    object: 'price' as const,
    created: p.created,
    active: p.active,
    currency: p.currency,
    metadata: p.metadata,
    nickname: p.nickname,
    product: product ? productPublic(product) : (p.product_id as string | ReturnType<typeof productPublic>),
    type: p.type,
    livemode: p.livemode,
    unit_amount: p.unit_amount,
    unit_amount_decimal: String(p.unit_amount),
    billing_scheme: p.billing_scheme,
    lookup_key: p.lookup_key,
    recurring: p.recurring ? { ...p.recurring, aggregate_usage: null, trial_period_days: null, usage_type: 'licensed' } : null,
    tax_behavior: 'unspecified' as const,
    custom_unit_amount: null,
    tiers_mode: null,
    transform_quantity: null,
  };
}

export interface LineItemRecord {
  id: string;
  session_id: string;
  position: number;
  price_id: string;
  quantity: number;
  currency: string;
  description: string | null;
  amount_subtotal: number;
  amount_total: number;
}

export function lineItemPublic(li: LineItemRecord, price: PriceRecord, product: ProductRecord) {
  return {
    id: li.id,
    object: 'item' as const,
    currency: li.currency,
    description: li.description,
    price: pricePublic(price, product),
    quantity: li.quantity,
    amount_subtotal: li.amount_subtotal,
    amount_total: li.amount_total,
    amount_discount: 0,
    amount_tax: 0,
  };
}

export type CheckoutStatus = 'open' | 'complete' | 'expired';

export interface CheckoutSessionRecord {
  id: string;
  account_id: string;
  livemode: boolean;
  created: number;
  updated: number;
  expires_at: number;
  status: CheckoutStatus;
  payment_status: 'paid' | 'unpaid';
  mode: 'payment';
  currency: string;
  amount_subtotal: number;
  amount_total: number;
  success_url: string;
  cancel_url: string | null;
  customer_email: string | null;
  client_reference_id: string | null;
  billing_address_collection: 'auto' | 'required';
  payment_method_types: PaymentMethodType[];
  payment_method_options: PaymentMethodOptions;
  metadata: Metadata;
  locale: string | null;
  payment_intent_id: string;
  completed_at: number | null;
  expired_at: number | null;
  idempotency_key: string | null;
}

export type LineItemPublic = ReturnType<typeof lineItemPublic>;

/** The seeds' shape (000, 003): line items come expanded, as the seeds' responses show them. */
export function checkoutSessionPublic(cs: CheckoutSessionRecord, extra: { url: string; client_secret: string; line_items: LineItemPublic[] }) {
  return {
    id: cs.id,
    object: 'checkout.session' as const,
    created: cs.created,
    currency: cs.currency,
    customer: '',
    mode: cs.mode,
    livemode: cs.livemode,
    shipping: null,
    status: cs.status,
    url: cs.status === 'open' ? extra.url : null,
    cancel_url: cs.cancel_url,
    success_url: cs.success_url,
    client_reference_id: cs.client_reference_id,
    customer_email: cs.customer_email,
    line_items: { object: 'list' as const, data: extra.line_items, url: `/v1/checkout/sessions/${cs.id}/line_items`, has_more: false },
    payment_intent: cs.payment_intent_id as string | Record<string, unknown>,
    payment_method_types: cs.payment_method_types,
    payment_method_options: cs.payment_method_options,
    payment_status: cs.payment_status,
    amount_subtotal: cs.amount_subtotal,
    amount_total: cs.amount_total,
    billing_address_collection: cs.billing_address_collection,
    expires_at: cs.expires_at,
    payment_link: '',
    phone_number_collection: null,
    shipping_address_collection: null,
    client_secret: extra.client_secret,
    metadata: cs.metadata,
    locale: cs.locale,
    customer_details: cs.customer_email ? { email: cs.customer_email } : null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    // Stripe's schema requires these; none of the features they describe exist for wallet payments.
    automatic_tax: { enabled: false, status: null },
    custom_fields: [],
    custom_text: { shipping_address: null, submit: null, terms_of_service_acceptance: null },
    shipping_options: [],
  };
}
