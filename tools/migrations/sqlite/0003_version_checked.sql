-- Every status change bumps the version by exactly one, so a transition that names the version
-- it read (`WHERE version = ?`) cannot be overtaken unnoticed.
CREATE TRIGGER response_actions_version_checked BEFORE UPDATE OF status, version ON response_actions
WHEN NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, 'a status change must start from the current version and bump it by one');
END;
