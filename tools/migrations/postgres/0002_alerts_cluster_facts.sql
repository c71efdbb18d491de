-- The tools' aggregations over a cluster without reading the table (issue 16, measured with
-- `saker bench tools --backend postgres` at 1M alerts: BENCHMARKS.md).
--
-- A row of `alerts` carries its raw alert, its tokens and its output fields, so one 8 KiB page
-- holds one or two rows and a cluster's rows are spread over every page of every day: grouping
-- one cluster's 78k alerts by workload read about one page per alert (EXPLAIN ANALYZE: 6,922
-- buffers for 7,737 rows at 100k alerts). This index holds, in cluster order, every column
-- those aggregations filter, group or aggregate on, so they run as index-only scans (once
-- VACUUM, usually autovacuum, has marked a day's pages all-visible; the day being written
-- still visits its rows). It starts with the columns of `alerts_workload`, which it replaces.
CREATE INDEX alerts_cluster_facts ON alerts (cluster, namespace, workload, time_ns)
    INCLUDE (severity, rule, priority, pod, container_id, image, process, tags, mitre_tactics,
             mitre_techniques, tools);
DROP INDEX alerts_workload;

-- The wide columns compressed with lz4 instead of pglz where the server has it (PostgreSQL 14
-- and newer built with lz4, as Debian's and the official images are): pglz_compress was a fifth
-- of the server's time in a bulk ingest, and lz4 also reads back faster. Day partitions created
-- from now on inherit it; rows already stored keep their compression.
DO $$
DECLARE
    day_partition regclass;
BEGIN
    ALTER TABLE alerts ALTER COLUMN raw SET COMPRESSION lz4,
        ALTER COLUMN output_fields SET COMPRESSION lz4,
        ALTER COLUMN token_line SET COMPRESSION lz4,
        ALTER COLUMN tokens SET COMPRESSION lz4;
    FOR day_partition IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'alerts'::regclass LOOP
        EXECUTE format(
            'ALTER TABLE %s ALTER COLUMN raw SET COMPRESSION lz4, ALTER COLUMN output_fields SET COMPRESSION lz4, '
            'ALTER COLUMN token_line SET COMPRESSION lz4, ALTER COLUMN tokens SET COMPRESSION lz4',
            day_partition);
    END LOOP;
EXCEPTION
    WHEN feature_not_supported THEN
        RAISE NOTICE 'lz4 is not available on this server: the alerts keep pglz compression';
END
$$;
