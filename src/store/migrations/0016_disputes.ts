// Disputes (chargebacks) Antom announced with notifyDispute (specs/antom.md §9b), in Stripe's shape;
// a charge remembers that it was disputed.
export default /* sql */ `
CREATE TABLE disputes (
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
  reason text NOT NULL,
  reason_message text,
  status text NOT NULL CHECK (status IN ('warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost')),
  due_by bigint,
  metadata jsonb NOT NULL DEFAULT '{}',
  -- Stripe's evidence text fields, as the merchant last set them; sent to Antom on submit.
  evidence jsonb NOT NULL DEFAULT '{}',
  submission_count integer NOT NULL DEFAULT 0,
  upstream_dispute_id text NOT NULL,
  judged_result text,
  closed_at bigint,
  UNIQUE (livemode, upstream_dispute_id)
);
CREATE INDEX disputes_list ON disputes (account_id, livemode, seq);
CREATE INDEX disputes_charge ON disputes (charge_id);
CREATE INDEX disputes_pi ON disputes (payment_intent_id);

ALTER TABLE charges ADD COLUMN disputed boolean NOT NULL DEFAULT false;
`;
