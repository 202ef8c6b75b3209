-- Bulk import jobs (the API's asynchronous imports): progress after every batch, every row's
-- outcome once finished. `counts`, `error` and `report` are JSON text.
CREATE TABLE import_jobs (
    id          TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id),
    state       TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    dry_run     INTEGER NOT NULL,
    format      TEXT NOT NULL,
    counts      TEXT NOT NULL,
    error       TEXT,
    report      TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX import_jobs_business ON import_jobs (business_id, id);
