/**
 * The built-in Antom: Alipay's acquiring API (pay, inquiryPayment, cancel, refund, inquiryRefund)
 * over real HTTP with real RSA signatures, wallet pages for the shopper, signed notifications
 * back to the gateway, and a script API for tests (complete a payment, inject faults).
 *
 * Wiring: apply {@link SIMULATOR_MIGRATIONS}, register {@link simulatorPlugin} at the root of the
 * Fastify app, and run a {@link SimulatorWorker} in each process that should deliver notifications.
 */
export type { SimulatorOptions } from './context.js';
export { ANTOM_NOTIFY_SCHEDULE_MS, DEFAULT_PAYMENT_EXPIRY_MS } from './context.js';
export { SIMULATOR_MIGRATIONS } from './migrations.js';
export { simulatorPlugin } from './routes.js';
export { SimulatorWorker } from './notifier.js';
