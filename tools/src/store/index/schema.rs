//! The tantivy schema of the alert index: which fields are stored, indexed and fast.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, JsonObjectOptions, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::scope::Dimension;

/// Field handles of the alert index.
#[derive(Debug, Clone)]
pub struct AlertFields {
    /// The schema itself.
    pub schema: Schema,
    /// Alert id: indexed for lookups, stored, fast.
    pub id: Field,
    /// XXH3-64 hash of the id (fast), to rebuild the de-duplication set quickly.
    pub id_hash: Field,
    /// Event time in nanoseconds since the epoch (indexed for ranges, fast for sorting).
    pub time_ns: Field,
    /// Syslog severity of the priority, 0 (emergency) to 7 (debug), fast.
    pub severity: Field,
    /// The alert as received (JSON text), stored and compressed: the source of truth.
    pub raw: Field,
    /// The cluster the ingest assumed for alerts without one (stored only).
    pub ingest_cluster: Field,
    /// Full text: output, command lines, file names.
    pub text: Field,
    /// `output_fields`, every value as a string, indexed by key path for scope filters.
    pub output_fields: Field,
    dimensions: Vec<(Dimension, Field)>,
}

impl AlertFields {
    /// Builds the schema. The field names are part of the on-disk format.
    pub fn new() -> AlertFields {
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | STORED | FAST);
        let id_hash = builder.add_u64_field("id_hash", FAST);
        let time_ns = builder.add_i64_field("time_ns", INDEXED | FAST);
        let severity = builder.add_u64_field("severity", INDEXED | FAST);
        let raw = builder.add_text_field("raw", STORED);
        let ingest_cluster = builder.add_text_field("ingest_cluster", STORED);
        let text_indexing = TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = builder.add_text_field("text", TextOptions::default().set_indexing_options(text_indexing));
        let json_indexing =
            TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::Basic);
        let output_fields = builder.add_json_field(
            "output_fields",
            JsonObjectOptions::default().set_indexing_options(json_indexing).set_expand_dots_enabled(),
        );
        let dimensions = Dimension::ALL
            .iter()
            .filter(|dimension| !matches!(dimension, Dimension::Id))
            .map(|dimension| (*dimension, builder.add_text_field(dimension_field_name(*dimension), STRING | FAST)))
            .collect();
        AlertFields {
            schema: builder.build(),
            id,
            id_hash,
            time_ns,
            severity,
            raw,
            ingest_cluster,
            text,
            output_fields,
            dimensions,
        }
    }

    /// The indexed keyword field of a dimension (`id` for [`Dimension::Id`]).
    pub fn dimension(&self, dimension: Dimension) -> Field {
        if dimension == Dimension::Id {
            return self.id;
        }
        self.dimensions
            .iter()
            .find(|(candidate, _)| *candidate == dimension)
            .map(|(_, field)| *field)
            .unwrap_or(self.id)
    }
}

impl Default for AlertFields {
    fn default() -> Self {
        AlertFields::new()
    }
}

/// The index field name of a dimension.
pub fn dimension_field_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Rule => "d_rule",
        Dimension::Priority => "d_priority",
        Dimension::Source => "d_source",
        Dimension::Tag => "d_tag",
        Dimension::Host => "d_host",
        Dimension::Cluster => "d_cluster",
        Dimension::Namespace => "d_namespace",
        Dimension::Workload => "d_workload",
        Dimension::Pod => "d_pod",
        Dimension::ContainerId => "d_container_id",
        Dimension::ContainerName => "d_container_name",
        Dimension::Image => "d_image",
        Dimension::Process => "d_process",
        Dimension::User => "d_user",
        Dimension::File => "d_file",
        Dimension::MitreTactic => "d_mitre_tactic",
        Dimension::MitreTechnique => "d_mitre_technique",
        Dimension::Tool => "d_tool",
        Dimension::Id => "id",
    }
}
