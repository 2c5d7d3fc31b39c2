/** The merchant dashboard at /dashboard: its door (session.ts) and every page's routes. */
import { dashboardDoor, type DashboardOptions } from './session.js';
import { overviewRoutes } from './overview.js';
import { paymentRoutes } from './payments.js';
import { disputeRoutes } from './disputes.js';
import { balanceRoutes } from './balance.js';
import { webhookRoutes } from './webhooks.js';
import { developerRoutes } from './developers.js';
import type { UpstreamCallView } from '../../pages/dashboard/payments.js';

export interface DashboardPluginOptions extends DashboardOptions {
  /** The calls to Antom made under these paymentRequestIds / refundRequestIds. */
  upstreamCalls(references: string[]): Promise<UpstreamCallView[]>;
  /** The built-in Antom simulator runs (the Developers page shows its URLs). */
  simulator?: boolean;
}

export function dashboardPlugin(opts: DashboardPluginOptions) {
  return dashboardDoor(opts, [
    overviewRoutes, paymentRoutes(opts.upstreamCalls), disputeRoutes, balanceRoutes, webhookRoutes, developerRoutes({ simulator: opts.simulator ?? false }),
  ]);
}

export { sessionOf } from './session.js';
