// The dashboard's disputes and balance (store/dashboard.ts). Disputes: the list newest first by
// (created, seq), filtered by status or not, and those still awaiting the merchant's answer, soonest
// due first. Balance transactions: newest first, by type or not; the same index serves the
// settlement report's period (GET /v1/reports/settlement).
export default /* sql */ `
CREATE INDEX disputes_dash_created ON disputes (account_id, livemode, created, seq);
CREATE INDEX disputes_dash_status ON disputes (account_id, livemode, status, created, seq);
CREATE INDEX disputes_awaiting ON disputes (account_id, livemode, due_by) WHERE status IN ('needs_response', 'warning_needs_response');
CREATE INDEX balance_transactions_dash_created ON balance_transactions (account_id, livemode, created, seq);
CREATE INDEX balance_transactions_dash_type ON balance_transactions (account_id, livemode, type, created, seq);
`;
