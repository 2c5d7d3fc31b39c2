// Refused upstream notifications are kept as a bounded excerpt, counted per sender, and pruned.
export default /* sql */ `
ALTER TABLE upstream_notifications ADD COLUMN source text;
ALTER TABLE upstream_notifications ADD COLUMN body_bytes integer;
CREATE INDEX upstream_notifications_refused_source ON upstream_notifications (source, received) WHERE verdict = 'refused';
CREATE INDEX upstream_notifications_refused_received ON upstream_notifications (received) WHERE verdict = 'refused';
UPDATE upstream_notifications SET body_bytes = octet_length(body), body = left(body, 2048)
 WHERE verdict = 'refused' AND length(body) > 2048;
`;
