-- Saker's state on PostgreSQL (versions 100-199; the alert store uses 1-99 and the assistant's
-- sessions 200 and up, all in one database). Same tables and meaning as
-- tools/migrations/sqlite/: history of ingest runs, what was read and what happened to it.

-- Times are timestamptz; Saker reads them back as RFC 3339 text in UTC with microseconds.
CREATE OR REPLACE FUNCTION saker_time_text(at timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

CREATE TABLE ingest_runs (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    origin      text        NOT NULL,
    accepted    bigint      NOT NULL,
    duplicates  bigint      NOT NULL,
    rejected    bigint      NOT NULL
);
