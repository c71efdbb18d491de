//! The Falco filter fields an exception may compare, per event source, as project data
//! (`tools/data/falco/fields.tsv`, derived from the Falco 0.44.0 field list): name, type and
//! argument form, and the resolution of a field as written (`proc.aname[2]`, `evt.arg.uid`,
//! `evt.arg[0]`, `container.label[app]`) the way Falco resolves it.

use std::collections::HashMap;
use std::sync::OnceLock;

const FIELDS_TSV: &str = include_str!("../../data/falco/fields.tsv");

/// What kind of value a field extracts, which decides the values an exception may compare it
/// with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text (`CHARBUF`, plugin `string`).
    Text,
    /// A list of texts (`LIST(CHARBUF)`, plugin `string (list)`).
    TextList,
    /// A signed whole number (`INT16`, `INT32`, `INT64`).
    SignedInteger,
    /// An unsigned whole number (`UINT32`, `UINT64`).
    UnsignedInteger,
    /// A floating-point number (`DOUBLE`).
    Decimal,
    /// A time in nanoseconds (`ABSTIME`, `RELTIME`).
    Nanoseconds,
    /// A port number (`PORT`).
    Port,
    /// `true` or `false` (`BOOL`).
    Boolean,
    /// An IPv4 or IPv6 address (`IPADDR`).
    IpAddress,
    /// An IP network in CIDR form, or an address (`IPNET`).
    IpNetwork,
    /// Raw bytes (`BYTEBUF`).
    Bytes,
    /// Whatever the event argument holds (`DYNAMIC`).
    Dynamic,
}

impl FieldType {
    fn from_type_name(type_name: &str) -> FieldType {
        match type_name {
            "INT16" | "INT32" | "INT64" => FieldType::SignedInteger,
            "UINT32" | "UINT64" => FieldType::UnsignedInteger,
            "DOUBLE" => FieldType::Decimal,
            "ABSTIME" | "RELTIME" => FieldType::Nanoseconds,
            "PORT" => FieldType::Port,
            "BOOL" => FieldType::Boolean,
            "IPADDR" => FieldType::IpAddress,
            "IPNET" => FieldType::IpNetwork,
            "BYTEBUF" => FieldType::Bytes,
            "DYNAMIC" => FieldType::Dynamic,
            "LIST(CHARBUF)" | "string (list)" => FieldType::TextList,
            _ => FieldType::Text,
        }
    }

    /// Whether the field extracts a number (compared with `<`, `>` and written as digits).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::SignedInteger
                | FieldType::UnsignedInteger
                | FieldType::Decimal
                | FieldType::Nanoseconds
                | FieldType::Port
        )
    }
}

/// How a field takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentForm {
    /// No argument: `proc.name`.
    None,
    /// An optional argument in brackets: `proc.aname` or `proc.aname[2]`.
    Optional,
    /// A required argument, in brackets or after a dot: `evt.arg[0]`, `evt.arg.uid`.
    Required,
    /// An optional numeric index in brackets (plugin list fields): `ka.req.pod.containers.image[0]`.
    Index,
    /// A required key in brackets (plugin fields): `container.label[app]`.
    Key,
    /// A required index or key in brackets (plugin fields): `container.mount[0]`.
    IndexOrKey,
}

impl ArgumentForm {
    fn from_data(text: &str) -> Option<ArgumentForm> {
        Some(match text {
            "none" => ArgumentForm::None,
            "optional" => ArgumentForm::Optional,
            "required" => ArgumentForm::Required,
            "index" => ArgumentForm::Index,
            "key" => ArgumentForm::Key,
            "index_or_key" => ArgumentForm::IndexOrKey,
            _ => return None,
        })
    }

    /// Whether the field must be written with an argument.
    pub fn is_required(self) -> bool {
        matches!(self, ArgumentForm::Required | ArgumentForm::Key | ArgumentForm::IndexOrKey)
    }

    /// How the argument is written, for messages.
    pub fn example(self, name: &str) -> String {
        match self {
            ArgumentForm::None => name.to_string(),
            ArgumentForm::Optional => format!("{name} or {name}[N]"),
            ArgumentForm::Required => format!("{name}[ARG] or {name}.ARG"),
            ArgumentForm::Index => format!("{name} or {name}[N]"),
            ArgumentForm::Key => format!("{name}[KEY]"),
            ArgumentForm::IndexOrKey => format!("{name}[N] or {name}[KEY]"),
        }
    }
}

/// One field of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// `proc.name`.
    pub name: String,
    /// The type as Falco lists it (`CHARBUF`, `INT64`, `string (list)`).
    pub type_name: String,
    /// The type, for value checks.
    pub field_type: FieldType,
    /// How it takes an argument.
    pub argument: ArgumentForm,
    /// The event source it belongs to (`syscall`, `k8s_audit`).
    pub source: String,
}

