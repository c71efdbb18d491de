COPY alerts (
    id, id_hash, time_ns, severity, raw, ingest_cluster, rule, priority, source, host, cluster,
    namespace, workload, pod, container_id, container_name, image, process, user_name, file,
    tags, mitre_tactics, mitre_techniques, tools, output_fields, tokens, token_line
) FROM STDIN
