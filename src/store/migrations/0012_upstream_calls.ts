// Every call the gateway made to Antom, for the dashboard's "upstream calls" of a payment. A log,
// not a source of truth: no foreign keys (a call may precede or outlive the rows it names), pruned by age.
export default /* sql */ `
CREATE TABLE upstream_calls (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started bigint NOT NULL,
  livemode boolean NOT NULL,
  -- pay, inquiryPayment, cancel, refund, inquiryRefund
  api text NOT NULL,
  -- The paymentRequestId (an attempt id) or the refundRequestId (a refund id) the call was about.
  reference text NOT NULL,
  -- For a refund: Antom's paymentId it refunds.
  payment_reference text,
  -- The connector's status for the answer (succeeded, failed, pending, unknown, …).
  outcome text NOT NULL,
  result_code text,
  -- Why there was no usable answer (timeout, HTTP 500, …): short, never a body.
  error text,
  latency_ms integer NOT NULL
);
CREATE INDEX upstream_calls_reference ON upstream_calls (reference);
CREATE INDEX upstream_calls_started ON upstream_calls (started);
`;