/// A field as written in an exception, resolved against the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedField<'catalog> {
    /// The catalog entry.
    pub spec: &'catalog FieldSpec,
    /// The argument written with it, if any (`2` in `proc.aname[2]`, `uid` in `evt.arg.uid`).
    pub argument: Option<String>,
}

/// Why a field as written is not one Falco accepts for the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// No such field for this source.
    Unknown {
        /// Fields of the source with similar names, closest first.
        suggestions: Vec<String>,
        /// Other sources that have a field of this name.
        other_sources: Vec<String>,
    },
    /// The field takes no argument but was given one.
    ArgumentNotAllowed {
        /// The field.
        field: String,
    },
    /// The field needs an argument.
    ArgumentRequired {
        /// The field.
        field: String,
        /// How to write it.
        example: String,
    },
    /// The argument must be a number.
    IndexNotNumeric {
        /// The field.
        field: String,
        /// The argument written.
        argument: String,
    },
    /// `tolower(proc.name)` and the like: exception fields are plain field names.
    Transformer,
}

/// Every field of every source Saker knows.
#[derive(Debug)]
pub struct FieldCatalog {
    fields: Vec<FieldSpec>,
    index: HashMap<(String, String), usize>,
}

impl FieldCatalog {
    /// The catalog compiled into Saker (Falco 0.44.0).
    pub fn embedded() -> &'static FieldCatalog {
        static CATALOG: OnceLock<FieldCatalog> = OnceLock::new();
        CATALOG.get_or_init(|| FieldCatalog::parse(FIELDS_TSV))
    }

    /// Reads the TSV table (`field`, `type`, `argument`, `source`); comment lines start with `#`.
    fn parse(text: &str) -> FieldCatalog {
        let mut fields = Vec::new();
        let mut index = HashMap::new();
        for line in text.lines().skip(1) {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let columns: Vec<&str> = line.split('\t').collect();
            let [name, type_name, argument, source] = columns[..] else {
                continue;
            };
            let Some(argument) = ArgumentForm::from_data(argument) else {
                continue;
            };
            index.insert((source.to_string(), name.to_string()), fields.len());
            fields.push(FieldSpec {
                name: name.to_string(),
                type_name: type_name.to_string(),
                field_type: FieldType::from_type_name(type_name),
                argument,
                source: source.to_string(),
            });
        }
        FieldCatalog { fields, index }
    }

    /// Every field, in the table's order.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    /// The sources the catalog has fields for, sorted.
    pub fn sources(&self) -> Vec<&str> {
        let mut sources: Vec<&str> = self.fields.iter().map(|field| field.source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        sources
    }

    /// Whether the catalog has the fields of `source`.
    pub fn knows_source(&self, source: &str) -> bool {
        self.fields.iter().any(|field| field.source == source)
    }

    /// The field `name` (without argument) of `source`.
    pub fn field(&self, source: &str, name: &str) -> Option<&FieldSpec> {
        self.index.get(&(source.to_string(), name.to_string())).map(|&position| &self.fields[position])
    }

    /// Resolves a field as written in an exception for a rule of `source`.
    pub fn resolve(&self, source: &str, written: &str) -> Result<ResolvedField<'_>, FieldProblem> {
        let written = written.trim();
        if written.contains('(') {
            return Err(FieldProblem::Transformer);
        }
        if let Some(open) = written.find('[') {
            let base = &written[..open];
            let argument = written[open + 1..].strip_suffix(']').filter(|argument| !argument.contains(']'));
            if let (Some(spec), Some(argument)) = (self.field(source, base), argument) {
                return with_bracket_argument(spec, argument);
            }
            return Err(self.unknown(source, written));
        }
        if let Some(spec) = self.field(source, written) {
            if spec.argument.is_required() {
                return Err(FieldProblem::ArgumentRequired {
                    field: spec.name.clone(),
                    example: spec.argument.example(&spec.name),
                });
            }
            return Ok(ResolvedField { spec, argument: None });
        }
        let longest_prefix = written
            .char_indices()
            .rev()
            .filter(|&(_, character)| character == '.')
            .filter_map(|(position, _)| self.field(source, &written[..position]).map(|spec| (spec, position)))
            .find(|(spec, _)| spec.argument == ArgumentForm::Required);
        if let Some((spec, position)) = longest_prefix {
            let argument = &written[position + 1..];
            if !argument.is_empty() {
                return Ok(ResolvedField { spec, argument: Some(argument.to_string()) });
            }
        }
        Err(self.unknown(source, written))
    }

    fn unknown(&self, source: &str, written: &str) -> FieldProblem {
        let base = written.split('[').next().unwrap_or(written);
        let candidates = self.fields.iter().filter(|field| field.source == source).map(|field| field.name.as_str());
        let suggestions = super::validate::closest_names(base, candidates, 3);
        let mut other_sources: Vec<String> = self
            .fields
            .iter()
            .filter(|field| field.source != source && field.name == base)
            .map(|field| field.source.clone())
            .collect();
        other_sources.dedup();
        FieldProblem::Unknown { suggestions, other_sources }
    }
}

