// Files a merchant uploads (POST /v1/files), for now only dispute evidence. The bytes live in the
// store beside their description, so every gateway process serves them; reads that do not need
// them select the other columns (store/repos.ts FILES).
export default /* sql */ `
CREATE TABLE files (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  expires_at bigint,
  filename text,
  purpose text NOT NULL CHECK (purpose IN ('dispute_evidence')),
  size bigint NOT NULL CHECK (size > 0),
  title text,
  type text NOT NULL CHECK (type IN ('pdf', 'png', 'jpg')),
  -- SHA-256 of the bytes: what the idempotency hash and a client can compare.
  sha256 text NOT NULL,
  contents bytea NOT NULL CHECK (octet_length(contents) = size)
);
CREATE INDEX files_list ON files (account_id, livemode, seq);
`;
