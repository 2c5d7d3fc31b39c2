/**
 * The upstream port: what core asks of a payment network. `connectors/antom` implements it over
 * Antom's acquiring API (the real one, or the built-in simulator — same code, other base URL).
 *
 * Every call is safe to repeat: the request id (`paymentRequestId`, `refundRequestId`) is chosen by
 * core, stored before the call, and sent again unchanged on retry, so the network never sees two
 * payments or two refunds where core meant one.
 */

export interface PayRequest {
  /** Our attempt id; Antom's `paymentRequestId`. Same value on every retry. */
  paymentRequestId: string;
  /** The PaymentIntent id, Antom's `order.referenceOrderId`. */
  referenceOrderId: string;
  description: string;
  amount: number;
  currency: string;
  /** Antom `paymentMethodType`: ALIPAY_CN, CONNECT_WALLET, or a wallet code. */
  upstreamMethod: string;
  terminalType: 'WEB' | 'WAP' | 'APP';
  osType?: 'IOS' | 'ANDROID';
  clientIp?: string;
  /** Where the wallet sends the shopper back to (ours; we forward to the merchant's return_url). */
  redirectUrl: string;
  /** Where Antom posts notifyPayment. */
  notifyUrl: string;
}

export interface RedirectUrls {
  normalUrl?: string;
  schemeUrl?: string;
  applinkUrl?: string;
  /** What a desktop page shows as a QR code for the wallet app to scan (Antom's orderCodeForm). */
  qrCode?: string;
}

/**
 * What the payment settles as in the merchant's settlement currency (Antom's grossSettlementAmount
 * and settlementQuote, antom.md §9c). `rate` is the quotePrice: units of the settlement currency
 * per unit of the payment's currency, as the decimal text Antom sent. No quote when the two
 * currencies are one.
 */
export interface SettlementQuote {
  amount: number;
  currency: string;
  rate?: string;
  quoteId?: string;
  currencyPair?: string;
  startsAt?: number;
  expiresAt?: number;
}

/** A final or in-flight answer about one payment, from pay, inquiryPayment or notifyPayment. */
export type PaymentOutcome =
  | { status: 'action_required'; paymentId?: string; redirect: RedirectUrls; settlement?: SettlementQuote }
  /** The shopper paid; the wallet's final word is still to come (Antom PAYMENT_PENDING / PENDING). */
  | { status: 'processing'; paymentId?: string }
  | { status: 'succeeded'; paymentId?: string; paidAt?: number; wallet?: string; buyerId?: string; amount?: number; currency?: string; settlement?: SettlementQuote }
  | { status: 'failed'; paymentId?: string; code: string; message: string }
  | { status: 'canceled'; paymentId?: string };

/**
 * No usable answer: a timeout, a transport error, a bad signature on the response, or Antom's
 * `U` other than PAYMENT_IN_PROCESS. The same request may be sent again later.
 */
export interface UnknownOutcome {
  status: 'unknown';
  reason: string;
}

export type CancelOutcome =
  | { status: 'canceled' }
  /** Antom refused: the payment is already final (paid, or past the cancel window). */
  | { status: 'refused'; code: string; message: string };

export type RefundOutcome =
  | { status: 'succeeded'; refundId?: string; refundedAt?: number }
  | { status: 'pending'; refundId?: string }
  | { status: 'failed'; code: string; message: string };

export interface RefundRequest {
  refundRequestId: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason?: string;
  notifyUrl?: string;
}

/** Antom's answer to acceptDispute: the merchant accepts the loss; Antom closes the dispute (judged ACCEPT_BY_MERCHANT). */
export type AcceptDisputeOutcome =
  | { status: 'accepted'; resolvedAt?: number }
  /** TIME_EXCEEDS_LIMIT (the defence window is over), PARAM_ILLEGAL (no such open dispute), …: final. */
  | { status: 'refused'; code: string; message: string };

/** Antom's answer to supplyDefenseDocument: the defence reached Antom, or was refused (TIME_EXCEEDS_LIMIT after the window). */
export type DefenseOutcome =
  | { status: 'supplied' }
  | { status: 'refused'; code: string; message: string };

/**
 * What the lines a connector logs about one call carry: the id of the request the call serves
 * (core/context.ts's requestFields). Background work (the poller) passes none.
 */
export interface CallFields {
  reqId?: string;
}

export interface PaymentConnector {
  pay(req: PayRequest, fields?: CallFields): Promise<PaymentOutcome | UnknownOutcome>;
  inquiryPayment(paymentRequestId: string, fields?: CallFields): Promise<PaymentOutcome | UnknownOutcome>;
  cancel(paymentRequestId: string, fields?: CallFields): Promise<CancelOutcome | UnknownOutcome>;
  refund(req: RefundRequest, fields?: CallFields): Promise<RefundOutcome | UnknownOutcome>;
  inquiryRefund(refundRequestId: string, fields?: CallFields): Promise<RefundOutcome | UnknownOutcome>;
  /** Antom's acceptDispute, by Antom's disputeId: safe to repeat (a repeat is REPEAT_REQUEST, read as accepted). */
  acceptDispute(disputeId: string, fields?: CallFields): Promise<AcceptDisputeOutcome | UnknownOutcome>;
  /** Antom's supplyDefenseDocument: the defence document, Base64 (≤ 1,000,000 characters). */
  supplyDefenseDocument(disputeId: string, evidenceBase64: string, fields?: CallFields): Promise<DefenseOutcome | UnknownOutcome>;
}

/** A notification that passed the connector's checks (signature, shape), not yet matched to a payment. */
export interface PaymentNotification {
  kind: 'payment';
  paymentRequestId: string;
  outcome: PaymentOutcome;
  amount: { currency: string; amount: number };
}

export interface RefundNotification {
  kind: 'refund';
  refundRequestId: string;
  outcome: RefundOutcome;
  amount: { currency: string; amount: number };
}

/** Antom's disputeNotificationType (antom.md §9b). */
export type DisputeNotificationType =
  | 'DISPUTE_CREATED' | 'DISPUTE_JUDGED' | 'DISPUTE_CANCELLED' | 'DEFENSE_SUPPLIED' | 'DEFENSE_DUE_ALERT' | 'RDR_RESOLVED';

export const DISPUTE_NOTIFICATION_TYPES: readonly DisputeNotificationType[] = [
  'DISPUTE_CREATED', 'DISPUTE_JUDGED', 'DISPUTE_CANCELLED', 'DEFENSE_SUPPLIED', 'DEFENSE_DUE_ALERT', 'RDR_RESOLVED',
];

export type DisputeJudgedResult = 'ACCEPT_BY_CUSTOMER' | 'ACCEPT_BY_MERCHANT' | 'VALIDATE_SUCCESS' | 'VALIDATE_FAIL';

/** notifyDispute: a buyer disputes a payment (Antom freezes its funds), or what became of it. */
export interface DisputeNotification {
  kind: 'dispute';
  /** Our attempt id, as for notifyPayment. */
  paymentRequestId: string;
  paymentId?: string;
  /** Antom's disputeId. */
  disputeId: string;
  type: DisputeNotificationType;
  amount: { currency: string; amount: number };
  reasonMessage?: string;
  disputedAt?: number;
  defenseDueAt?: number;
  /** With DISPUTE_JUDGED. */
  judgedResult?: DisputeJudgedResult;
  judgedAt?: number;
  /** Antom's disputeType: a retrieval request (documents asked for, nothing frozen) or, when it says nothing else, a chargeback. */
  retrieval?: boolean;
}

export type UpstreamNotification = PaymentNotification | RefundNotification | DisputeNotification;
