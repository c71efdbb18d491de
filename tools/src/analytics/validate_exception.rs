//! `validate_exception`: checks a Falco exception (a rules YAML snippet, or the structured
//! exceptions item) in layers against Falco's syntax, schemas and semantics and the loaded
//! rules, and reports every problem with its line or JSON pointer.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tool, ToolContext, ToolError};
use crate::exceptions::RuleExceptions;
use crate::exceptions::validate::{
    FalcoVersion, ValidationOptions, ValidationReport, validate_rule_exceptions, validate_yaml,
};

/// The tool.
pub struct ValidateException;

/// Arguments of `validate_exception`: exactly one of `yaml` or `exception`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("additionalProperties" = false))]
pub struct ValidateExceptionArgs {
    /// A Falco rules YAML snippet (what goes into `falco_rules.local.yaml`), e.g.
    /// `- rule: Clear Log Activities` with `exceptions:` and `override: {exceptions: append}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = super::arg_limits::MAX_YAML_CHARS))]
    pub yaml: Option<String>,
    /// The same as a structured item: `{"rule", "exceptions": [{"name", "fields", "comps",
    /// "values"}], "override": {"exceptions": "append"}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<RuleExceptions>,
    /// The Falco release to validate for (e.g. `0.44.0`); default the newest Saker knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub falco_version: Option<FalcoVersion>,
    /// Path, on the machine running Saker, to Falco's rules schema (`rule_schema.json`); without
    /// it the Falco-schema layer is reported as skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub falco_schema: Option<String>,
}

impl Tool for ValidateException {
    const NAME: &'static str = "validate_exception";
    type Args = ValidateExceptionArgs;
    type Output = ValidationReport;

    fn description() -> &'static str {
        "Validates a Falco rule exception before anyone uses it: give either `yaml` (a rules-file \
         snippet such as `- rule: <name>` with `exceptions:` and `override: {exceptions: append}`) \
         or `exception` (the same as a structured object). Checks, in layers: YAML syntax; the \
         structure against Saker's exception schema and, when `falco_schema` is given, Falco's \
         official rules schema; then Falco's own rules: list form vs single-field form, comps \
         (default, length, operators valid for `falco_version`), values (one item per field, no \
         empty values, types that fit the field: numbers, booleans, IP addresses), fields that \
         exist for the rule's source, appending to an existing exception adds values only, \
         `append` and `override` not combined, and the rule exists in the loaded rules (closest \
         names suggested). Returns `valid`, every problem in the order of the input with its \
         line (or JSON pointer for `exception`), the rule and exception it is about, what is \
         wrong and what is allowed, plus warnings and which layers ran. Never present an \
         exception as valid unless this returns valid: true; fix each problem and validate again."
    }

    fn call(context: &ToolContext<'_>, args: Self::Args) -> Result<Self::Output, ToolError> {
        let options = ValidationOptions {
            falco_version: args.falco_version.unwrap_or_default(),
            falco_schema: args.falco_schema.map(PathBuf::from),
        };
        match (args.yaml, args.exception) {
            (Some(yaml), None) => Ok(validate_yaml(&yaml, context.rules, &options)),
            (None, Some(exception)) => Ok(validate_rule_exceptions(&exception, context.rules, &options)),
            (yaml, _) => Err(ToolError::InvalidArguments {
                tool: Self::NAME,
                problems: format!(
                    "give exactly one of `yaml` (the snippet as text) or `exception` (the structured item); {}",
                    if yaml.is_some() { "both were given" } else { "neither was given" }
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::analytics::ToolRegistry;
    use crate::store::index::TantivyStore;

    const RULES: &str = "\
- rule: Clear Log Activities
  desc: d
  condition: evt.type = unlink
  output: o
  priority: WARNING
";

    fn invoke(arguments: serde_json::Value) -> Result<serde_json::Value, ToolError> {
        let directory = tempfile::tempdir().expect("tempdir");
        let store = TantivyStore::open(directory.path()).expect("store");
        let rules = crate::rules::RulesCatalog::from_yaml(Path::new("rules.yaml"), RULES).expect("rules");
        let now = chrono::Utc::now();
        let context = ToolContext::new(&store, &rules, now);
        ToolRegistry::standard().invoke(ValidateException::NAME, arguments, &context)
    }

    #[test]
    fn yaml_and_structured_input_are_validated_against_the_loaded_rules() {
        let yaml = "- rule: Clear Log Activities\n  exceptions:\n    - name: rm\n      fields: [proc.name]\n      comps: [=]\n      values: [[rm]]\n  override:\n    exceptions: append\n";
        let output = invoke(json!({"yaml": yaml})).expect("tool runs");
        assert_eq!(output["valid"], true, "{output}");
        assert_eq!(output["rules_checked"], json!(["Clear Log Activities"]));
        let falco_schema =
            output["layers_run"].as_array().expect("layers").iter().find(|run| run["layer"] == "falco_schema").cloned();
        assert_eq!(falco_schema.as_ref().map(|run| run["status"].clone()), Some(json!("skipped")));

        let structured = json!({"exception": {
            "rule": "Clear Log Activities",
            "exceptions": [{"name": "rm", "fields": ["proc.nmae"], "values": [["rm"]]}],
            "override": {"exceptions": "append"}
        }, "falco_version": "0.43.0"});
        let output = invoke(structured).expect("tool runs");
        assert_eq!(output["valid"], false);
        assert_eq!(output["falco_version"], "0.43.0");
        let problem = &output["problems"][0];
        assert_eq!(problem["path"], "/exceptions/0/fields/0");
        assert!(
            problem["message"]
                .as_str()
                .is_some_and(|message| message.contains("'proc.nmae' is not a supported filter field"))
        );
        assert!(problem["allowed"].as_str().is_some_and(|allowed| allowed.contains("proc.name")));
    }

    #[test]
    fn exactly_one_input_is_required() {
        let both = invoke(json!({"yaml": "[]", "exception": {"rule": "x", "exceptions": []}})).expect_err("both");
        assert!(both.to_string().contains("both were given"), "{both}");
        let neither = invoke(json!({})).expect_err("neither");
        assert!(neither.to_string().contains("neither was given"), "{neither}");
        let version = invoke(json!({"yaml": "[]", "falco_version": "latest"})).expect_err("bad version");
        assert!(version.to_string().contains("falco_version"), "{version}");
    }
}
