/**
 * Trust Payments sites, webservices users and URL-notification rules: set up from the
 * environment on first start and by `opencashier tp …`, never by editing the database.
 * Passwords are kept as scrypt hashes; a verified password is remembered briefly, keyed by the
 * stored hash, so a changed password takes effect at once and the hot path pays scrypt rarely.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db, Queryable } from './db.js';
import { randomToken } from '../core/ids.js';
import { fromRow } from './repos.js';
import { TP_RULES, TP_SITES } from './tp-repos.js';
import type { NotificationTrigger, TpNotificationRuleRecord, TpSiteRecord } from '../core/settlement/records.js';
import { checkWebhookUrl } from '../delivery/url-guard.js';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, opts: { N: number }) => Promise<Buffer>;
const SCRYPT_N = 16_384;

export const SITE_REFERENCE = /^[A-Za-z0-9_]{1,50}$/;
export const USERNAME = /^[^\s:]{1,100}$/;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, { N: SCRYPT_N });
  return `scrypt$${SCRYPT_N}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !n || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n) });
  return timingSafeEqual(got, expected);
}

export interface WebservicesUser {
  username: string;
  account_id: string;
  sites: string[];
}

const VERIFIED_TTL_MS = 5 * 60_000;
const verified = new Map<string, { ok: boolean; until: number }>(); // sha256(username, password, stored hash) → verdict

/** The user these Basic credentials name, or undefined (unknown user, wrong password, disabled). */
export async function authenticateUser(q: Queryable, username: string, password: string, now = Date.now()): Promise<WebservicesUser | undefined> {
  const rows = await q.query<{ username: string; account_id: string; password_hash: string; sites: string[] | null }>(
    `SELECT u.username, u.account_id, u.password_hash, array_remove(array_agg(us.site_reference ORDER BY us.site_reference), NULL) AS sites
       FROM tp_users u LEFT JOIN tp_user_sites us ON us.username = u.username
      WHERE u.username = $1 AND u.disabled IS NULL GROUP BY u.username`,
    [username],
  );
  const row = rows[0];
  if (!row) return undefined;
  const memo = createHash('sha256').update(`${username}\u0000${password}\u0000${row.password_hash}`).digest('hex');
  const known = verified.get(memo);
  if (!(known && known.until > now)) {
    // Wrong passwords are remembered too: a client retrying bad credentials costs one scrypt, not one per request.
    const ok = await verifyPassword(password, row.password_hash);
    if (verified.size > 10_000) verified.clear();
    verified.set(memo, { ok, until: now + VERIFIED_TTL_MS });
    if (!ok) return undefined;
  } else if (!known.ok) return undefined;
  return { username: row.username, account_id: row.account_id, sites: row.sites ?? [] };
}

export async function listSites(q: Queryable, accountId?: string): Promise<TpSiteRecord[]> {
  const rows = await q.query(
    `SELECT * FROM tp_sites ${accountId ? 'WHERE account_id = $1' : ''} ORDER BY number`, accountId ? [accountId] : [],
  );
  return rows.map((r) => fromRow(TP_SITES, r));
}

export async function getSite(q: Queryable, siteReference: string): Promise<TpSiteRecord | undefined> {
  const rows = await q.query('SELECT * FROM tp_sites WHERE site_reference = $1', [siteReference]);
  return rows[0] ? fromRow(TP_SITES, rows[0]) : undefined;
}

/** A 16-digit Alipay partner id, stable for the site (Alipay's 2088… form). */
function partnerIdFor(siteReference: string): string {
  const digits = BigInt('0x' + createHash('sha256').update(siteReference).digest('hex').slice(0, 15)) % 1_000_000_000_000n;
  return `2088${digits.toString().padStart(12, '0')}`;
}

export class TpSetupError extends Error {}

