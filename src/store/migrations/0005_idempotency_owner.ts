// The process that holds an in-progress Idempotency-Key (store/presence.ts): a claim whose process
// is gone can be taken over at once.
export default /* sql */ `
ALTER TABLE idempotency_keys ADD COLUMN owner text;
`;
