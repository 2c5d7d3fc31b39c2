/**
 * `opencashier tp …`: the account's Trust Payments sites, webservices users and URL-notification
 * rules, set up from the command line (never by editing the database). The store does the checks
 * (src/store/tp-accounts.ts); this file reads the arguments and prints plain tables. A refusal is one
 * line on stderr and exit code 2. A password is printed only when it was just generated.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Db, Queryable } from '../store/db.js';
import { randomToken } from '../core/ids.js';
import { bootstrapAccount } from '../store/accounts.js';
import {
  addAccountRule, createSite, disableUser, grantSite, isNotificationTrigger, listRules, listSites, listUsers, NOTIFICATION_TRIGGERS,
  putUser, removeAccountRule, setNotificationPassword, siteOfAccount, TpSetupError,
} from '../store/tp-accounts.js';

export const TP_USAGE = `Trust Payments (the /json/ and /xml/ doors): sites, webservices users, URL notifications

Usage: opencashier tp <sites|users|rules> <command> …

  tp sites list
  tp sites add <site_reference> [--name "Shop"] [--live]
               [--notification-password <pw> | --generate-notification-password]
                        a site of the account (letters, digits, _; at most 50); --name is the
                        merchant the wallet shows (default: the account's name)
  tp sites set-password <site_reference> (<pw> | --generate | --clear)
                        the notification password that signs responsesitesecurity
  tp users list
  tp users add <username> --site <ref> [--site <ref>…] [--password <pw>]
                        a webservices user; without --password one is generated and printed
  tp users passwd <username> [--password <pw>]
                        a new password (generated and printed when not given); enables the user
  tp users disable <username>
  tp users grant <username> --site <ref> [--site <ref>…]
  tp rules list [--site <ref>]
  tp rules add --site <ref> --on authorisation|settlement|refund --url <url> [--fields a,b,c]
                        a URL notification (default fields: the ones seed 004 recommends)
  tp rules remove <rule_id>

Webservices passwords are stored as scrypt hashes (at least 8 characters); a password is printed only
when it was just generated. Beside a running gateway on the embedded database these commands refuse:
stop it first.`;

/** Wants the usage rather than a command: `tp`, `tp help`, `tp … --help`. */
export function tpWantsHelp(args: readonly string[]): boolean {
  return args.length === 0 || args[0] === 'help' || args.includes('--help') || args.includes('-h');
}

export interface TpContext {
  db: Db;
  /** The account's name if this command creates the account (an empty store). */
  accountName: string;
  out(text: string): void;
  err(text: string): void;
  now?: () => number;
}

class UsageError extends Error {}

const COMMANDS = new Set([
  'sites list', 'sites add', 'sites set-password', 'users list', 'users add', 'users passwd', 'users disable', 'users grant',
  'rules list', 'rules add', 'rules remove',
]);

type Options = NonNullable<ParseArgsConfig['options']>;

function parse(args: string[], options: Options, what: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = /'([^']+)'/.exec((err as Error).message)?.[1] ?? '?';
      throw new UsageError(`tp ${what} has no option ${name} (npm run cli -- tp --help).`);
    }
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(`tp ${what}: ${(err as Error).message}.`);
    throw err;
  }
}

function positionals(got: string[], names: string[], what: string): string[] {
  if (got.length < names.length) throw new UsageError(`tp ${what} needs ${names.map((n) => `<${n}>`).join(' ')} (npm run cli -- tp --help).`);
  if (got.length > names.length) throw new UsageError(`tp ${what}: unexpected ${JSON.stringify(got[names.length])} (npm run cli -- tp --help).`);
  return got;
}

/** Aligned columns, two spaces apart; the last column is not padded. */
export function formatTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

const date = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const generated = () => `Ws_${randomToken(20)}`;

async function userOfAccount(q: Queryable, username: string, accountId: string) {
  const user = (await listUsers(q)).find((u) => u.username === username && u.account_id === accountId);
  if (!user) throw new TpSetupError(`There is no user ${username}.`);
  return user;
}

