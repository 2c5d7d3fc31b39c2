// The HTTP request that recorded an event, for the log only: an event caused by Antom's
// notification (or the checkout page) has no API request, so its public `request.id` is null as
// Stripe's is, yet its deliveries' log lines name the notification's request, as an API-made
// event's name the API request (core/context.ts, served_request_id). Never shown in the API.
export default /* sql */ `
ALTER TABLE events ADD COLUMN served_request_id text;
`;
