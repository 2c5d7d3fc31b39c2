// Refunds; webhook endpoints and their durable delivery outbox, with every attempt kept.
export default /* sql */ `
CREATE TABLE refunds (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  updated bigint NOT NULL,
  payment_intent_id text NOT NULL REFERENCES payment_intents(id),
  charge_id text NOT NULL REFERENCES charges(id),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  reason text,
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
  failure_reason text,
  failure_code text,
  description text,
  metadata jsonb NOT NULL DEFAULT '{}',
  upstream_refund_id text,
  next_poll_at bigint,
  poll_count integer NOT NULL DEFAULT 0,
  idempotency_key text,
  UNIQUE (account_id, livemode, idempotency_key)
);
CREATE INDEX refunds_list ON refunds (account_id, livemode, seq);
CREATE INDEX refunds_charge ON refunds (charge_id);
CREATE INDEX refunds_pi ON refunds (payment_intent_id);
CREATE INDEX refunds_poll ON refunds (next_poll_at) WHERE next_poll_at IS NOT NULL;

CREATE TABLE webhook_endpoints (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  updated bigint NOT NULL,
  url text NOT NULL,
  description text,
  enabled_events jsonb NOT NULL,
  api_version text,
  status text NOT NULL CHECK (status IN ('enabled', 'disabled')),
  metadata jsonb NOT NULL DEFAULT '{}',
  secret text NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  failing_since bigint,
  disabled_reason text
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (account_id, livemode, seq);

-- One row per (event, endpoint): the outbox. Claimed with SKIP LOCKED; sent outside transactions.
CREATE TABLE webhook_deliveries (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  event_id text NOT NULL REFERENCES events(id),
  endpoint_id text NOT NULL REFERENCES webhook_endpoints(id),
  created bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  last_attempt_at bigint,
  last_status integer,
  completed_at bigint,
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (account_id, livemode, seq);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, status);

CREATE TABLE webhook_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES webhook_deliveries(id),
  attempt integer NOT NULL,
  started bigint NOT NULL,
  latency_ms integer NOT NULL,
  http_status integer,
  error text,
  response_excerpt text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);
`;
