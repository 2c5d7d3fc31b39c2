/**
 * The Developers section's routes: API keys (rolled with the same store operation as
 * `opencashier keys roll`), the event log and an event's page with "send again" (core's
 * resendEvent), and Trust Payments sites, users and URL-notification rules (the CLI's own checks,
 * store/tp-accounts.ts). Everything is the signed-in account's, in the session's mode.
 */
import type { FastifyReply } from 'fastify';
import { wantsEvent } from '../../core/events.js';
import type { WebhookEndpointRecord } from '../../core/model.js';
import { getEvent, listDeliveries } from '../../core/webhooks/read.js';
import { resendEvent } from '../../core/webhooks/resend.js';
import { businessProfile, BusinessProfileError, listKeys, rollKey, setBusinessProfile } from '../../store/accounts.js';
import type { EventFilter } from '../../store/dashboard.js';
import {
  addAccountRule, isNotificationTrigger, listRules, listSites, listUsers, NOTIFICATION_TRIGGERS, RECOMMENDED_FIELDS,
  removeAccountRule, TpSetupError,
} from '../../store/tp-accounts.js';
import {
  developersPage, eventPage, eventsPage, trustPaymentsPage, type DevelopersView, type EventView, type RuleForm, type TrustPaymentsView,
} from '../../pages/dashboard/developers.js';
import { webhookError } from '../../pages/dashboard/words.js';
import { NOTIFY_PATH } from '../upstream.js';
import { cursorParam, PAGE_SIZE, readDays } from './filters.js';
import { requestContext, type DashboardKit, type Signed } from './session.js';

/** How many deliveries of one event its page shows. */
const EVENT_DELIVERIES = 100;

function eventFilter(q: Record<string, string | undefined>): { filter: EventFilter; form: Record<string, string>; problems: string[] } {
  const filter: EventFilter = {};
  const form: Record<string, string> = {};
  const problems: string[] = [];
  const type = (q.type ?? '').trim();
  if (type) {
    if (/^[a-z_.]{1,100}$/.test(type)) form.type = filter.type = type;
    else problems.push(`"${type.slice(0, 100)}" is not an event type; showing every type.`);
  }
  const object = (q.object ?? '').trim();
  if (object) form.object = filter.object = object.slice(0, 200);
  readDays(q, filter, form, problems);
  return { filter, form, problems };
}

export interface DeveloperRoutesOptions {
  /** The built-in Antom simulator runs (its URLs are shown). */
  simulator: boolean;
}

