-- Response actions: every proposal, and its append-only history (proposal, approvals,
-- rejections, refusals, execution and results, reverts) with who, when, what and the outcome.

CREATE TABLE response_actions (
    id           TEXT    PRIMARY KEY,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    -- sha256 of kind + target + parameters: what an approval is bound to. Never changes.
    digest       TEXT    NOT NULL,
    -- The proposal, JSON (actions::Proposal): target, parameters, reason, blast radius. Never changes.
    proposal     TEXT    NOT NULL,
    cluster      TEXT,
    namespace    TEXT,
    -- Who or what proposed it: planner, llm, api, cli.
    origin       TEXT    NOT NULL,
    proposed_by  TEXT    NOT NULL,
    session_id   TEXT,
    -- The executor configured for the target's cluster when it was proposed.
    executor     TEXT    NOT NULL,
    -- The current status: the last transition recorded in response_action_events.
    status       TEXT    NOT NULL,
    -- Bumped by every transition; a transition names the status it starts from, so two
    -- concurrent approvals cannot both succeed.
    version      INTEGER NOT NULL DEFAULT 1
);

CREATE INDEX response_actions_session ON response_actions(session_id, created_at);
CREATE INDEX response_actions_status ON response_actions(status, created_at);

CREATE TABLE response_action_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id  TEXT    NOT NULL REFERENCES response_actions(id),
    at         TEXT    NOT NULL,
    -- proposed, approved, auto_approved, rejected, refused, executing, succeeded, failed,
    -- reverted, revert_failed
    event      TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    -- The digest the actor saw (for approvals and refusals).
    digest     TEXT,
    -- Status after the event ('' when the event changed nothing, e.g. a refusal).
    status     TEXT    NOT NULL,
    -- JSON: the reason, the executor's request and reply, the outcome.
    detail     TEXT    NOT NULL
);

CREATE INDEX response_action_events_action ON response_action_events(action_id, seq);

-- The history is append-only: nothing may change or remove what was recorded.
CREATE TRIGGER response_action_events_no_update BEFORE UPDATE ON response_action_events
BEGIN
    SELECT RAISE(ABORT, 'the response history is append-only');
END;

CREATE TRIGGER response_action_events_no_delete BEFORE DELETE ON response_action_events
BEGIN
    SELECT RAISE(ABORT, 'the response history is append-only');
END;

-- A proposal's substance never changes: a changed proposal is a new action.
CREATE TRIGGER response_actions_immutable BEFORE UPDATE OF id, kind, digest, proposal, created_at ON response_actions
BEGIN
    SELECT RAISE(ABORT, 'a proposal never changes: propose a new action');
END;

CREATE TRIGGER response_actions_no_delete BEFORE DELETE ON response_actions
BEGIN
    SELECT RAISE(ABORT, 'the response history is append-only');
END;
