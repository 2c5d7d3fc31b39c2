/** Rows of the `sim_` tables and the queries several parts of the simulator share. */
import type { Queryable } from '../store/db.js';

export type PaymentStatus = 'PROCESSING' | 'PENDING' | 'SUCCESS' | 'FAIL' | 'CANCELLED';
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'FAIL';

export interface PaymentRow {
  [column: string]: unknown;
  payment_id: string;
  client_id: string;
  payment_request_id: string;
  request: string;
  code_value: string;
  method: string;
  terminal_type: string;
  currency: string;
  amount: number;
  reference_order_id: string;
  description: string;
  redirect_url: string;
  notify_url: string | null;
  user_region: string | null;
  status: PaymentStatus;
  result_code: string | null;
  result_message: string | null;
  wallet: string | null;
  psp_customer_id: string | null;
  created_at: number;
  expires_at: number;
  paid_at: number | null;
  cancelled_at: number | null;
  updated_at: number;
}

export interface RefundRow {
  [column: string]: unknown;
  refund_id: string;
  client_id: string;
  refund_request_id: string;
  request: string;
  payment_id: string;
  currency: string;
  amount: number;
  reason: string | null;
  notify_url: string | null;
  status: RefundStatus;
  result_code: string | null;
  result_message: string | null;
  complete_at: number | null;
  fail_code: string | null;
  created_at: number;
  refund_time: number | null;
}

export interface NotificationRow {
  [column: string]: unknown;
  id: number;
  client_id: string;
  kind: 'notifyPayment' | 'notifyRefund' | 'notifyDispute';
  notify_type: string;
  payment_id: string;
  refund_id: string | null;
  dispute_id: string | null;
  url: string;
  body: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  gave_up_at: number | null;
}

export type DisputeStatus = 'OPEN' | 'JUDGED' | 'CANCELLED';
export type DisputeJudgedResult = 'ACCEPT_BY_CUSTOMER' | 'ACCEPT_BY_MERCHANT' | 'VALIDATE_SUCCESS' | 'VALIDATE_FAIL';
/** Antom's disputeType: a retrieval request (documents asked for, nothing frozen) or a chargeback. */
export type DisputeType = 'CHARGEBACK' | 'RETRIEVAL_REQUEST';

export interface DisputeRow {
  [column: string]: unknown;
  dispute_id: string;
  client_id: string;
  payment_id: string;
  currency: string;
  amount: number;
  reason_msg: string;
  status: DisputeStatus;
  judged_result: DisputeJudgedResult | null;
  created_at: number;
  defense_due_at: number;
  judged_at: number | null;
  accepted_at: number | null;
  defense_document: string | null;
  defense_supplied_at: number | null;
  updated_at: number;
  dispute_type: DisputeType;
  alert_at: number | null;
  cancelled_at: number | null;
  escalated_at: number | null;
}

export interface AttemptRow {
  [column: string]: unknown;
  notification_id: number;
  attempt: number;
  at: number;
  http_status: number | null;
  error: string | null;
  delivered: boolean;
}

export const FINAL_PAYMENT_STATUSES: readonly PaymentStatus[] = ['SUCCESS', 'FAIL', 'CANCELLED'];

export function isFinal(status: PaymentStatus): boolean {
  return FINAL_PAYMENT_STATUSES.includes(status);
}

/** How a payment is named: Antom's own id, the merchant's request id, or the shopper's code. */
export type PaymentKey =
  | { clientId: string; paymentId: string }
  | { clientId: string; paymentRequestId: string }
  | { codeValue: string }
  | { paymentId: string };

function where(key: PaymentKey): { sql: string; params: unknown[] } {
  if ('codeValue' in key) return { sql: 'code_value = $1', params: [key.codeValue] };
  if (!('clientId' in key)) return { sql: 'payment_id = $1', params: [key.paymentId] };
  if ('paymentId' in key) return { sql: 'client_id = $1 AND payment_id = $2', params: [key.clientId, key.paymentId] };
  return { sql: 'client_id = $1 AND payment_request_id = $2', params: [key.clientId, key.paymentRequestId] };
}

export async function findPayment(q: Queryable, key: PaymentKey, forUpdate = false): Promise<PaymentRow | undefined> {
  const w = where(key);
  const rows = await q.query<PaymentRow>(`SELECT * FROM sim_payments WHERE ${w.sql}${forUpdate ? ' FOR UPDATE' : ''}`, w.params);
  return rows[0];
}

export async function findRefund(
  q: Queryable,
  key: { clientId: string; refundId: string } | { clientId: string; refundRequestId: string },
): Promise<RefundRow | undefined> {
  const rows = 'refundId' in key
    ? await q.query<RefundRow>('SELECT * FROM sim_refunds WHERE client_id = $1 AND refund_id = $2', [key.clientId, key.refundId])
    : await q.query<RefundRow>('SELECT * FROM sim_refunds WHERE client_id = $1 AND refund_request_id = $2', [key.clientId, key.refundRequestId]);
  return rows[0];
}

export function listRefunds(q: Queryable, paymentId: string): Promise<RefundRow[]> {
  return q.query<RefundRow>('SELECT * FROM sim_refunds WHERE payment_id = $1 ORDER BY created_at, refund_id', [paymentId]);
}

export function listNotifications(q: Queryable, paymentId: string): Promise<NotificationRow[]> {
  return q.query<NotificationRow>('SELECT * FROM sim_notifications WHERE payment_id = $1 ORDER BY id', [paymentId]);
}

export function listAttempts(q: Queryable, notificationIds: number[]): Promise<AttemptRow[]> {
  if (notificationIds.length === 0) return Promise.resolve([]);
  return q.query<AttemptRow>(
    'SELECT notification_id, attempt, at, http_status, error, delivered FROM sim_notification_attempts WHERE notification_id = ANY($1::bigint[]) ORDER BY id',
    [notificationIds],
  );
}

