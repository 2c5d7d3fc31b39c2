// Webhook delivery in bulk (src/store/repos.ts deliveryRepo): one statement claims many deliveries,
// one records many sends. Both are PL/pgSQL functions only so that their plans are prepared once
// per connection: planning these statements costs several times running them (~10 ms on PGlite).
// The claim walks the endpoints that have pending deliveries (a loose index scan) and takes each
// one's oldest due deliveries up to its free slots: one index serves both steps.
export default /* sql */ `
CREATE INDEX webhook_deliveries_pending_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending';

-- Up to p_limit due deliveries, for any one endpoint at most its p_room (p_per_endpoint when
-- p_room_ids does not name it), each leased until p_lease_until (SKIP LOCKED), with its event and
-- its endpoint.
CREATE FUNCTION webhook_claim(p_now int8, p_lease_until int8, p_limit int, p_room_ids text[], p_room int[], p_per_endpoint int)
RETURNS TABLE (delivery jsonb, event jsonb, endpoint jsonb) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH RECURSIVE eps(endpoint_id) AS (
    (SELECT x.endpoint_id FROM webhook_deliveries x WHERE x.status = 'pending' ORDER BY x.endpoint_id LIMIT 1)
    UNION ALL
    SELECT (SELECT n.endpoint_id FROM webhook_deliveries n
             WHERE n.status = 'pending' AND n.endpoint_id > eps.endpoint_id ORDER BY n.endpoint_id LIMIT 1)
      FROM eps WHERE eps.endpoint_id IS NOT NULL
  ), room(endpoint_id, n) AS (SELECT * FROM unnest(p_room_ids, p_room)),
  picked AS (
    SELECT c.id FROM eps LEFT JOIN room ON room.endpoint_id = eps.endpoint_id
     CROSS JOIN LATERAL (
       SELECT w.id, w.next_attempt_at FROM webhook_deliveries w
        WHERE w.endpoint_id = eps.endpoint_id AND w.status = 'pending' AND w.next_attempt_at <= p_now
        ORDER BY w.next_attempt_at LIMIT GREATEST(COALESCE(room.n, p_per_endpoint), 0)
        FOR UPDATE SKIP LOCKED) c
     WHERE eps.endpoint_id IS NOT NULL
     ORDER BY c.next_attempt_at LIMIT p_limit
  ), claimed AS (
    UPDATE webhook_deliveries d SET next_attempt_at = p_lease_until, attempts = d.attempts + 1, last_attempt_at = p_now
      FROM picked WHERE d.id = picked.id RETURNING d.*
  )
  SELECT to_jsonb(claimed), to_jsonb(e), to_jsonb(w)
    FROM claimed JOIN events e ON e.id = claimed.event_id JOIN webhook_endpoints w ON w.id = claimed.endpoint_id
   ORDER BY claimed.next_attempt_at, claimed.seq; -- (no line in a body ends with a semicolon: migrate.ts splits there)
END
$fn$;

-- The attempts of many ended sends (in the order they ended) and what each decided: see
-- DeliveryRepo.recordResults. Returns the endpoints to disable (failing for p_disable_after, enabled).
CREATE FUNCTION webhook_record(p_delivery_ids text[], p_attempts int[], p_started int8[], p_latency int[], p_status int[],
                               p_errors text[], p_excerpts text[], p_outcomes text[], p_next int8[], p_now int8, p_disable_after int8)
RETURNS TABLE (endpoint_id text) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  -- Lock order everywhere: endpoints, then their deliveries, then events; in id order here, so two
  -- processes recording overlapping batches wait for each other instead of deadlocking.
  PERFORM 1 FROM webhook_endpoints w
    WHERE w.id IN (SELECT x.endpoint_id FROM webhook_deliveries x WHERE x.id = ANY(p_delivery_ids)) ORDER BY w.id FOR UPDATE OF w; -- endpoints
  PERFORM 1 FROM events e
    WHERE e.id IN (SELECT x.event_id FROM webhook_deliveries x WHERE x.id = ANY(p_delivery_ids)) ORDER BY e.id FOR UPDATE OF e; -- then events
  RETURN QUERY
  WITH r AS (
    SELECT * FROM unnest(p_delivery_ids, p_attempts, p_started, p_latency, p_status, p_errors, p_excerpts, p_outcomes, p_next)
      WITH ORDINALITY AS r(delivery_id, attempt, started, latency_ms, http_status, error, response_excerpt, outcome, next_attempt_at, ord)
  ), ins AS (
    INSERT INTO webhook_attempts (delivery_id, attempt, started, latency_ms, http_status, error, response_excerpt)
    SELECT r.delivery_id, r.attempt, r.started, r.latency_ms, r.http_status, r.error, r.response_excerpt FROM r ORDER BY r.ord
  ), upd AS (
    -- A success ends a pending delivery whichever claim sent it; a failure decides only for the
    -- latest claim (a send that outlived its lease leaves the next step to the claim under way).
    UPDATE webhook_deliveries d
       SET status = CASE r.outcome WHEN 'retry' THEN 'pending' ELSE r.outcome END,
           next_attempt_at = CASE r.outcome WHEN 'retry' THEN r.next_attempt_at END,
           last_status = r.http_status,
           completed_at = CASE r.outcome WHEN 'retry' THEN NULL ELSE p_now END
      FROM r
     WHERE d.id = r.delivery_id AND d.status = 'pending' AND (r.outcome = 'succeeded' OR d.attempts = r.attempt)
    RETURNING d.event_id, d.endpoint_id, r.outcome, r.ord
  ), ev AS (
    UPDATE events e SET pending_webhooks = GREATEST(e.pending_webhooks - c.n, 0)
      FROM (SELECT upd.event_id, count(*)::int AS n FROM upd WHERE upd.outcome <> 'retry' GROUP BY upd.event_id) c
     WHERE e.id = c.event_id
  ), last AS (
    -- Per endpoint, in the order the sends ended: a success clears failing_since; failures after the
    -- last success start it (now, when a success came earlier in the batch).
    SELECT upd.endpoint_id, max(upd.ord) FILTER (WHERE upd.outcome = 'succeeded') AS ok,
           max(upd.ord) FILTER (WHERE upd.outcome <> 'succeeded') AS bad
      FROM upd GROUP BY upd.endpoint_id
  ), nxt AS (
    SELECT w.id, w.status,
           CASE WHEN l.bad IS NULL OR l.bad < l.ok THEN NULL::int8 WHEN l.ok IS NOT NULL THEN p_now ELSE COALESCE(w.failing_since, p_now) END AS failing_since
      FROM last l JOIN webhook_endpoints w ON w.id = l.endpoint_id
  ), epu AS (
    UPDATE webhook_endpoints w SET failing_since = nxt.failing_since
      FROM nxt WHERE w.id = nxt.id AND w.failing_since IS DISTINCT FROM nxt.failing_since
  )
  SELECT nxt.id FROM nxt
   WHERE nxt.status = 'enabled' AND nxt.failing_since IS NOT NULL AND p_now - nxt.failing_since >= p_disable_after; -- (see webhook_claim)
END
$fn$;
`;
