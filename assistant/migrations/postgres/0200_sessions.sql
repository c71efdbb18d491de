-- Conversations on PostgreSQL (versions 200 and up; tools/migrations/postgres holds 1-199 in
-- the same database): sessions, their turns and every tool call, as in
-- assistant/migrations/sqlite/0001_sessions.sql, so a conversation begun on one replica
-- continues on another. JSON is kept as text, as written (jsonb would refuse \u0000).

-- The same function as tools' migration 100 (times read back as RFC 3339 text in UTC).
CREATE OR REPLACE FUNCTION saker_time_text(at timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

CREATE TABLE sessions (
    id          text        PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    -- The analyst's last scope expression ('' for everything).
    scope       text        NOT NULL DEFAULT '',
    -- The entities in focus, JSON (conversation::Focus).
    focus       text        NOT NULL DEFAULT '{}'
);

CREATE INDEX sessions_recent ON sessions (updated_at DESC, id);

CREATE TABLE turns (
    session_id  text        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    turn        bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    question    text        NOT NULL,
    language    text        NOT NULL,
    backend     text        NOT NULL,
    scope       text        NOT NULL,
    grounded    boolean     NOT NULL,
    -- The full answer, JSON (conversation::Answer).
    answer      text        NOT NULL,
    PRIMARY KEY (session_id, turn)
);

CREATE TABLE tool_calls (
    session_id  text    NOT NULL,
    turn        bigint  NOT NULL,
    seq         bigint  NOT NULL,
    tool        text    NOT NULL,
    arguments   text    NOT NULL,
    output      text    NOT NULL,
    PRIMARY KEY (session_id, turn, seq),
    FOREIGN KEY (session_id, turn) REFERENCES turns (session_id, turn) ON DELETE CASCADE
);
