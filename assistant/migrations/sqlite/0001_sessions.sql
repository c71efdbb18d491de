-- Conversations: sessions, their turns and every tool call, so a session survives a restart.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    -- The analyst's last scope expression ('' for everything).
    scope       TEXT NOT NULL DEFAULT '',
    -- The entities in focus, JSON (conversation::Focus).
    focus       TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE turns (
    session_id  TEXT NOT NULL REFERENCES sessions(id),
    turn        INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    question    TEXT NOT NULL,
    language    TEXT NOT NULL,
    backend     TEXT NOT NULL,
    scope       TEXT NOT NULL,
    grounded    INTEGER NOT NULL,
    -- The full answer, JSON (conversation::Answer).
    answer      TEXT NOT NULL,
    PRIMARY KEY (session_id, turn)
);

CREATE TABLE tool_calls (
    session_id  TEXT NOT NULL,
    turn        INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    tool        TEXT NOT NULL,
    arguments   TEXT NOT NULL,
    output      TEXT NOT NULL,
    PRIMARY KEY (session_id, turn, seq),
    FOREIGN KEY (session_id, turn) REFERENCES turns(session_id, turn)
);
