-- Webhooks: endpoints a business subscribed to kinds of events, and the outbox of
-- deliveries, written in the same transaction as the audited change that causes them.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY NOT NULL,
    business_id     TEXT NOT NULL REFERENCES businesses (id),
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- JSON array of event type names
    event_types     TEXT NOT NULL,
    -- sealed with the secret cipher, bound to the endpoint's id
    secret          TEXT NOT NULL,
    previous_secret TEXT,
    previous_until  INTEGER,
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_business ON webhook_endpoints (business_id, id);

-- seq orders deliveries: they are inserted under the business's audit chain head, so in
-- the order their changes committed.
CREATE TABLE webhook_deliveries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    business_id     TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    object_key      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'delivered')),
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_object ON webhook_deliveries (endpoint_id, object_key, seq);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, seq);
