-- `saker bench --reset-database`: drops every day partition of the alerts table (the writer
-- creates them again on demand); `alert_ids` is emptied beside it in the same transaction.
DO $$
DECLARE
    day_partition regclass;
BEGIN
    FOR day_partition IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'alerts'::regclass LOOP
        EXECUTE format('DROP TABLE %s', day_partition);
    END LOOP;
END
$$
