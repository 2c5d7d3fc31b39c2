/**
 * Update a dispute (Stripe's `POST /v1/disputes/:id`): its metadata, its evidence (text, and the
 * ids of files uploaded for dispute_evidence) and, with `submit`, send the defence to Antom
 * (supplyDefenseDocument) as one document (defence.ts). A file id of another account or mode, or
 * of no file, is refused before anything is saved; so is a defence Antom could not take (over its
 * 1,000,000 characters), which is composed before the evidence is saved. The evidence is saved
 * first, in its own transaction, so a submit Antom does not answer loses nothing and can be
 * repeated; Antom's acceptance puts the dispute `under_review` (the DEFENSE_SUPPLIED notification
 * after it then changes nothing). Antom answers TIME_EXCEEDS_LIMIT after the defence window: the
 * evidence stays saved, the dispute stays as it was.
 */
import { fail, invalid, ok, type Result } from '../errors.js';
import { disputeOpen, disputePublic, type DisputeRecord, type EvidenceField, type Metadata } from '../model.js';
import { inTx, recordEvent, requestFields, type CoreDeps, type RequestContext } from '../context.js';
import { mergeMetadata } from '../payment-intents/update.js';
import { defenceTransition, disputeTransitionEvents, nextDisputeStatus } from './states.js';
import { disputeWithBalance } from './read.js';
import { defenceDocument, evidenceFiles, noSuchEvidenceFile } from './defence.js';

export interface UpdateDisputeParams {
  evidence?: Partial<Record<EvidenceField, string>>;
  metadata?: Record<string, string | null> | null;
  submit?: boolean;
}

const sameEvidence = (a: DisputeRecord['evidence'], b: DisputeRecord['evidence']) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export async function updateDispute(deps: CoreDeps, ctx: RequestContext, id: string, p: UpdateDisputeParams): Promise<Result<DisputeRecord>> {
  // The defence as it will be sent, composed before anything is saved: one Antom cannot take is refused now.
  let defence: { evidence: DisputeRecord['evidence']; document: string } | undefined;
  const seen = p.submit ? await deps.store.disputes.get(ctx.scope, id) : undefined;
  if (seen && disputeOpen(seen.status)) {
    const evidence = p.evidence ? { ...seen.evidence, ...p.evidence } : seen.evidence;
    const document = await defenceDocument(deps, ctx.scope, { ...seen, evidence });
    if (!document.ok) return document;
    defence = { evidence, document: document.value };
  }
  const saved = await inTx(deps.store, async (s): Promise<Result<DisputeRecord>> => {
    const peek = await s.disputes.get(ctx.scope, id);
    if (!peek) return fail({ kind: 'not_found', resource: 'dispute', id, param: 'dispute' });
    await s.charges.lockById(peek.charge_id);
    const d = await s.disputes.lockByUpstreamId(peek.livemode, peek.upstream_dispute_id);
    if (!d) return fail({ kind: 'not_found', resource: 'dispute', id, param: 'dispute' });
    if ((p.evidence || p.submit) && !disputeOpen(d.status)) {
      return fail(invalid('dispute_already_closed', `The dispute ${d.id} is closed (${d.status}); it takes no more evidence.`, p.evidence ? 'evidence' : 'submit'));
    }
    for (const [field, fileId] of evidenceFiles(p.evidence ?? {})) {
      const file = await s.files.get(ctx.scope, fileId);
      if (!file || file.purpose !== 'dispute_evidence') return fail(noSuchEvidenceFile(field, fileId));
    }
    const metadata: Metadata = p.metadata === null ? {} : p.metadata ? mergeMetadata(d.metadata, p.metadata) : d.metadata;
    const evidence = p.evidence ? { ...d.evidence, ...p.evidence } : d.evidence;
    if (p.submit && !Object.values(evidence).some((v) => v)) {
      return fail(invalid('parameter_missing', 'There is no evidence to submit: set at least one evidence field.', 'evidence'));
    }
    const next: DisputeRecord = { ...d, metadata, evidence, updated: deps.clock.now() };
    await s.disputes.update(next);
    if (p.evidence) await recordEvent(s, deps, ctx, 'charge.dispute.updated', await disputeWithBalance(s, next, next.updated), { evidence: disputePublic(d, next.updated).evidence });
    return ok(next);
  });
  if (!saved.ok || !p.submit) return saved;
  const d = saved.value;
  const connector = deps.connector(ctx.scope.livemode);
  if (!connector) return fail({ kind: 'upstream_unavailable', message: `No Antom connection is configured for ${ctx.scope.livemode ? 'live' : 'test'} mode.` });
  if (!defence || !sameEvidence(defence.evidence, d.evidence)) {
    // Another request changed the evidence meanwhile: send what is saved now.
    const document = await defenceDocument(deps, ctx.scope, d);
    if (!document.ok) return document;
    defence = { evidence: d.evidence, document: document.value };
  }
  const outcome = await connector.supplyDefenseDocument(d.upstream_dispute_id, defence.document, requestFields(ctx));
  deps.log.debug({ ...requestFields(ctx), dispute: d.id, api: 'supplyDefenseDocument', outcome: outcome.status }, 'antom answered');
  if (outcome.status === 'unknown') return fail({ kind: 'upstream_unavailable', message: `Alipay did not answer whether it received the defence (${outcome.reason}); the evidence is saved. Retry with submit=true.` });
  if (outcome.status === 'refused') {
    if (outcome.code === 'TIME_EXCEEDS_LIMIT') {
      return fail(invalid('dispute_past_due', `The defence window of ${d.id} is over: Alipay no longer takes evidence for it. The evidence is saved. (${outcome.message})`, 'submit'));
    }
    return fail(invalid('dispute_already_closed', `Alipay refused the defence for ${d.id}: ${outcome.code} ${outcome.message}`, 'submit'));
  }
  return inTx(deps.store, async (s): Promise<Result<DisputeRecord>> => {
    await s.charges.lockById(d.charge_id);
    const cur = await s.disputes.lockByUpstreamId(d.livemode, d.upstream_dispute_id);
    if (!cur) return fail({ kind: 'not_found', resource: 'dispute', id, param: 'dispute' });
    const now = deps.clock.now();
    const transition = defenceTransition(cur.status);
    const to = nextDisputeStatus(cur.status, transition);
    const next: DisputeRecord = { ...cur, submission_count: cur.submission_count + 1, updated: now, ...(to ? { status: to } : {}) };
    await s.disputes.update(next);
    // Only a change of status is news: Antom's DEFENSE_SUPPLIED may have arrived while the call was
    // out and made the same change already (with its own event), and a resubmission changes none.
    if (to) {
      for (const type of disputeTransitionEvents(transition)) {
        await recordEvent(s, deps, ctx, type, await disputeWithBalance(s, next, now), { status: cur.status, evidence_details: disputePublic(cur, now).evidence_details });
      }
    }
    return ok(next);
  });
}
