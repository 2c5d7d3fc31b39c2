// Products, prices, Checkout Sessions and their line items.
export default /* sql */ `
CREATE TABLE products (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  updated bigint NOT NULL,
  name text NOT NULL,
  active boolean NOT NULL,
  description text,
  url text,
  images jsonb NOT NULL DEFAULT '[]',
  metadata jsonb NOT NULL DEFAULT '{}',
  default_price_id text
);
CREATE INDEX products_list ON products (account_id, livemode, seq);

CREATE TABLE prices (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  updated bigint NOT NULL,
  product_id text NOT NULL REFERENCES products(id),
  active boolean NOT NULL,
  currency text NOT NULL,
  unit_amount bigint NOT NULL CHECK (unit_amount >= 0),
  nickname text,
  lookup_key text,
  billing_scheme text NOT NULL,
  type text NOT NULL CHECK (type IN ('one_time', 'recurring')),
  recurring jsonb,
  metadata jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX prices_list ON prices (account_id, livemode, seq);
CREATE INDEX prices_product ON prices (product_id);
CREATE INDEX prices_lookup_key ON prices (account_id, livemode, lookup_key) WHERE lookup_key IS NOT NULL;

CREATE TABLE checkout_sessions (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  updated bigint NOT NULL,
  expires_at bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'complete', 'expired')),
  payment_status text NOT NULL CHECK (payment_status IN ('paid', 'unpaid')),
  mode text NOT NULL,
  currency text NOT NULL,
  amount_subtotal bigint NOT NULL,
  amount_total bigint NOT NULL,
  success_url text NOT NULL,
  cancel_url text,
  customer_email text,
  client_reference_id text,
  billing_address_collection text NOT NULL,
  payment_method_types jsonb NOT NULL,
  payment_method_options jsonb NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}',
  locale text,
  payment_intent_id text NOT NULL REFERENCES payment_intents(id),
  completed_at bigint,
  expired_at bigint,
  idempotency_key text,
  UNIQUE (account_id, livemode, idempotency_key)
);
CREATE INDEX checkout_sessions_list ON checkout_sessions (account_id, livemode, seq);
CREATE INDEX checkout_sessions_pi ON checkout_sessions (payment_intent_id);
CREATE INDEX checkout_sessions_expiry ON checkout_sessions (expires_at) WHERE status = 'open';

CREATE TABLE checkout_line_items (
  id text PRIMARY KEY,
  session_id text NOT NULL REFERENCES checkout_sessions(id),
  position integer NOT NULL,
  price_id text NOT NULL REFERENCES prices(id),
  quantity integer NOT NULL CHECK (quantity > 0),
  currency text NOT NULL,
  description text,
  amount_subtotal bigint NOT NULL,
  amount_total bigint NOT NULL
);
CREATE INDEX checkout_line_items_session ON checkout_line_items (session_id, position);

ALTER TABLE payment_intents ADD COLUMN checkout_session_id text;
`;