export function developerRoutes(o: DeveloperRoutesOptions) {
  return (kit: DashboardKit): void => {
    const { queries, core, db } = kit.opts;
    const now = () => core.clock.now();

    // --- API keys and where things are -------------------------------------------------------

    async function developers(
      reply: FastifyReply, s: Signed, extra: Pick<DevelopersView, 'rolled' | 'error' | 'businessForm' | 'businessError' | 'businessSaved'> = {}, status = 200,
    ) {
      const [keys, business] = await Promise.all([listKeys(db, s.scope.account_id, s.scope.livemode), businessProfile(db, s.scope.account_id)]);
      const publicUrl = kit.opts.publicUrl();
      return kit.html(reply, developersPage(s.ctx, {
        keys: keys.map((k) => ({ kind: k.kind, display: k.display, created: Number(k.created) })),
        publicUrl, notifyUrl: `${publicUrl}${NOTIFY_PATH}`, simulator: o.simulator, business, ...extra,
      }), status);
    }

    kit.get('/dashboard/developers', async (_req, reply, s) => developers(reply, s));

    kit.post('/dashboard/developers/keys/roll', async (req, reply, s, body) => {
      const kind = body.kind === 'secret' || body.kind === 'publishable' ? body.kind : undefined;
      if (!kind) return developers(reply, s, { error: 'Choose which key to roll: the secret key or the publishable key.' }, 400);
      // The new key is in this answer only; a reload shows its display, as for every key.
      const key = await rollKey(db, s.scope.account_id, kind, s.scope.livemode, now());
      req.log.info({ route: '/dashboard/developers/keys/roll', kind, livemode: s.scope.livemode }, 'API key rolled from the dashboard');
      return developers(reply, s, { rolled: { kind, key } });
    });

    kit.post('/dashboard/developers/business', async (req, reply, s, body) => {
      const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
      const form = { mcc: str(body.mcc).slice(0, 40), category: str(body.category).slice(0, 400) };
      try {
        const saved = await setBusinessProfile(db, s.scope.account_id, form);
        req.log.info({ route: '/dashboard/developers/business', mcc: saved.mcc }, 'business profile changed from the dashboard');
      } catch (err) {
        if (err instanceof BusinessProfileError) return developers(reply, s, { businessForm: form, businessError: err.message }, 400);
        throw err;
      }
      return developers(reply, s, { businessSaved: true });
    });

    // --- The event log and an event ----------------------------------------------------------

    kit.get('/dashboard/events', async (req, reply, s) => {
      const { filter, form, problems } = eventFilter(req.query);
      const [page, types] = await Promise.all([
        queries.events(s.scope, filter, { limit: PAGE_SIZE, after: cursorParam(req.query.after), before: cursorParam(req.query.before) }),
        queries.eventTypes(s.scope),
      ]);
      return kit.html(reply, eventsPage(s.ctx, { page, types, form, problems }));
    });

    async function showEvent(reply: FastifyReply, s: Signed, id: string, extra: Pick<EventView, 'notice' | 'chosen'> = {}, status = 200) {
      const found = await getEvent(core.store, s.scope, id);
      if (!found.ok) {
        const { filter, form } = eventFilter({});
        const [page, types] = await Promise.all([queries.events(s.scope, filter, { limit: PAGE_SIZE }), queries.eventTypes(s.scope)]);
        return kit.html(reply, eventsPage(s.ctx, { page, types, form, problems: [`There is no event ${id} in ${s.scope.livemode ? 'live' : 'test'} mode.`] }), 404);
      }
      const event = found.value;
      const listed = await listDeliveries(core.store, s.scope, { limit: EVENT_DELIVERIES, event: event.id });
      const deliveries = listed.ok ? listed.value.data : [];
      const endpoints = new Map<string, WebhookEndpointRecord>();
      for (const endpointId of new Set(deliveries.map((d) => d.endpoint_id))) {
        const w = await core.store.webhookEndpoints.get(s.scope, endpointId);
        if (w) endpoints.set(w.id, w);
      }
      const resendTo = (await core.store.webhookEndpoints.enabled(s.scope)).filter((w) => wantsEvent(w.enabled_events, event.type));
      return kit.html(reply, eventPage(s.ctx, { event, deliveries, endpoints, resendTo, ...extra }), status);
    }

    kit.get<{ id: string }>('/dashboard/events/:id', async (req, reply, s) => {
      const notice = req.query.done === 'resent' ? { kind: 'ok' as const, text: 'Queued: the event is sent to the endpoint again in a moment. Its attempts show below.' } : undefined;
      return showEvent(reply, s, req.params.id, notice ? { notice } : {});
    });

    kit.post<{ id: string }>('/dashboard/events/:id/resend', async (req, reply, s, body) => {
      const id = req.params.id;
      const endpoint = typeof body.endpoint === 'string' ? body.endpoint : '';
      if (!endpoint) return showEvent(reply, s, id, { notice: { kind: 'error', text: 'Choose the endpoint to send the event to.' } }, 400);
      const result = await resendEvent(core, requestContext(req, s), id, endpoint);
      if (!result.ok) {
        const status = result.error.kind === 'not_found' ? 404 : 409;
        return showEvent(reply, s, id, { notice: { kind: 'error', text: webhookError(result.error) }, chosen: endpoint }, status);
      }
      return reply.redirect(`/dashboard/events/${encodeURIComponent(id)}?done=resent`, 303);
    });

    // --- Trust Payments ----------------------------------------------------------------------

    async function trustPayments(reply: FastifyReply, s: Signed, extra: Pick<TrustPaymentsView, 'form' | 'error' | 'problem' | 'done'> = {}, status = 200) {
      const { account_id: accountId, livemode } = s.scope;
      const sites = (await listSites(db, accountId)).filter((x) => x.livemode === livemode);
      const refs = new Set(sites.map((x) => x.site_reference));
      const [allRules, allUsers] = await Promise.all([listRules(db), listUsers(db)]);
      const users = allUsers
        .filter((x) => x.account_id === accountId && (x.sites.length === 0 || x.sites.some((r) => refs.has(r))))
        .map((x) => ({ username: x.username, sites: x.sites.filter((r) => refs.has(r)), disabled: x.disabled === null ? null : Number(x.disabled) }));
      return kit.html(reply, trustPaymentsPage(s.ctx, {
        publicUrl: kit.opts.publicUrl(), sites, users, rules: allRules.filter((r) => refs.has(r.site_reference)),
        triggers: NOTIFICATION_TRIGGERS, recommended: RECOMMENDED_FIELDS, ...extra,
      }), status);
    }

    kit.get('/dashboard/trust-payments', async (req, reply, s) => {
      const done = req.query.done === 'added' ? 'Rule added: the next matching transaction is notified to its URL.'
        : req.query.done === 'removed' ? 'Rule removed: nothing more is sent for it.' : undefined;
      return trustPayments(reply, s, { done });
    });

    kit.post('/dashboard/trust-payments/rules', async (_req, reply, s, body) => {
      const str = (v: unknown, max: number) => (typeof v === 'string' ? v.trim().slice(0, max) : '');
      const form: RuleForm = { site: str(body.site, 50), trigger: str(body.trigger, 20), url: str(body.url, 2048), fields: str(body.fields, 2000) };
      const refuse = (error: string) => trustPayments(reply, s, { form, error }, 400);
      if (!isNotificationTrigger(form.trigger)) return refuse(`Choose when the notification is sent: ${NOTIFICATION_TRIGGERS.join(', ')}.`);
      if (!form.url) return refuse('Type the URL that should receive the notifications.');
      const fields = form.fields.split(',').map((x) => x.trim()).filter(Boolean);
      try {
        await addAccountRule(db, {
          accountId: s.scope.account_id, livemode: s.scope.livemode, siteReference: form.site, trigger: form.trigger, url: form.url,
          fields: fields.length ? fields : undefined, now: now(),
        });
      } catch (err) {
        if (err instanceof TpSetupError) return refuse(err.message);
        throw err;
      }
      return reply.redirect('/dashboard/trust-payments?done=added', 303);
    });

    kit.post<{ id: string }>('/dashboard/trust-payments/rules/:id/remove', async (req, reply, s) => {
      try {
        await removeAccountRule(db, s.scope.account_id, req.params.id, now(), s.scope.livemode);
      } catch (err) {
        if (err instanceof TpSetupError) return trustPayments(reply, s, { problem: `${err.message} It may have been removed already.` }, 404);
        throw err;
      }
      return reply.redirect('/dashboard/trust-payments?done=removed', 303);
    });
  };
}
