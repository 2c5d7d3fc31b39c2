// Stripe's automatic_payment_methods, kept as the merchant sent it so the PaymentIntent shows it.
export default /* sql */ `
ALTER TABLE payment_intents ADD COLUMN automatic_payment_methods jsonb;
`;
