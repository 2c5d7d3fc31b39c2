// The outbox rows of a new event, made by the store in the statement that inserts the event:
//   INSERT INTO events (…, pending_webhooks) VALUES (…, oc_enqueue_deliveries(account, livemode, type, event, created))
// One pending delivery for every enabled endpoint of the scope that wants the type ('*' or the type
// itself); the answer is their number. PL/pgSQL keeps the plan of its INSERT for the session, so the
// event pays nothing to plan it again (an INSERT … SELECT of its own cost PGlite a statement's worth).
// Delivery ids: the prefix of core/ids.ts and 24 hex characters of a random UUID (not secrets).
// The deliveries are written while the event's row is being made, so their reference to it is
// checked at the commit (a statement inside a function checks its own when it ends).
export default /* sql */ `
ALTER TABLE webhook_deliveries ALTER CONSTRAINT webhook_deliveries_event_id_fkey DEFERRABLE INITIALLY DEFERRED;

CREATE FUNCTION oc_enqueue_deliveries(p_account text, p_livemode boolean, p_type text, p_event text, p_created bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE n integer; BEGIN
  INSERT INTO webhook_deliveries (id, account_id, livemode, event_id, endpoint_id, created, status, attempts, next_attempt_at)
  SELECT 'wd_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 24), account_id, livemode, p_event, id, p_created, 'pending', 0, p_created
    FROM webhook_endpoints
   WHERE account_id = p_account AND livemode = p_livemode AND status = 'enabled' AND deleted = false
     AND (enabled_events @> '["*"]'::jsonb OR enabled_events @> jsonb_build_array(p_type)); GET DIAGNOSTICS n = ROW_COUNT; RETURN n; END
$$;
`;
