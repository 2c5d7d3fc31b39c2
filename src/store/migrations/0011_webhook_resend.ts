// An event may be sent to an endpoint more than once (a resend from the dashboard is a new
// delivery with its own attempts), so (event, endpoint) is no longer unique; the index stays for
// an event's deliveries.
export default /* sql */ `
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_endpoint_id_key;
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id, endpoint_id);
`;