export async function createSite(
  q: Queryable, opts: { siteReference: string; accountId: string; livemode: boolean; merchantName: string; notificationPassword?: string | null; now: number },
): Promise<TpSiteRecord> {
  if (!SITE_REFERENCE.test(opts.siteReference)) throw new TpSetupError(`A site reference is 1 to 50 letters, digits or underscores: ${JSON.stringify(opts.siteReference)} is not one.`);
  const exists = await getSite(q, opts.siteReference);
  if (exists) throw new TpSetupError(`The site ${opts.siteReference} already exists.`);
  const rows = await q.query<{ n: number }>('SELECT COALESCE(MAX(number), 0) + 1 AS n FROM tp_sites');
  const site: TpSiteRecord = {
    site_reference: opts.siteReference,
    account_id: opts.accountId,
    livemode: opts.livemode,
    number: Number(rows[0]!.n),
    merchant_name: opts.merchantName,
    partner_id: partnerIdFor(opts.siteReference),
    notification_password: opts.notificationPassword ?? null,
    created: opts.now,
  };
  await q.query(
    `INSERT INTO tp_sites (site_reference, account_id, livemode, number, merchant_name, partner_id, notification_password, created)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [site.site_reference, site.account_id, site.livemode, site.number, site.merchant_name, site.partner_id, site.notification_password, site.created],
  );
  return site;
}

export async function setNotificationPassword(q: Queryable, siteReference: string, password: string | null): Promise<void> {
  const rows = await q.query('UPDATE tp_sites SET notification_password = $2 WHERE site_reference = $1 RETURNING 1', [siteReference, password]);
  if (rows.length === 0) throw new TpSetupError(`There is no site ${siteReference}.`);
}

/** Creates the user, or sets the password of an existing one; either way it may use `sites`. */
export async function putUser(q: Queryable, opts: { username: string; password: string; accountId: string; sites: string[]; now: number }): Promise<'created' | 'updated'> {
  if (!USERNAME.test(opts.username)) throw new TpSetupError('A webservices username is 1 to 100 characters, without spaces or colons.');
  if (opts.password.length < 8) throw new TpSetupError('A webservices password has at least 8 characters.');
  for (const ref of opts.sites) {
    const site = await getSite(q, ref);
    if (!site) throw new TpSetupError(`There is no site ${ref}.`);
    if (site.account_id !== opts.accountId) throw new TpSetupError(`The site ${ref} belongs to another account.`);
  }
  const hash = await hashPassword(opts.password);
  const existing = await q.query<{ account_id: string }>('SELECT account_id FROM tp_users WHERE username = $1', [opts.username]);
  if (existing[0] && existing[0].account_id !== opts.accountId) throw new TpSetupError(`The user ${opts.username} belongs to another account.`);
  if (existing[0]) await q.query('UPDATE tp_users SET password_hash = $2, disabled = NULL WHERE username = $1', [opts.username, hash]);
  else await q.query('INSERT INTO tp_users (username, account_id, password_hash, created) VALUES ($1, $2, $3, $4)', [opts.username, opts.accountId, hash, opts.now]);
  for (const ref of opts.sites) {
    await q.query('INSERT INTO tp_user_sites (username, site_reference) VALUES ($1, $2) ON CONFLICT DO NOTHING', [opts.username, ref]);
  }
  return existing[0] ? 'updated' : 'created';
}

export async function disableUser(q: Queryable, username: string, now: number): Promise<void> {
  const rows = await q.query('UPDATE tp_users SET disabled = $2 WHERE username = $1 AND disabled IS NULL RETURNING 1', [username, now]);
  if (rows.length === 0) throw new TpSetupError(`There is no active user ${username}.`);
}

export async function listUsers(q: Queryable): Promise<{ username: string; account_id: string; sites: string[]; disabled: number | null }[]> {
  return q.query(
    `SELECT u.username, u.account_id, u.disabled, array_remove(array_agg(us.site_reference ORDER BY us.site_reference), NULL) AS sites
       FROM tp_users u LEFT JOIN tp_user_sites us ON us.username = u.username GROUP BY u.username ORDER BY u.created, u.username`,
  );
}

/** The fields seed 004 recommends for each notification. */
export const RECOMMENDED_FIELDS: Readonly<Record<NotificationTrigger, readonly string[]>> = {
  authorisation: [
    'baseamount', 'mainamount', 'billingcountryiso2a', 'currencyiso3a', 'errorcode', 'livestatus', 'orderreference',
    'paymenttypedescription', 'requesttypedescription', 'settlestatus', 'sitereference', 'transactionreference',
    'transactionstartedtimestamp',
  ],
  settlement: ['settlestatus', 'sitereference', 'transactionreference'],
  refund: ['baseamount', 'currencyiso3a', 'errorcode', 'parenttransactionreference', 'requesttypedescription', 'settlestatus', 'sitereference', 'transactionreference'],
};

export async function addRule(
  q: Queryable, opts: { siteReference: string; trigger: NotificationTrigger; url: string; fields?: string[]; now: number },
): Promise<TpNotificationRuleRecord> {
  if (!(await getSite(q, opts.siteReference))) throw new TpSetupError(`There is no site ${opts.siteReference}.`);
  let parsed: URL;
  try {
    parsed = new URL(opts.url);
  } catch {
    throw new TpSetupError(`Not a URL: ${opts.url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TpSetupError('A notification URL is http:// or https://.');
  const rule: TpNotificationRuleRecord = {
    id: `tpr_${randomToken(16)}`,
    site_reference: opts.siteReference,
    trigger: opts.trigger,
    url: opts.url,
    fields: [...(opts.fields?.length ? opts.fields : RECOMMENDED_FIELDS[opts.trigger])],
    created: opts.now,
    deleted: null,
  };
  await q.query(
    'INSERT INTO tp_notification_rules (id, site_reference, trigger, url, fields, created) VALUES ($1, $2, $3, $4, $5::jsonb, $6)',
    [rule.id, rule.site_reference, rule.trigger, rule.url, JSON.stringify(rule.fields), rule.created],
  );
  return rule;
}

/** When a URL notification may be sent. */
export const NOTIFICATION_TRIGGERS: readonly NotificationTrigger[] = ['authorisation', 'settlement', 'refund'];

export function isNotificationTrigger(s: unknown): s is NotificationTrigger {
  return (NOTIFICATION_TRIGGERS as readonly unknown[]).includes(s);
}

const FIELD_NAME = /^[A-Za-z0-9_]{1,64}$/;

/**
 * A site of this account (and of this mode, when one is named), or the same refusal as a site
 * that does not exist.
 */
export async function siteOfAccount(q: Queryable, siteReference: string, accountId: string, livemode?: boolean): Promise<TpSiteRecord> {
  const site = await getSite(q, siteReference);
  if (site?.account_id !== accountId || (livemode !== undefined && site.livemode !== livemode)) throw new TpSetupError(`There is no site ${siteReference}.`);
  return site;
}

/**
 * A URL-notification rule on one of the account's sites, with every check a person's input gets
 * (the CLI's `tp rules add` and the dashboard both come here): field names, the site's owner, and
 * for a live site a public https URL, as live webhooks go. `fields` empty or absent: the
 * recommended ones. `livemode`, when given, limits the sites to that mode's (the dashboard's
 * session sees one mode).
 */
export async function addAccountRule(
  db: Db, opts: { accountId: string; livemode?: boolean; siteReference: string; trigger: NotificationTrigger; url: string; fields?: string[]; now: number },
): Promise<TpNotificationRuleRecord> {
  const bad = opts.fields?.find((f) => !FIELD_NAME.test(f));
  if (bad !== undefined) throw new TpSetupError(`Fields are field names (letters, digits, _), separated by commas: not ${JSON.stringify(bad)}.`);
  const site = await siteOfAccount(db, opts.siteReference, opts.accountId, opts.livemode);
  // The sender checks again at every attempt; this refuses early what it would refuse then.
  if (site.livemode) {
    const why = await checkWebhookUrl(opts.url, { livemode: true, allowPrivate: false });
    if (why) throw new TpSetupError(`${opts.url} cannot receive a live site's notifications: ${why.replace('webhooks', 'notifications')}.`);
  }
  return db.tx(async (q) => {
    await siteOfAccount(q, opts.siteReference, opts.accountId, opts.livemode);
    return addRule(q, { siteReference: opts.siteReference, trigger: opts.trigger, url: opts.url, fields: opts.fields, now: opts.now });
  });
}

/** Removes a rule of one of the account's sites (of one mode, when named); another's rule is "no rule". */
export async function removeAccountRule(db: Db, accountId: string, id: string, now: number, livemode?: boolean): Promise<void> {
  await db.tx(async (q) => {
    const mine = new Set((await listSites(q, accountId)).filter((s) => livemode === undefined || s.livemode === livemode).map((s) => s.site_reference));
    if (!(await listRules(q)).some((r) => r.id === id && mine.has(r.site_reference))) throw new TpSetupError(`There is no rule ${id}.`);
    await removeRule(q, id, now);
  });
}

export async function removeRule(q: Queryable, id: string, now: number): Promise<void> {
  const rows = await q.query('UPDATE tp_notification_rules SET deleted = $2 WHERE id = $1 AND deleted IS NULL RETURNING 1', [id, now]);
  if (rows.length === 0) throw new TpSetupError(`There is no rule ${id}.`);
}

export async function listRules(q: Queryable, siteReference?: string): Promise<TpNotificationRuleRecord[]> {
  const rows = await q.query(
    `SELECT * FROM tp_notification_rules WHERE deleted IS NULL ${siteReference ? 'AND site_reference = $1' : ''} ORDER BY created, id`,
    siteReference ? [siteReference] : [],
  );
  return rows.map((r) => fromRow(TP_RULES, r));
}

export interface TpBootstrap {
  siteReference: string;
  username: string;
  /** Known only when generated now or given in the environment. */
  password?: string;
  created: boolean;
}

/**
 * The test account's first site and user. On the first start they come from
 * OPENCASHIER_TP_SITE_REFERENCE / _USERNAME / _PASSWORD or are generated; a password given in the
 * environment on a later start becomes the user's password (so scripts can know it).
 */
export async function bootstrapTrustPayments(
  db: Db, opts: { accountId: string; merchantName: string; siteReference?: string; username?: string; password?: string; now: number },
): Promise<TpBootstrap> {
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(7106214344)');
    const siteReference = opts.siteReference ?? 'test_site' + String(10_000 + (randomBytes(2).readUInt16BE() % 90_000));
    const users = await q.query<{ username: string }>('SELECT username FROM tp_users WHERE account_id = $1 ORDER BY created LIMIT 1', [opts.accountId]);
    const existingUser = users[0]?.username;
    if (existingUser && !opts.siteReference && !opts.username) {
      const sites = await q.query<{ site_reference: string }>('SELECT site_reference FROM tp_user_sites WHERE username = $1 ORDER BY site_reference LIMIT 1', [existingUser]);
      if (opts.password) await putUser(q, { username: existingUser, password: opts.password, accountId: opts.accountId, sites: [], now: opts.now });
      return { siteReference: sites[0]?.site_reference ?? '', username: existingUser, password: opts.password, created: false };
    }
    let created = false;
    if (!(await getSite(q, siteReference))) {
      await createSite(q, { siteReference, accountId: opts.accountId, livemode: false, merchantName: opts.merchantName, now: opts.now });
      created = true;
    }
    const username = opts.username ?? existingUser ?? 'webservices@example.com';
    const known = (await q.query('SELECT 1 FROM tp_users WHERE username = $1', [username])).length > 0;
    const password = opts.password ?? (known ? undefined : `Ws_${randomToken(20)}`);
    if (password) await putUser(q, { username, password, accountId: opts.accountId, sites: [siteReference], now: opts.now });
    else await q.query('INSERT INTO tp_user_sites (username, site_reference) VALUES ($1, $2) ON CONFLICT DO NOTHING', [username, siteReference]);
    return { siteReference, username, password, created: created || !known };
  });
}


/** Lets an existing user of the account use one more site of the account (again: no change). */
export async function grantSite(q: Queryable, opts: { username: string; siteReference: string; accountId: string }): Promise<void> {
  const users = await q.query<{ account_id: string }>('SELECT account_id FROM tp_users WHERE username = $1', [opts.username]);
  if (users[0]?.account_id !== opts.accountId) throw new TpSetupError(`There is no user ${opts.username}.`);
  const site = await getSite(q, opts.siteReference);
  if (site?.account_id !== opts.accountId) throw new TpSetupError(`There is no site ${opts.siteReference}.`);
  await q.query('INSERT INTO tp_user_sites (username, site_reference) VALUES ($1, $2) ON CONFLICT DO NOTHING', [opts.username, opts.siteReference]);
}
