/**
 * Disputes in the dashboard: the list (awaiting an answer first), a dispute's page, and the two
 * things a person may do to one — save or send evidence, and accept the loss — through the same
 * core operations as `POST /v1/disputes/:id` and `POST /v1/disputes/:id/close`.
 */
import type { FastifyReply } from 'fastify';
import type { EvidenceField } from '../../core/model.js';
import { closeDispute } from '../../core/disputes/close.js';
import { updateDispute } from '../../core/disputes/update.js';
import { DISPUTE_STATUSES, disputePage, disputesPage, EVIDENCE_FORM_FIELDS, type DisputeView } from '../../pages/dashboard/disputes.js';
import { plainError } from '../../pages/dashboard/words.js';
import { cursorParam, PAGE_SIZE } from './filters.js';
import { requestContext, type DashboardKit, type Signed } from './session.js';

/** How many awaiting disputes the list page shows above the full list. */
const AWAITING_SHOWN = 50;

export function disputeRoutes(kit: DashboardKit): void {
  const { queries, core } = kit.opts;

  kit.get('/dashboard/disputes', async (req, reply, s) => {
    const q = req.query;
    const form: Record<string, string> = {};
    const problems: string[] = [];
    const status = DISPUTE_STATUSES.find((x) => x === q.status);
    if (status) form.status = status;
    else if (q.status) problems.push(`"${q.status}" is not a dispute status; showing every status.`);
    const [awaiting, page] = await Promise.all([
      queries.disputesAwaiting(s.scope, AWAITING_SHOWN),
      queries.disputes(s.scope, status ? { status } : {}, { limit: PAGE_SIZE, after: cursorParam(q.after), before: cursorParam(q.before) }),
    ]);
    return kit.html(reply, disputesPage(s.ctx, { now: core.clock.now(), form, awaiting, page, problems }));
  });

  async function showDispute(reply: FastifyReply, s: Signed, id: string, extra: Partial<DisputeView> = {}, status = 200) {
    const detail = await queries.dispute(s.scope, id);
    if (!detail) {
      return kit.html(reply, disputesPage(s.ctx, {
        now: core.clock.now(), form: {}, awaiting: [], page: { rows: [], next: null, prev: null },
        problems: [`There is no dispute ${id} in ${s.scope.livemode ? 'live' : 'test'} mode.`],
      }), 404);
    }
    return kit.html(reply, disputePage(s.ctx, { now: core.clock.now(), detail, ...extra }), status);
  }

  kit.get<{ id: string }>('/dashboard/disputes/:id', async (req, reply, s) => {
    const done = req.query.done;
    const text = done === 'saved' ? 'Evidence saved. It is sent to Alipay when you choose "Save and send".'
      : done === 'submitted' ? 'Evidence sent to Alipay. The dispute is under review until Alipay judges it.'
        : done === 'accepted' ? 'Dispute accepted: it is lost, and the disputed amount goes back to the shopper.' : undefined;
    return showDispute(reply, s, req.params.id, text ? { notice: { kind: 'ok', text } } : {});
  });

  kit.post<{ id: string }>('/dashboard/disputes/:id/evidence', async (req, reply, s, body) => {
    const id = req.params.id;
    const evidence: Partial<Record<EvidenceField, string>> = {};
    for (const { field } of EVIDENCE_FORM_FIELDS) {
      const v = body[field];
      if (typeof v === 'string') evidence[field] = v.trim().slice(0, 20_000);
    }
    const submit = body.submit === '1';
    const result = await updateDispute(core, requestContext(req, s), id, { evidence, submit });
    if (!result.ok) {
      if (result.error.kind === 'not_found') return showDispute(reply, s, id, {}, 404);
      return showDispute(reply, s, id, { evidence, notice: { kind: 'error', text: plainError(result.error) } }, result.error.kind === 'upstream_unavailable' ? 502 : 400);
    }
    return reply.redirect(`/dashboard/disputes/${encodeURIComponent(id)}?done=${submit ? 'submitted' : 'saved'}`, 303);
  });

  kit.post<{ id: string }>('/dashboard/disputes/:id/accept', async (req, reply, s) => {
    const id = req.params.id;
    const result = await closeDispute(core, requestContext(req, s), id);
    if (!result.ok) {
      if (result.error.kind === 'not_found') return showDispute(reply, s, id, {}, 404);
      return showDispute(reply, s, id, { notice: { kind: 'error', text: plainError(result.error) } }, result.error.kind === 'upstream_unavailable' ? 502 : 409);
    }
    return reply.redirect(`/dashboard/disputes/${encodeURIComponent(id)}?done=accepted`, 303);
  });
}
