// The account's balance in its settlement currency (core/balances/): one balance transaction per
// change of money — a charge, a refund that succeeded, a dispute's withdrawal and reinstatement —
// written in the transaction of that change. A source has at most one transaction per reporting
// category, so a change applied twice writes once. Charges and refunds name their own.
export default /* sql */ `
CREATE TABLE balance_transactions (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  available_on bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'available')),
  type text NOT NULL,
  reporting_category text NOT NULL,
  -- The charge, refund or dispute (ch_, re_, dp_) and the charge and PaymentIntent it belongs to.
  source_id text NOT NULL,
  charge_id text NOT NULL,
  payment_intent_id text NOT NULL,
  amount bigint NOT NULL,
  currency text NOT NULL,
  -- The quote's rate as Antom wrote it (decimal text); null when the payment was in the settlement currency.
  exchange_rate text,
  fee bigint NOT NULL DEFAULT 0,
  fee_details jsonb NOT NULL DEFAULT '[]',
  net bigint NOT NULL,
  description text,
  CHECK (net = amount - fee),
  UNIQUE (source_id, reporting_category)
);
CREATE INDEX balance_transactions_list ON balance_transactions (account_id, livemode, seq);
CREATE INDEX balance_transactions_charge ON balance_transactions (charge_id);
CREATE INDEX balance_transactions_pending ON balance_transactions (available_on) WHERE status = 'pending';

ALTER TABLE charges ADD COLUMN balance_transaction_id text;
ALTER TABLE refunds ADD COLUMN balance_transaction_id text;
`;
