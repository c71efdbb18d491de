-- Response actions on PostgreSQL: every proposal and its append-only history, as in
-- tools/migrations/sqlite/0002_response_actions.sql. The rules every replica relies on are kept
-- by the database itself: the history cannot be changed or removed, a proposal's substance
-- never changes, every status change bumps the version by exactly one (so the ledger's
-- `UPDATE ... WHERE version = <the version read>` lets exactly one of two racing replicas win),
-- and at commit an action's status is the one its last recorded event says.
-- JSON is kept as text, as written: jsonb would refuse the \u0000 that alert text can carry.

CREATE TABLE response_actions (
    id           text        PRIMARY KEY,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    kind         text        NOT NULL,
    -- sha256 of kind + target + parameters: what an approval is bound to. Never changes.
    digest       text        NOT NULL,
    -- The proposal, JSON (actions::Proposal). Never changes.
    proposal     text        NOT NULL,
    cluster      text,
    namespace    text,
    -- planner, llm, api, cli.
    origin       text        NOT NULL,
    proposed_by  text        NOT NULL,
    session_id   text,
    executor     text        NOT NULL,
    -- The current status: the last transition recorded in response_action_events.
    status       text        NOT NULL,
    -- Bumped by exactly one by every transition.
    version      bigint      NOT NULL DEFAULT 1 CHECK (version >= 1)
);

CREATE INDEX response_actions_session ON response_actions (session_id, created_at);
CREATE INDEX response_actions_status ON response_actions (status, created_at);
CREATE INDEX response_actions_created ON response_actions (created_at DESC, id DESC);

CREATE TABLE response_action_events (
    seq        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id  text        NOT NULL REFERENCES response_actions (id),
    at         timestamptz NOT NULL,
    event      text        NOT NULL,
    actor      text        NOT NULL,
    role       text        NOT NULL,
    digest     text,
    -- Status after the event ('' when the event changed nothing, e.g. a refusal).
    status     text        NOT NULL,
    -- JSON: the reason, the executor's request and reply, the outcome.
    detail     text        NOT NULL
);

CREATE INDEX response_action_events_action ON response_action_events (action_id, seq);

CREATE FUNCTION saker_response_history_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the response history is append-only' USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER response_action_events_no_update BEFORE UPDATE OR DELETE ON response_action_events
    FOR EACH ROW EXECUTE FUNCTION saker_response_history_is_append_only();
CREATE TRIGGER response_action_events_no_truncate BEFORE TRUNCATE ON response_action_events
    FOR EACH STATEMENT EXECUTE FUNCTION saker_response_history_is_append_only();
CREATE TRIGGER response_actions_no_delete BEFORE DELETE ON response_actions
    FOR EACH ROW EXECUTE FUNCTION saker_response_history_is_append_only();
CREATE TRIGGER response_actions_no_truncate BEFORE TRUNCATE ON response_actions
    FOR EACH STATEMENT EXECUTE FUNCTION saker_response_history_is_append_only();

CREATE FUNCTION saker_response_action_checked_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.digest IS DISTINCT FROM OLD.digest OR NEW.proposal IS DISTINCT FROM OLD.proposal
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'a proposal never changes: propose a new action' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.version IS DISTINCT FROM OLD.version + 1 THEN
        RAISE EXCEPTION 'action %: a status change must start from the current version % and bump it by one', OLD.id, OLD.version
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER response_actions_checked_update BEFORE UPDATE ON response_actions
    FOR EACH ROW EXECUTE FUNCTION saker_response_action_checked_update();

-- Checked at commit: the action's status is the status of its last event that set one.
CREATE FUNCTION saker_response_action_status_recorded() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    recorded text;
BEGIN
    SELECT status INTO recorded FROM response_action_events
        WHERE action_id = NEW.id AND status <> '' ORDER BY seq DESC LIMIT 1;
    IF recorded IS DISTINCT FROM NEW.status THEN
        RAISE EXCEPTION 'action %: status % has no event in the history (last recorded: %)', NEW.id, NEW.status, recorded
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER response_actions_status_recorded AFTER INSERT OR UPDATE ON response_actions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION saker_response_action_status_recorded();
