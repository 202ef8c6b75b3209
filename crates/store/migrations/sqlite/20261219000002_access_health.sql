-- The access-health advisor: each business's thresholds (absent: the defaults), one score
-- per day (UTC, 'YYYY-MM-DD') so a falling score shows, when the weekly digest last went
-- out, and who opted out of it.
CREATE TABLE advisor_settings (
    business_id             TEXT PRIMARY KEY NOT NULL REFERENCES businesses (id),
    sensitive_share_percent INTEGER NOT NULL,
    dormant_days            INTEGER NOT NULL,
    invitation_days         INTEGER NOT NULL,
    unused_days             INTEGER NOT NULL
);
CREATE TABLE advisor_scores (
    business_id TEXT NOT NULL REFERENCES businesses (id),
    day         TEXT NOT NULL,
    score       INTEGER NOT NULL,
    findings    INTEGER NOT NULL,
    PRIMARY KEY (business_id, day)
);
CREATE TABLE advisor_digests (
    business_id TEXT PRIMARY KEY NOT NULL REFERENCES businesses (id),
    sent_at     INTEGER NOT NULL
);
CREATE TABLE advisor_digest_opt_outs (
    business_id TEXT NOT NULL REFERENCES businesses (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (business_id, user_id)
);
