-- Event batches too large for a NOTIFY payload (see events/postgres/pg-event-bus.ts).
CREATE TABLE run_event_batches (
  id BIGSERIAL PRIMARY KEY,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX run_event_batches_age ON run_event_batches (created_at);
