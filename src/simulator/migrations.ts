/**
 * The simulator's own tables, all prefixed `sim_`, kept apart from the gateway's: the simulator
 * plays a different company (Antom), so it shares the database server but none of the rows.
 * Times are epoch milliseconds (bigint), money is bigint minor units.
 */
import type { Migration } from '../store/migrate.js';

const SIM_0001 = /* sql */ `
CREATE SEQUENCE sim_payment_seq;
CREATE SEQUENCE sim_refund_seq;

CREATE TABLE sim_payments (
  payment_id text PRIMARY KEY,
  client_id text NOT NULL,
  payment_request_id text NOT NULL,
  request text NOT NULL,
  code_value text NOT NULL UNIQUE,
  method text NOT NULL,
  terminal_type text NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  reference_order_id text NOT NULL,
  description text NOT NULL,
  redirect_url text NOT NULL,
  notify_url text,
  user_region text,
  status text NOT NULL CHECK (status IN ('PROCESSING', 'PENDING', 'SUCCESS', 'FAIL', 'CANCELLED')),
  result_code text,
  result_message text,
  wallet text,
  psp_customer_id text,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  paid_at bigint,
  cancelled_at bigint,
  updated_at bigint NOT NULL,
  UNIQUE (client_id, payment_request_id)
);
CREATE INDEX sim_payments_expiring ON sim_payments (expires_at) WHERE status = 'PROCESSING';

CREATE TABLE sim_refunds (
  refund_id text PRIMARY KEY,
  client_id text NOT NULL,
  refund_request_id text NOT NULL,
  request text NOT NULL,
  payment_id text NOT NULL REFERENCES sim_payments (payment_id),
  currency text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  reason text,
  notify_url text,
  status text NOT NULL CHECK (status IN ('PROCESSING', 'SUCCESS', 'FAIL')),
  result_code text,
  result_message text,
  complete_at bigint,
  fail_code text,
  created_at bigint NOT NULL,
  refund_time bigint,
  UNIQUE (client_id, refund_request_id)
);
CREATE INDEX sim_refunds_payment ON sim_refunds (payment_id);
CREATE INDEX sim_refunds_due ON sim_refunds (complete_at) WHERE status = 'PROCESSING';

CREATE TABLE sim_notifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('notifyPayment', 'notifyRefund')),
  notify_type text NOT NULL,
  payment_id text NOT NULL REFERENCES sim_payments (payment_id),
  refund_id text REFERENCES sim_refunds (refund_id),
  url text NOT NULL,
  body text NOT NULL,
  created_at bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  last_attempt_at bigint,
  last_status integer,
  last_error text,
  delivered_at bigint,
  gave_up_at bigint
);
CREATE INDEX sim_notifications_due ON sim_notifications (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX sim_notifications_payment ON sim_notifications (payment_id);

CREATE TABLE sim_notification_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  notification_id bigint NOT NULL REFERENCES sim_notifications (id),
  attempt integer NOT NULL,
  at bigint NOT NULL,
  http_status integer,
  error text,
  delivered boolean NOT NULL
);
CREATE INDEX sim_notification_attempts_notification ON sim_notification_attempts (notification_id);

CREATE TABLE sim_faults (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  api text NOT NULL,
  kind text NOT NULL,
  code text,
  remaining integer NOT NULL CHECK (remaining >= 0),
  delay_ms integer,
  created_at bigint NOT NULL
);
CREATE INDEX sim_faults_pending ON sim_faults (api, id) WHERE remaining > 0;
`;

// Payment and refund ids are random now (a sequential id was a guessable key to its payment's view).
const SIM_0002 = /* sql */ `
DROP SEQUENCE IF EXISTS sim_payment_seq;
DROP SEQUENCE IF EXISTS sim_refund_seq;
`;

// Disputes (antom.md §9b): a buyer's chargeback on a paid payment, announced by notifyDispute.
const SIM_0003 = /* sql */ `
CREATE TABLE sim_disputes (
  dispute_id text PRIMARY KEY,
  client_id text NOT NULL,
  payment_id text NOT NULL REFERENCES sim_payments (payment_id),
  currency text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  reason_msg text NOT NULL,
  status text NOT NULL CHECK (status IN ('OPEN', 'JUDGED', 'CANCELLED')),
  judged_result text CHECK (judged_result IN ('ACCEPT_BY_CUSTOMER', 'ACCEPT_BY_MERCHANT')),
  created_at bigint NOT NULL,
  defense_due_at bigint NOT NULL,
  judged_at bigint,
  -- The merchant accepted the loss (acceptDispute): judged ACCEPT_BY_MERCHANT at that moment.
  accepted_at bigint,
  -- The merchant's last defence (supplyDefenseDocument), Base64 as sent, and when.
  defense_document text,
  defense_supplied_at bigint,
  updated_at bigint NOT NULL
);
CREATE INDEX sim_disputes_payment ON sim_disputes (payment_id);
CREATE UNIQUE INDEX sim_disputes_one_open ON sim_disputes (payment_id) WHERE status = 'OPEN';

ALTER TABLE sim_notifications DROP CONSTRAINT sim_notifications_kind_check;
ALTER TABLE sim_notifications ADD CONSTRAINT sim_notifications_kind_check CHECK (kind IN ('notifyPayment', 'notifyRefund', 'notifyDispute'));
ALTER TABLE sim_notifications ADD COLUMN dispute_id text REFERENCES sim_disputes (dispute_id);
`;

// The rest of a dispute's life (antom.md §9b): retrieval requests, judgement when the defence window
// ends, DEFENSE_DUE_ALERT before it, the buyer withdrawing (DISPUTE_CANCELLED).
const SIM_0004 = /* sql */ `
ALTER TABLE sim_disputes ADD COLUMN dispute_type text NOT NULL DEFAULT 'CHARGEBACK' CHECK (dispute_type IN ('CHARGEBACK', 'RETRIEVAL_REQUEST'));
ALTER TABLE sim_disputes DROP CONSTRAINT sim_disputes_judged_result_check;
ALTER TABLE sim_disputes ADD CONSTRAINT sim_disputes_judged_result_check
  CHECK (judged_result IN ('ACCEPT_BY_CUSTOMER', 'ACCEPT_BY_MERCHANT', 'VALIDATE_SUCCESS', 'VALIDATE_FAIL'));
-- When DEFENSE_DUE_ALERT is due; null once sent, or once the defence came.
ALTER TABLE sim_disputes ADD COLUMN alert_at bigint;
ALTER TABLE sim_disputes ADD COLUMN cancelled_at bigint;
-- A retrieval request that became a chargeback (escalated, or its documents failed validation).
ALTER TABLE sim_disputes ADD COLUMN escalated_at bigint;
CREATE INDEX sim_disputes_alert_due ON sim_disputes (alert_at) WHERE status = 'OPEN' AND alert_at IS NOT NULL;
CREATE INDEX sim_disputes_window_due ON sim_disputes (defense_due_at) WHERE status = 'OPEN' AND defense_supplied_at IS NULL;
`;

/** Apply with `migrate(db, SIMULATOR_MIGRATIONS)`, beside (not instead of) the core migrations. */
export const SIMULATOR_MIGRATIONS: Migration[] = [
  { id: 'sim_0001', sql: SIM_0001 }, { id: 'sim_0002', sql: SIM_0002 }, { id: 'sim_0003', sql: SIM_0003 },
  { id: 'sim_0004', sql: SIM_0004 },
];
