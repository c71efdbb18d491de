-- Claims a batch's ids (in the byte order the writer sorted them, the global lock order that
-- keeps two writers of the same alerts from deadlocking) and returns those that were new: the
-- writer then copies only their rows into `alerts`, in the same transaction, so an id another
-- writer holds waits for that writer's commit and is then skipped.
INSERT INTO alert_ids (id, time_ns)
SELECT id, time_ns
FROM UNNEST($1::text[], $2::bigint[]) AS batch (id, time_ns)
ORDER BY id COLLATE "C"
ON CONFLICT (id) DO NOTHING
RETURNING id
