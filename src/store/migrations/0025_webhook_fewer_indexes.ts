// Three of webhook_deliveries' nine indexes served no statement that another index does not serve
// as well, and each costs every delivery three entries: a delivery's row is written three times
// (made, claimed, recorded), and neither update can be HOT because both change indexed columns.
// - the UNIQUE on seq: seq comes from an identity, and lists read it through webhook_deliveries_list;
// - webhook_deliveries_due (next_attempt_at of pending rows): the claim walks
//   webhook_deliveries_pending_endpoint, and the backlog count reads that one as well;
// - webhook_deliveries_endpoint (endpoint_id, status): an endpoint's deliveries are found through
//   webhook_deliveries_endpoint_created, its pending ones through webhook_deliveries_pending_endpoint.
// test/store/hot-queries.test.ts checks every list and claim still reads through an index. Nine
// index entries fewer per delivery; the drain's speed moved within its noise (PGlite, claim and
// record of 5,000 in one process, three pairs alternating: 420/417, 436/312, 320/312 µs each).
export default /* sql */ `
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_seq_key;
DROP INDEX webhook_deliveries_due;
DROP INDEX webhook_deliveries_endpoint;
`;
