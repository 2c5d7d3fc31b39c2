// A cancel decided by the gateway is written down before Antom is asked, so that an answer about
// the payment arriving meanwhile (a success notification, an inquiry) can be held until Antom's
// answer to the cancel decides, and so that a process dying mid-cancel leaves work for the poller.
export default /* sql */ `
ALTER TABLE payment_attempts ADD COLUMN cancel_requested_at bigint;
ALTER TABLE payment_attempts ADD COLUMN cancel_source text CHECK (cancel_source IN ('merchant', 'checkout', 'expiry'));
ALTER TABLE payment_attempts ADD COLUMN cancel_reason text;
`;
