/**
 * The signing secret of `opencashier listen`. A developer pastes it once into their app's
 * configuration, so it must survive restarts: one secret per (API base, API key), kept in a small
 * JSON file readable only by its owner. The file holds a hash of the key, never the key itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface SecretFile {
  version: 1;
  secrets: Record<string, { secret: string; api_base: string; created: number }>;
}

/** `${XDG_CONFIG_HOME:-~/.config}/opencashier`, as the XDG base directory spec puts it. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && xdg.startsWith('/') ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'opencashier');
}

function slot(apiBase: string, apiKey: string): string {
  return createHash('sha256').update(`${apiBase}\n${apiKey}`).digest('hex');
}

function read(file: string): SecretFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<SecretFile>;
    if (parsed && typeof parsed.secrets === 'object' && parsed.secrets !== null) return { version: 1, secrets: parsed.secrets };
  } catch {
    /* fall through: a damaged file is reported rather than silently replaced, which would rotate every secret */
  }
  throw new Error(`${file} is not a valid secrets file; fix or delete it (a new signing secret will then be generated)`);
}

/**
 * The webhook signing secret for this API base and key: the stored one, or a new `whsec_…`
 * (64 hex characters, as Stripe's) written to `listen.json` under `dir` with mode 0600.
 */
export function signingSecret(dir: string, apiBase: string, apiKey: string, now = Date.now()): { secret: string; file: string; created: boolean } {
  const file = join(dir, 'listen.json');
  const data = read(file);
  const key = slot(apiBase, apiKey);
  const existing = data.secrets[key];
  if (existing && /^whsec_[0-9a-f]{64}$/.test(existing.secret)) {
    // Someone may have copied or edited the file with a looser mode; the secret signs webhooks.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { secret: existing.secret, file, created: false };
  }
  const secret = `whsec_${randomBytes(32).toString('hex')}`;
  data.secrets[key] = { secret, api_base: apiBase, created: now };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written whole and renamed into place, so a crash or a second `listen` never leaves half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600); // `mode` applies only when the file is created; a stale temp file keeps its own
  renameSync(tmp, file);
  return { secret, file, created: true };
}
