-- Alerts of Saker's PostgreSQL store (saker-tools owns versions 1-99 of this directory; the
-- state tables use 100-199 here and the assistant 200+ in assistant/migrations/postgres).
--
-- `raw` is the alert exactly as received and the source of truth: every other column is
-- derived from it by the same `Alert` parsing as the embedded backend, so the derivation can
-- change and the table be rebuilt by re-ingesting.
--
-- Times are nanoseconds since the epoch (`bigint`): Falco's times have nanosecond precision and
-- the order of results (time, then `id_hash`) must be the embedded backend's exactly.
--
-- `alerts` is range-partitioned by day on `time_ns`; the writer creates the partitions it
-- needs on demand (`CREATE TABLE IF NOT EXISTS ... PARTITION OF`, serialised by an advisory
-- lock, so two writers racing for the same day are safe). A unique index on a partitioned
-- table must contain the partition key, so `(time_ns, id)` could not keep an id unique across
-- days; the id's uniqueness is kept exactly by `alert_ids` instead, which the writer inserts
-- into first (`ON CONFLICT DO NOTHING`) in the same transaction as the alerts.
--
-- Citus: `alerts` can be distributed by `cluster` (`SELECT create_distributed_table('alerts',
-- 'cluster')`, after giving alerts without a cluster a placeholder, since Citus refuses NULL
-- distribution values), and `alert_ids` by `id` (`create_distributed_table('alert_ids', 'id')`).
-- Every tool query filters or groups within a cluster, so it runs on the shards of that cluster.

CREATE TABLE alert_ids (
    id text PRIMARY KEY,
    time_ns bigint NOT NULL
);

CREATE TABLE alerts (
    id text NOT NULL,
    -- XXH3-64 of the id with the sign bit flipped, so that signed order is unsigned order.
    id_hash bigint NOT NULL,
    time_ns bigint NOT NULL,
    -- Syslog severity of the priority: 0 (emergency) to 7 (debug).
    severity smallint NOT NULL,
    raw text NOT NULL,
    -- The cluster the ingest assumed for alerts without one (needed to derive them again).
    ingest_cluster text,
    rule text NOT NULL,
    priority text NOT NULL,
    source text NOT NULL,
    host text,
    cluster text,
    namespace text,
    workload text,
    pod text,
    container_id text,
    container_name text,
    image text,
    process text,
    user_name text,
    file text,
    tags text[] NOT NULL,
    mitre_tactics text[] NOT NULL,
    mitre_techniques text[] NOT NULL,
    tools text[] NOT NULL,
    -- Every non-null `output_fields` value as text, by its exact key (scopes on raw keys).
    output_fields jsonb NOT NULL,
    -- Full text (output, command lines, file name) cut by tantivy's default tokenizer: the
    -- distinct tokens (GIN-indexed) and every token in order between spaces, an empty slot
    -- where the tokenizer dropped a token, for phrase matches.
    tokens text[] NOT NULL,
    token_line text NOT NULL
) PARTITION BY RANGE (time_ns);

CREATE INDEX alerts_time ON alerts (time_ns, id_hash);
CREATE INDEX alerts_rule ON alerts (rule);
CREATE INDEX alerts_workload ON alerts (cluster, namespace, workload);
CREATE INDEX alerts_pod ON alerts (pod);
CREATE INDEX alerts_container ON alerts (container_id);
CREATE INDEX alerts_tags ON alerts USING gin (tags);
CREATE INDEX alerts_tokens ON alerts USING gin (tokens);
