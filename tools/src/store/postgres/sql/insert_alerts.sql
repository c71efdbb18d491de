WITH input AS (
    SELECT *
    FROM UNNEST(
        $1::text[], $2::bigint[], $3::bigint[], $4::smallint[], $5::text[], $6::text[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
        $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[],
        $22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::text[]
    ) AS batch (
        id, id_hash, time_ns, severity, raw, ingest_cluster, rule, priority, source, host, cluster,
        namespace, workload, pod, container_id, container_name, image, process, user_name, file,
        tags, mitre_tactics, mitre_techniques, tools, output_fields, tokens, token_line
    )
),
fresh AS (
    INSERT INTO alert_ids (id, time_ns)
    SELECT id, time_ns FROM input
    ORDER BY id COLLATE "C"
    ON CONFLICT (id) DO NOTHING
    RETURNING id
)
INSERT INTO alerts (
    id, id_hash, time_ns, severity, raw, ingest_cluster, rule, priority, source, host, cluster,
    namespace, workload, pod, container_id, container_name, image, process, user_name, file,
    tags, mitre_tactics, mitre_techniques, tools, output_fields, tokens, token_line
)
SELECT
    input.id, input.id_hash, input.time_ns, input.severity, input.raw, input.ingest_cluster,
    input.rule, input.priority, input.source, input.host, input.cluster, input.namespace,
    input.workload, input.pod, input.container_id, input.container_name, input.image,
    input.process, input.user_name, input.file,
    input.tags::text[],
    input.mitre_tactics::text[],
    input.mitre_techniques::text[],
    input.tools::text[],
    input.output_fields::jsonb,
    input.tokens::text[],
    input.token_line
FROM input JOIN fresh USING (id)