fn with_bracket_argument<'catalog>(
    spec: &'catalog FieldSpec,
    argument: &str,
) -> Result<ResolvedField<'catalog>, FieldProblem> {
    let numeric = !argument.is_empty() && argument.chars().all(|character| character.is_ascii_digit());
    match spec.argument {
        ArgumentForm::None => return Err(FieldProblem::ArgumentNotAllowed { field: spec.name.clone() }),
        ArgumentForm::Index if !numeric => {
            return Err(FieldProblem::IndexNotNumeric { field: spec.name.clone(), argument: argument.to_string() });
        }
        _ if argument.trim().is_empty() => {
            return Err(FieldProblem::ArgumentRequired {
                field: spec.name.clone(),
                example: spec.argument.example(&spec.name),
            });
        }
        _ => {}
    }
    Ok(ResolvedField { spec, argument: Some(argument.to_string()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(source: &str, written: &str) -> Result<(String, Option<String>), FieldProblem> {
        FieldCatalog::embedded()
            .resolve(source, written)
            .map(|resolved| (resolved.spec.name.clone(), resolved.argument.clone()))
    }

    #[test]
    fn plain_fields_resolve_with_their_types() {
        let catalog = FieldCatalog::embedded();
        assert_eq!(resolve("syscall", "proc.name"), Ok(("proc.name".into(), None)));
        assert_eq!(catalog.field("syscall", "proc.pid").map(|field| field.field_type), Some(FieldType::SignedInteger));
        assert_eq!(catalog.field("syscall", "fd.sip").map(|field| field.field_type), Some(FieldType::IpAddress));
        assert_eq!(catalog.field("syscall", "fd.net").map(|field| field.field_type), Some(FieldType::IpNetwork));
        assert_eq!(
            catalog.field("syscall", "container.privileged").map(|field| field.field_type),
            Some(FieldType::Boolean)
        );
        assert_eq!(
            resolve("k8s_audit", "ka.req.pod.containers.image.repository"),
            Ok(("ka.req.pod.containers.image.repository".into(), None))
        );
        assert_eq!(catalog.sources(), ["k8s_audit", "syscall"]);
    }

    #[test]
    fn arguments_resolve_as_falco_reads_them() {
        assert_eq!(resolve("syscall", "proc.aname[2]"), Ok(("proc.aname".into(), Some("2".into()))));
        assert_eq!(resolve("syscall", "proc.aname"), Ok(("proc.aname".into(), None)));
        assert_eq!(resolve("syscall", "evt.arg.uid"), Ok(("evt.arg".into(), Some("uid".into()))));
        assert_eq!(resolve("syscall", "evt.arg[0]"), Ok(("evt.arg".into(), Some("0".into()))));
        assert_eq!(resolve("syscall", "container.label[app]"), Ok(("container.label".into(), Some("app".into()))));
        assert_eq!(
            resolve("k8s_audit", "ka.req.pod.containers.image[0]"),
            Ok(("ka.req.pod.containers.image".into(), Some("0".into())))
        );
        assert!(matches!(resolve("syscall", "evt.arg"), Err(FieldProblem::ArgumentRequired { .. })));
        assert!(matches!(resolve("syscall", "container.label"), Err(FieldProblem::ArgumentRequired { .. })));
        assert!(matches!(resolve("syscall", "proc.name[1]"), Err(FieldProblem::ArgumentNotAllowed { .. })));
        assert!(matches!(resolve("syscall", "proc.aname[]"), Err(FieldProblem::ArgumentRequired { .. })));
        assert!(matches!(
            resolve("k8s_audit", "ka.req.pod.containers.image[x]"),
            Err(FieldProblem::IndexNotNumeric { .. })
        ));
        assert_eq!(resolve("syscall", "tolower(proc.name)"), Err(FieldProblem::Transformer));
    }

    #[test]
    fn unknown_fields_get_suggestions_and_other_sources() {
        let Err(FieldProblem::Unknown { suggestions, other_sources }) = resolve("syscall", "proc.nmae") else {
            panic!("unknown expected");
        };
        assert_eq!(suggestions.first().map(String::as_str), Some("proc.name"));
        assert!(other_sources.is_empty());
        let Err(FieldProblem::Unknown { other_sources, .. }) = resolve("syscall", "ka.user.name") else {
            panic!("unknown expected");
        };
        assert_eq!(other_sources, ["k8s_audit"]);
        assert!(matches!(resolve("syscall", "not.exist"), Err(FieldProblem::Unknown { .. })));
        assert!(matches!(resolve("syscall", "proc.name.extra"), Err(FieldProblem::Unknown { .. })));
    }
}
