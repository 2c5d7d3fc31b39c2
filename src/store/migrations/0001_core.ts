// Accounts, keys, payment intents, attempts, payment methods, charges, events, idempotency,
// upstream notifications. Times are epoch milliseconds (bigint), money is bigint minor units.
export default /* sql */ `
CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);

CREATE TABLE accounts (
  id text PRIMARY KEY,
  name text NOT NULL,
  created bigint NOT NULL
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  kind text NOT NULL CHECK (kind IN ('secret', 'publishable')),
  livemode boolean NOT NULL,
  hash text NOT NULL UNIQUE,
  display text NOT NULL,
  created bigint NOT NULL,
  revoked bigint
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE payment_methods (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  type text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  billing_details jsonb NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE payment_intents (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  status text NOT NULL CHECK (status IN ('requires_payment_method', 'requires_confirmation', 'requires_action',
    'processing', 'requires_capture', 'canceled', 'succeeded')),
  client_secret text NOT NULL,
  payment_method_types jsonb NOT NULL,
  payment_method_options jsonb NOT NULL DEFAULT '{}',
  payment_method_id text REFERENCES payment_methods(id),
  confirmation_method text NOT NULL,
  capture_method text NOT NULL,
  return_url text,
  description text,
  metadata jsonb NOT NULL DEFAULT '{}',
  amount_received bigint NOT NULL DEFAULT 0,
  latest_charge_id text,
  last_payment_error jsonb,
  cancellation_reason text,
  canceled_at bigint,
  next_action jsonb,
  receipt_email text,
  statement_descriptor text,
  statement_descriptor_suffix text,
  idempotency_key text,
  updated bigint NOT NULL,
  UNIQUE (account_id, livemode, idempotency_key)
);
CREATE INDEX payment_intents_list ON payment_intents (account_id, livemode, seq);

-- One row per request to Antom's pay: its id is the paymentRequestId, reused on every retry.
CREATE TABLE payment_attempts (
  id text PRIMARY KEY,
  payment_intent_id text NOT NULL REFERENCES payment_intents(id),
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  updated bigint NOT NULL,
  amount bigint NOT NULL,
  currency text NOT NULL,
  method_type text NOT NULL,
  upstream_method text NOT NULL,
  payment_method_id text NOT NULL,
  description text NOT NULL,
  env jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL CHECK (status IN ('pending', 'redirected', 'processing', 'succeeded', 'failed', 'canceled')),
  upstream_payment_id text,
  redirect jsonb,
  failure_code text,
  failure_message text,
  wallet text,
  buyer_id text,
  paid_at bigint,
  next_poll_at bigint,
  poll_count integer NOT NULL DEFAULT 0
);
CREATE INDEX payment_attempts_pi ON payment_attempts (payment_intent_id);
CREATE INDEX payment_attempts_poll ON payment_attempts (next_poll_at) WHERE next_poll_at IS NOT NULL;
-- At most one attempt in flight per payment: a second confirm reuses it instead of paying twice.
CREATE UNIQUE INDEX payment_attempts_open ON payment_attempts (payment_intent_id)
  WHERE status IN ('pending', 'redirected', 'processing');

CREATE TABLE charges (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  payment_intent_id text NOT NULL REFERENCES payment_intents(id),
  payment_method_id text,
  attempt_id text NOT NULL UNIQUE REFERENCES payment_attempts(id),
  amount bigint NOT NULL,
  currency text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  amount_refunded bigint NOT NULL DEFAULT 0,
  failure_code text,
  failure_message text,
  payment_method_details jsonb NOT NULL DEFAULT '{}',
  description text,
  metadata jsonb NOT NULL DEFAULT '{}',
  updated bigint NOT NULL
);
CREATE INDEX charges_list ON charges (account_id, livemode, seq);
CREATE INDEX charges_pi ON charges (payment_intent_id);

CREATE TABLE events (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  type text NOT NULL,
  api_version text,
  object_id text NOT NULL,
  data jsonb NOT NULL,
  request_id text,
  idempotency_key text,
  pending_webhooks integer NOT NULL DEFAULT 0
);
CREATE INDEX events_list ON events (account_id, livemode, seq);
CREATE INDEX events_object ON events (object_id);

CREATE TABLE idempotency_keys (
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_progress', 'done')),
  locked_at bigint NOT NULL,
  created bigint NOT NULL,
  response_status integer,
  response_body text,
  request_id text,
  PRIMARY KEY (account_id, livemode, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created);

-- Every notification Antom (or anyone) sent us, accepted or not: the audit trail.
CREATE TABLE upstream_notifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received bigint NOT NULL,
  path text NOT NULL,
  headers jsonb NOT NULL,
  body text NOT NULL,
  verdict text NOT NULL CHECK (verdict IN ('applied', 'duplicate', 'refused')),
  reason text,
  payment_request_id text,
  fingerprint text
);
CREATE UNIQUE INDEX upstream_notifications_fingerprint ON upstream_notifications (fingerprint)
  WHERE verdict <> 'refused';

CREATE TABLE rate_limits (
  bucket text NOT NULL,
  window_start bigint NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (bucket, window_start)
);
`;
