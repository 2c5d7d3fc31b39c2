// The balance without reading every transaction ever made (GET /v1/balance, core/balances/read.ts).
// A transaction, once available, is *folded* by the availability job: in one transaction it is
// marked folded and its net added to its account's running total for its currency. The balance
// is then the totals plus the transactions not folded yet (the pending ones and those made
// available since the last pass), read in one statement, so one snapshot: a fold is seen whole or
// not at all. The partial index holds only the unfolded rows, so the read costs what the recent
// window holds, not the account's history. The totals are written by the job alone, never by a
// payment, so no payment waits on an account-wide row.
export default /* sql */ `
ALTER TABLE balance_transactions ADD COLUMN folded boolean NOT NULL DEFAULT false;
CREATE INDEX balance_transactions_unfolded ON balance_transactions (account_id, livemode, currency, status) INCLUDE (net) WHERE NOT folded;
CREATE INDEX balance_transactions_to_fold ON balance_transactions (seq) WHERE NOT folded AND status = 'available';
CREATE TABLE balance_totals (
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  currency text NOT NULL,
  available bigint NOT NULL,
  PRIMARY KEY (account_id, livemode, currency)
);
`;
