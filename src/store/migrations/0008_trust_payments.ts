// The Trust Payments front door (seed 004): sites, webservices users, URL-notification rules, the
// transactions it shows (each one a PaymentIntent or a refund underneath) and the notification outbox.
export default /* sql */ `
CREATE TABLE tp_sites (
  site_reference text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  -- The middle part of the site's transactionreferences (1-<number>-<sequence>).
  number integer NOT NULL UNIQUE,
  merchant_name text NOT NULL,
  -- Alipay's partner id, shown as "partner id" in AUTH replies.
  partner_id text NOT NULL,
  -- Shared with the merchant to compute responsesitesecurity; like a webhook secret it must be readable.
  notification_password text,
  created bigint NOT NULL
);

CREATE TABLE tp_users (
  username text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  -- scrypt$<N>$<salt>$<hash>: a webservices password is never stored as given.
  password_hash text NOT NULL,
  created bigint NOT NULL,
  disabled bigint
);

CREATE TABLE tp_user_sites (
  username text NOT NULL REFERENCES tp_users(username) ON DELETE CASCADE,
  site_reference text NOT NULL REFERENCES tp_sites(site_reference) ON DELETE CASCADE,
  PRIMARY KEY (username, site_reference)
);

CREATE TABLE tp_notification_rules (
  id text PRIMARY KEY,
  site_reference text NOT NULL REFERENCES tp_sites(site_reference) ON DELETE CASCADE,
  -- authorisation: the wallet's answer to an AUTH; settlement: settlestatus 100 or 3; refund: a REFUND settled.
  trigger text NOT NULL CHECK (trigger IN ('authorisation', 'settlement', 'refund')),
  url text NOT NULL,
  fields jsonb NOT NULL,
  created bigint NOT NULL,
  deleted bigint
);
CREATE INDEX tp_notification_rules_site ON tp_notification_rules (site_reference) WHERE deleted IS NULL;

CREATE SEQUENCE tp_transaction_numbers;

CREATE TABLE tp_transactions (
  reference text PRIMARY KEY,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  site_reference text NOT NULL REFERENCES tp_sites(site_reference),
  request_type text NOT NULL CHECK (request_type IN ('AUTH', 'REFUND')),
  payment_intent_id text NOT NULL,
  refund_id text UNIQUE,
  parent_reference text,
  order_reference text,
  base_amount bigint NOT NULL,
  currency text NOT NULL,
  settle_status integer NOT NULL,
  settle_due_date text NOT NULL,
  error_code text NOT NULL,
  operator_name text,
  application_type text,
  return_url text,
  fields jsonb NOT NULL,
  authorised_at bigint,
  settled_at bigint,
  investigate_at bigint,
  created bigint NOT NULL,
  updated bigint NOT NULL
);
CREATE UNIQUE INDEX tp_transactions_auth ON tp_transactions (payment_intent_id) WHERE request_type = 'AUTH';
CREATE INDEX tp_transactions_site ON tp_transactions (site_reference, created);
CREATE INDEX tp_transactions_order ON tp_transactions (site_reference, order_reference);
CREATE INDEX tp_transactions_parent ON tp_transactions (parent_reference) WHERE parent_reference IS NOT NULL;
-- The settlement job's two questions: what is authorised and due, what has waited too long.
CREATE INDEX tp_transactions_unsettled ON tp_transactions (authorised_at) WHERE settled_at IS NULL AND request_type = 'AUTH';
CREATE INDEX tp_transactions_pending ON tp_transactions (created) WHERE settle_status = 10 AND investigate_at IS NULL;

CREATE TABLE tp_notifications (
  id text PRIMARY KEY,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  site_reference text NOT NULL,
  rule_id text NOT NULL,
  transaction_reference text NOT NULL,
  notification_reference text NOT NULL UNIQUE,
  url text NOT NULL,
  -- The form body, fixed when the change commits, so every retry sends the very same notification.
  body text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL,
  next_attempt_at bigint,
  last_attempt_at bigint,
  last_status integer,
  created bigint NOT NULL,
  completed_at bigint
);
CREATE INDEX tp_notifications_due ON tp_notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX tp_notifications_transaction ON tp_notifications (transaction_reference);

CREATE TABLE tp_notification_attempts (
  notification_id text NOT NULL REFERENCES tp_notifications(id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  started bigint NOT NULL,
  latency_ms integer,
  http_status integer,
  error text,
  response_excerpt text,
  PRIMARY KEY (notification_id, attempt)
);
`;
