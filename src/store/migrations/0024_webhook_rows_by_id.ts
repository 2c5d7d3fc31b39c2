// Webhook claim and record (migration 0013) reach each delivery by its primary key, one row at a
// time, whatever the planner believes about the table.
//
// 0013 updated the claimed and the recorded deliveries with a join (`UPDATE … FROM picked`,
// `UPDATE … FROM r WHERE d.status = 'pending'`). On a table of a few thousand rows the planner
// hashed the whole table (a sequential scan) or, for the record, every pending delivery, by the
// partial index on pending rows; PGlite, which has statistics only from the worker's hourly
// ANALYZE, believed that index held 14 rows when it held 3,000, so hash join or nested loop over
// all of them. Either way each call read the whole backlog: measured on PGlite with 3,000 pending
// deliveries, the update in a claim of 64 took 9.7 ms, 3.8 ms of it hashing the table, and the
// record of 64 took 8.4 ms, 4.7 ms of it hashing every pending row; the drain slowed as its backlog
// grew. Here every delivery is updated by `id = $1` (the planner knows a primary key returns one
// row), and read back by id through a LATERAL … LIMIT 1, which no plan can turn into a scan of the
// table. The locks are taken in the same order as before: endpoints, events, then deliveries.
export default /* sql */ `
CREATE OR REPLACE FUNCTION webhook_claim(p_now int8, p_lease_until int8, p_limit int, p_room_ids text[], p_room int[], p_per_endpoint int)
RETURNS TABLE (delivery jsonb, event jsonb, endpoint jsonb) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_ids text[];
  v_id text;
BEGIN
  WITH RECURSIVE eps(endpoint_id) AS (
    (SELECT x.endpoint_id FROM webhook_deliveries x WHERE x.status = 'pending' ORDER BY x.endpoint_id LIMIT 1)
    UNION ALL
    SELECT (SELECT n.endpoint_id FROM webhook_deliveries n
             WHERE n.status = 'pending' AND n.endpoint_id > eps.endpoint_id ORDER BY n.endpoint_id LIMIT 1)
      FROM eps WHERE eps.endpoint_id IS NOT NULL
  ), room(endpoint_id, n) AS (SELECT * FROM unnest(p_room_ids, p_room)),
  picked AS (
    SELECT c.id, c.seq FROM eps LEFT JOIN room ON room.endpoint_id = eps.endpoint_id
     CROSS JOIN LATERAL (
       SELECT w.id, w.next_attempt_at, w.seq FROM webhook_deliveries w
        WHERE w.endpoint_id = eps.endpoint_id AND w.status = 'pending' AND w.next_attempt_at <= p_now
        ORDER BY w.next_attempt_at LIMIT GREATEST(COALESCE(room.n, p_per_endpoint), 0)
        FOR UPDATE SKIP LOCKED) c
     WHERE eps.endpoint_id IS NOT NULL
     ORDER BY c.next_attempt_at LIMIT p_limit
  )
  SELECT array_agg(picked.id ORDER BY picked.seq) INTO v_ids FROM picked; -- sent in the order they were made
  IF v_ids IS NULL THEN
    RETURN;
  END IF;
  FOREACH v_id IN ARRAY v_ids LOOP
    UPDATE webhook_deliveries d SET next_attempt_at = p_lease_until, attempts = d.attempts + 1, last_attempt_at = p_now WHERE d.id = v_id;
  END LOOP;
  RETURN QUERY
  SELECT to_jsonb(d), to_jsonb(e), to_jsonb(w)
    FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord)
   CROSS JOIN LATERAL (SELECT * FROM webhook_deliveries x WHERE x.id = u.id LIMIT 1) d
   CROSS JOIN LATERAL (SELECT * FROM events x WHERE x.id = d.event_id LIMIT 1) e
   CROSS JOIN LATERAL (SELECT * FROM webhook_endpoints x WHERE x.id = d.endpoint_id LIMIT 1) w
   ORDER BY u.ord;
END
$fn$;

CREATE OR REPLACE FUNCTION webhook_record(p_delivery_ids text[], p_attempts int[], p_started int8[], p_latency int[], p_status int[],
                                          p_errors text[], p_excerpts text[], p_outcomes text[], p_next int8[], p_now int8, p_disable_after int8)
RETURNS TABLE (endpoint_id text) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_event_ids text[];
  v_endpoint_ids text[];
  v_event text;
  v_endpoint text;
  -- The deliveries this batch ended or rescheduled, in the order the sends ended.
  v_ended_events text[] := '{}';
  v_n int;
  v_eps text[] := '{}';
  v_ords int[] := '{}';
  v_outs text[] := '{}';
BEGIN
  SELECT array_agg(x.event_id), array_agg(x.endpoint_id) INTO v_event_ids, v_endpoint_ids
    FROM unnest(p_delivery_ids) AS u(id)
   CROSS JOIN LATERAL (SELECT event_id, endpoint_id FROM webhook_deliveries d WHERE d.id = u.id LIMIT 1) x;
  -- Lock order everywhere: endpoints, then their deliveries, then events; in id order here, so two
  -- processes recording overlapping batches wait for each other instead of deadlocking.
  PERFORM 1 FROM webhook_endpoints w WHERE w.id = ANY(v_endpoint_ids) ORDER BY w.id FOR UPDATE OF w;
  PERFORM 1 FROM (SELECT DISTINCT u.id FROM unnest(v_event_ids) AS u(id) ORDER BY u.id) ids
   CROSS JOIN LATERAL (SELECT 1 FROM events e WHERE e.id = ids.id FOR UPDATE) l;
  INSERT INTO webhook_attempts (delivery_id, attempt, started, latency_ms, http_status, error, response_excerpt)
  SELECT r.delivery_id, r.attempt, r.started, r.latency_ms, r.http_status, r.error, r.response_excerpt
    FROM unnest(p_delivery_ids, p_attempts, p_started, p_latency, p_status, p_errors, p_excerpts)
         WITH ORDINALITY AS r(delivery_id, attempt, started, latency_ms, http_status, error, response_excerpt, ord)
   ORDER BY r.ord;
  FOR i IN 1 .. coalesce(array_length(p_delivery_ids, 1), 0) LOOP
    -- A success ends a pending delivery whichever claim sent it; a failure decides only for the
    -- latest claim (a send that outlived its lease leaves the next step to the claim under way).
    UPDATE webhook_deliveries d
       SET status = CASE p_outcomes[i] WHEN 'retry' THEN 'pending' ELSE p_outcomes[i] END,
           next_attempt_at = CASE p_outcomes[i] WHEN 'retry' THEN p_next[i] END,
           last_status = p_status[i],
           completed_at = CASE p_outcomes[i] WHEN 'retry' THEN NULL ELSE p_now END
     WHERE d.id = p_delivery_ids[i] AND d.status = 'pending' AND (p_outcomes[i] = 'succeeded' OR d.attempts = p_attempts[i])
    RETURNING d.event_id, d.endpoint_id INTO v_event, v_endpoint;
    IF FOUND THEN
      IF p_outcomes[i] <> 'retry' THEN
        v_ended_events := v_ended_events || v_event;
      END IF;
      v_eps := v_eps || v_endpoint;
      v_ords := v_ords || i;
      v_outs := v_outs || p_outcomes[i];
    END IF;
  END LOOP;
  FOR v_event, v_n IN SELECT u.id, count(*)::int FROM unnest(v_ended_events) AS u(id) GROUP BY u.id ORDER BY u.id LOOP
    UPDATE events e SET pending_webhooks = GREATEST(e.pending_webhooks - v_n, 0) WHERE e.id = v_event;
  END LOOP;
  RETURN QUERY
  WITH upd AS (
    SELECT * FROM unnest(v_eps, v_ords, v_outs) AS u(endpoint_id, ord, outcome)
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
   WHERE nxt.status = 'enabled' AND nxt.failing_since IS NOT NULL AND p_now - nxt.failing_since >= p_disable_after;
END
$fn$;

-- Never a sequential scan: every row these functions touch is reached through an index. PL/pgSQL
-- keeps a statement's generic plan, and one made while the table was empty (a new gateway, right
-- after its first ANALYZE) is a sequential scan that the function then runs for every row: measured
-- on PGlite while 5,000 deliveries drained, 830 µs of claim per delivery, against 150 µs for the
-- same function planned on the full table.
ALTER FUNCTION webhook_claim(int8, int8, int, text[], int[], int) SET enable_seqscan = off;
ALTER FUNCTION webhook_record(text[], int[], int8[], int[], int[], text[], text[], text[], int8[], int8, int8) SET enable_seqscan = off;
`;
