-- The mail outbox: each mail is written in the transaction of the change that causes it and
-- delivered from here by a sender (see README "Mail delivery").
--   state pending: due at next_attempt_at (first attempt, or a retry after a failure);
--   state sending: claimed by a sender until next_attempt_at (the lease), then due again;
--   state sent / failed: done. `body` (the business name and the message, with any
--   single-use link in it, as JSON) is erased then; recipient, kind and times stay so the
--   dashboard can show a delivery, until pruned.

CREATE TABLE mail_outbox (
    id              TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    business_id     TEXT NOT NULL REFERENCES businesses (id),
    user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    recipient       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX mail_outbox_user ON mail_outbox (user_id, kind, created_at);
CREATE INDEX mail_outbox_done ON mail_outbox (created_at) WHERE state IN ('sent', 'failed');
