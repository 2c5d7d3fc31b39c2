// Optimistic writes (src/store/repos.ts, `presume`): a transaction that acts on rows as it last saw
// them, without reading them again under a lock, checks at its commit that they are still so:
//   SELECT oc_presumed(count(*), 'payment_intents pi_…') FROM (SELECT 1 FROM payment_intents
//    WHERE id = $1 AND (every column) IS NOT DISTINCT FROM (what it saw) FOR UPDATE) g
// The lock waits for a concurrent writer and then sees its row, so the check is a compare-and-set.
// When a row changed, the whole statement fails with SQLSTATE P0409 and nothing of it is written;
// the caller then does the work again the ordinary way, reading under locks.
export default /* sql */ `
CREATE FUNCTION oc_presumed(p_found bigint, p_what text) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$ BEGIN
  IF p_found <> 1 THEN RAISE EXCEPTION '% changed since it was read', p_what USING ERRCODE = 'P0409'; END IF; RETURN 1; END
$$;
`;
