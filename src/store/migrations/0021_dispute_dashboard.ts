// The dashboard's disputes (store/dashboard.ts): the list newest first by (created, seq), filtered
// by status or not, and the disputes still awaiting the merchant's answer, soonest due first.
export default /* sql */ `
CREATE INDEX disputes_dash_created ON disputes (account_id, livemode, created, seq);
CREATE INDEX disputes_dash_status ON disputes (account_id, livemode, status, created, seq);
CREATE INDEX disputes_awaiting ON disputes (account_id, livemode, due_by) WHERE status IN ('needs_response', 'warning_needs_response');
`;
