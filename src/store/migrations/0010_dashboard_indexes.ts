// What the merchant dashboard's lists, searches and totals read through (store/dashboard.ts): each
// list is newest first by (created, seq), so one index per filter the dashboard offers ends in
// (created, seq) and serves the filter, the date range and the keyset cursor at once.
export default /* sql */ `
-- The values of a metadata object, for "find the payment whose metadata holds A-1001" whatever the
-- key: indexed with GIN below and queried as metadata_values(metadata) @> ARRAY[$1]. The body is one
-- line and holds no semicolon (migrate.ts splits statements on semicolons at line ends).
CREATE FUNCTION metadata_values(m jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT coalesce(array_agg(e.value ORDER BY e.key), '{}') FROM jsonb_each_text(CASE WHEN jsonb_typeof(m) = 'object' THEN m ELSE '{}' END) e $$;

CREATE INDEX payment_intents_dash_created ON payment_intents (account_id, livemode, created, seq);
CREATE INDEX payment_intents_dash_status ON payment_intents (account_id, livemode, status, created, seq);
CREATE INDEX payment_intents_dash_currency ON payment_intents (account_id, livemode, currency, created, seq);
CREATE INDEX payment_intents_metadata_values ON payment_intents USING gin (metadata_values(metadata));

CREATE INDEX refunds_dash_created ON refunds (account_id, livemode, created, seq);
CREATE INDEX refunds_dash_status ON refunds (account_id, livemode, status, created, seq);
CREATE INDEX refunds_dash_currency ON refunds (account_id, livemode, currency, created, seq);

CREATE INDEX events_dash_created ON events (account_id, livemode, created, seq);
CREATE INDEX events_dash_type ON events (account_id, livemode, type, created, seq);

-- The overview's failed payments per day: few rows, so a partial index.
CREATE INDEX payment_attempts_failed ON payment_attempts (account_id, livemode, created) WHERE status = 'failed';

-- Search by order reference across sites, and a payment's AUTH and REFUND rows together.
CREATE INDEX tp_transactions_order_reference ON tp_transactions (order_reference) WHERE order_reference IS NOT NULL;
CREATE INDEX tp_transactions_pi ON tp_transactions (payment_intent_id);

-- A payment's notifications: payment_request_id is an attempt id (payments) or a refund id (refunds).
CREATE INDEX upstream_notifications_request ON upstream_notifications (payment_request_id) WHERE payment_request_id IS NOT NULL;

-- An endpoint's deliveries newest first, its deliveries since a time, its last attempt, and attempts
-- since a time. (Deliveries of one event are found through UNIQUE (event_id, endpoint_id).)
CREATE INDEX webhook_deliveries_endpoint_created ON webhook_deliveries (endpoint_id, created, seq);
CREATE INDEX webhook_deliveries_endpoint_attempted ON webhook_deliveries (endpoint_id, last_attempt_at) WHERE last_attempt_at IS NOT NULL;
CREATE INDEX webhook_attempts_started ON webhook_attempts (started);
`;
