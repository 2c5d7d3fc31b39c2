// Dashboard sign-ins. A session is known by the SHA-256 of its cookie (a stolen table grants
// nothing); its CSRF token rides in every form the session's pages render.
export default /* sql */ `
CREATE TABLE dashboard_sessions (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  csrf text NOT NULL,
  created bigint NOT NULL,
  expires bigint NOT NULL,
  via text NOT NULL CHECK (via IN ('password', 'secret_key')),
  -- The key a secret-key session was opened with: revoking (rolling) that key ends the session.
  api_key_id text
);
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires);
`;