/** Runs `tp <args>`; returns the exit code (0, or 2 when refused). */
export async function runTp(args: string[], ctx: TpContext): Promise<number> {
  const now = ctx.now ?? Date.now;
  const [group = '', command = '', ...rest] = args;
  const what = `${group} ${command}`.trim();
  try {
    if (!COMMANDS.has(what)) throw new UsageError(`Unknown command: tp ${args.join(' ')} (npm run cli -- tp --help).`);
    // One account per store; an empty store gets it here as it would at the first start.
    const account = await bootstrapAccount(ctx.db, { name: ctx.accountName, now: now() });
    if (account.created) {
      ctx.out(`First use of this store: created the account ${account.accountName} (${account.accountId}); its test keys, shown only now:\n`
        + `  Test secret key      ${account.secretKey}\n  Test publishable key ${account.publishableKey}\n\n`);
    }
    const accountId = account.accountId;
    const { db } = ctx;

    switch (what) {
      case 'sites list': {
        positionals(parse(rest, {}, what).positionals, [], what);
        const sites = await listSites(db, accountId);
        if (sites.length === 0) return (ctx.out('No sites: npm run cli -- tp sites add <site_reference>\n'), 0);
        ctx.out(formatTable(
          ['SITE REFERENCE', 'MODE', 'NUMBER', 'PARTNER ID', 'NOTIFICATION PASSWORD', 'CREATED', 'MERCHANT'],
          sites.map((s) => [s.site_reference, s.livemode ? 'live' : 'test', String(s.number), s.partner_id, s.notification_password ? 'set' : '-', date(s.created), s.merchant_name]),
        ));
        return 0;
      }
      case 'sites add': {
        const { values, positionals: pos } = parse(rest, {
          name: { type: 'string' }, live: { type: 'boolean' },
          'notification-password': { type: 'string' }, 'generate-notification-password': { type: 'boolean' },
        }, what);
        const [siteReference] = positionals(pos, ['site_reference'], what);
        const given = values['notification-password'] as string | undefined;
        const generate = Boolean(values['generate-notification-password']);
        if (given !== undefined && generate) throw new UsageError('Give --notification-password <pw> or --generate-notification-password, not both.');
        if (given === '') throw new UsageError('A notification password is not empty.');
        const name = values.name as string | undefined;
        if (name !== undefined && !name.trim()) throw new UsageError('--name is the merchant the shopper sees: it is not empty.');
        const notificationPassword = generate ? randomToken(24) : given;
        const site = await db.tx((q) => createSite(q, {
          siteReference: siteReference!, accountId, livemode: Boolean(values.live), merchantName: name?.trim() ?? account.accountName,
          notificationPassword, now: now(),
        }));
        ctx.out(`Created ${site.livemode ? 'live' : 'test'} site ${site.site_reference} (number ${site.number}, partner id ${site.partner_id}, merchant "${site.merchant_name}").\n`);
        if (generate) ctx.out(`Notification password (shown only now): ${notificationPassword}\n`);
        ctx.out(`Let a webservices user use it: npm run cli -- tp users grant <username> --site ${site.site_reference}\n`);
        return 0;
      }
      case 'sites set-password': {
        const { values, positionals: pos } = parse(rest, { generate: { type: 'boolean' }, clear: { type: 'boolean' } }, what);
        const ways = [pos.length > 1, Boolean(values.generate), Boolean(values.clear)].filter(Boolean).length;
        if (pos.length === 0) throw new UsageError('tp sites set-password needs <site_reference> and then <pw>, --generate or --clear.');
        if (ways !== 1) throw new UsageError('tp sites set-password <site_reference> takes one of <pw>, --generate or --clear.');
        if (pos.length > 2) throw new UsageError(`tp sites set-password: unexpected ${JSON.stringify(pos[2])}.`);
        const [siteReference, given] = pos as [string, string | undefined];
        if (given === '') throw new UsageError('A notification password is not empty.');
        const password = values.generate ? randomToken(24) : values.clear ? null : given!;
        await db.tx(async (q) => {
          await siteOfAccount(q, siteReference, accountId);
          await setNotificationPassword(q, siteReference, password);
        });
        if (password === null) ctx.out(`The site ${siteReference} has no notification password now.\n`);
        else if (values.generate) ctx.out(`New notification password of ${siteReference} (shown only now): ${password}\n`);
        else ctx.out(`The notification password of ${siteReference} is set.\n`);
        return 0;
      }
      case 'users list': {
        positionals(parse(rest, {}, what).positionals, [], what);
        const users = (await listUsers(db)).filter((u) => u.account_id === accountId);
        if (users.length === 0) return (ctx.out('No webservices users: npm run cli -- tp users add <username> --site <ref>\n'), 0);
        ctx.out(formatTable(
          ['USERNAME', 'STATUS', 'SITES'],
          users.map((u) => [u.username, u.disabled ? `disabled ${date(Number(u.disabled))}` : 'active', u.sites.join(', ') || '-']),
        ));
        return 0;
      }
      case 'users add': {
        const { values, positionals: pos } = parse(rest, { site: { type: 'string', multiple: true }, password: { type: 'string' } }, what);
        const [username] = positionals(pos, ['username'], what);
        const sites = (values.site as string[] | undefined) ?? [];
        if (sites.length === 0) throw new UsageError('tp users add needs at least one --site <ref>: the sites the user may use.');
        const password = (values.password as string | undefined) ?? generated();
        await db.tx(async (q) => {
          if ((await listUsers(q)).some((u) => u.username === username)) {
            throw new TpSetupError(`The user ${username} already exists (a new password: tp users passwd ${username}; more sites: tp users grant ${username} --site <ref>).`);
          }
          for (const ref of sites) await siteOfAccount(q, ref, accountId);
          await putUser(q, { username: username!, password, accountId, sites, now: now() });
        });
        ctx.out(`Created webservices user ${username} for ${sites.join(', ')}.\n`);
        if (values.password === undefined) ctx.out(`Password (shown only now): ${password}\n`);
        return 0;
      }
      case 'users passwd': {
        const { values, positionals: pos } = parse(rest, { password: { type: 'string' } }, what);
        const [username] = positionals(pos, ['username'], what);
        const password = (values.password as string | undefined) ?? generated();
        const wasDisabled = await db.tx(async (q) => {
          const user = await userOfAccount(q, username!, accountId);
          await putUser(q, { username: username!, password, accountId, sites: [], now: now() });
          return Boolean(user.disabled);
        });
        if (values.password === undefined) ctx.out(`New password of ${username} (shown only now; the old one no longer works): ${password}\n`);
        else ctx.out(`The password of ${username} is changed; the old one no longer works.\n`);
        if (wasDisabled) ctx.out(`${username} was disabled: it is active again.\n`);
        return 0;
      }
      case 'users disable': {
        const [username] = positionals(parse(rest, {}, what).positionals, ['username'], what);
        await db.tx(async (q) => {
          await userOfAccount(q, username!, accountId);
          await disableUser(q, username!, now());
        });
        ctx.out(`Disabled ${username}: its requests are refused from now on (enable it again with a new password: tp users passwd ${username}).\n`);
        return 0;
      }
      case 'users grant': {
        const { values, positionals: pos } = parse(rest, { site: { type: 'string', multiple: true } }, what);
        const [username] = positionals(pos, ['username'], what);
        const sites = (values.site as string[] | undefined) ?? [];
        if (sites.length === 0) throw new UsageError('tp users grant needs --site <ref>.');
        await db.tx(async (q) => {
          for (const ref of sites) await grantSite(q, { username: username!, siteReference: ref, accountId });
        });
        ctx.out(`${username} may use ${sites.join(', ')}.\n`);
        return 0;
      }
      case 'rules list': {
        const { values, positionals: pos } = parse(rest, { site: { type: 'string' } }, what);
        positionals(pos, [], what);
        const site = values.site as string | undefined;
        if (site !== undefined) await siteOfAccount(db, site, accountId);
        const mine = new Set((await listSites(db, accountId)).map((s) => s.site_reference));
        const rules = (await listRules(db, site)).filter((r) => mine.has(r.site_reference));
        if (rules.length === 0) return (ctx.out('No notification rules: npm run cli -- tp rules add --site <ref> --on authorisation --url <url>\n'), 0);
        ctx.out(formatTable(
          ['RULE', 'SITE', 'ON', 'URL', 'FIELDS'],
          rules.map((r) => [r.id, r.site_reference, r.trigger, r.url, r.fields.join(',')]),
        ));
        return 0;
      }
      case 'rules add': {
        const { values, positionals: pos } = parse(rest, { site: { type: 'string' }, on: { type: 'string' }, url: { type: 'string' }, fields: { type: 'string' } }, what);
        positionals(pos, [], what);
        const missing = (['site', 'on', 'url'] as const).filter((k) => values[k] === undefined).map((k) => `--${k}`);
        if (missing.length) throw new UsageError(`tp rules add needs ${missing.join(', ')} (npm run cli -- tp --help).`);
        const trigger = values.on;
        if (!isNotificationTrigger(trigger)) throw new UsageError(`--on is ${NOTIFICATION_TRIGGERS.join(', ')}: not ${JSON.stringify(values.on)}.`);
        let fields: string[] | undefined;
        if (values.fields !== undefined) {
          fields = (values.fields as string).split(',').map((f) => f.trim()).filter(Boolean);
          if (fields.length === 0) throw new UsageError('--fields names at least one field (leave it out for the recommended ones).');
        }
        const rule = await addAccountRule(db, { accountId, siteReference: values.site as string, trigger, url: values.url as string, fields, now: now() });
        ctx.out(`Added rule ${rule.id}: on ${rule.trigger} of ${rule.site_reference}, POST ${rule.url}\n  fields: ${rule.fields.join(',')}\n`);
        return 0;
      }
      case 'rules remove': {
        const [id] = positionals(parse(rest, {}, what).positionals, ['rule_id'], what);
        await removeAccountRule(db, accountId, id!, now());
        ctx.out(`Removed rule ${id}.\n`);
        return 0;
      }
      default:
        throw new Error(`tp ${what} is listed but not handled`);
    }
  } catch (err) {
    if (err instanceof TpSetupError || err instanceof UsageError) {
      ctx.err(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
