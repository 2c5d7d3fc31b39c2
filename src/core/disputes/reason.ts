/**
 * Antom tells a dispute's reason as free text (`disputeReasonMsg`, ≤ 256 characters); Stripe's
 * Dispute has a closed `reason`. The text is kept as it came (DisputeRecord.reason_message) and
 * told as the first reason whose words it contains, `general` otherwise. Data, in one place.
 */
import type { DisputeReason } from '../model.js';

export const REASON_WORDS: readonly (readonly [DisputeReason, RegExp])[] = [
  ['fraudulent', /\b(fraud\w*|unauthori[sz]ed|not authori[sz]ed|stolen)\b/i],
  ['duplicate', /\b(duplicate\w*|charged twice|paid twice|double)\b/i],
  ['product_not_received', /\b(not received|never received|not delivered|never arrived|non-?receipt)\b/i],
  ['product_unacceptable', /\b(defective|damaged|not as described|counterfeit|unacceptable|poor quality)\b/i],
  ['credit_not_processed', /\b(refund not|not refunded|credit not|cancell?ed order|returned)\b/i],
  ['unrecognized', /\b(unrecogni[sz]ed|do(?:es)? not recogni[sz]e)\b/i],
];

export function disputeReason(message: string | undefined): DisputeReason {
  if (!message) return 'general';
  return REASON_WORDS.find(([, words]) => words.test(message))?.[0] ?? 'general';
}
