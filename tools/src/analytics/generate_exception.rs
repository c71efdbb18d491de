//! `generate_exception`: the narrowest Falco exception that silences alerts judged benign
//! (one alert and its recurrences, or a scope) and none of the rule's other stored alerts,
//! as a rules-file snippet with its YAML, the reason for each field, and its impact preview.
//! The work is done by [`crate::exceptions::generate`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tool, ToolContext, ToolError, Window};
use crate::exceptions::generate::{BenignSelection, GenerateRequest, GeneratedException, generate_exception};
use crate::scope::Scope;
use crate::store::TimeRange;

/// The tool.
pub struct GenerateException;

/// Arguments of `generate_exception`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct GenerateExceptionArgs {
    /// An alert judged benign (an id from `search_events`): the exception covers it and its
    /// exact recurrences. Give this or a scope, not both.
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub alert_id: Option<String>,
    /// The rule to except; needed when the scope holds alerts of several rules.
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub rule: Option<String>,
    /// A name for the exception (default: made from the values, e.g. `httpd_rm_dpkg_log`).
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub name: Option<String>,
    /// The benign alerts as a scope (e.g. `container.name=httpd`), and the time range of the
    /// benign alerts and of the rule's alerts they are told apart from.
    #[serde(flatten)]
    pub window: Window,
}

impl Tool for GenerateException {
    const NAME: &'static str = "generate_exception";
    type Args = GenerateExceptionArgs;
    type Output = GeneratedException;

    fn description() -> &'static str {
        "Writes a Falco rule exception (YAML for falco_rules.local.yaml, `override: {exceptions: append}`) that \
         silences alerts judged benign: one alert (alert_id, with its exact recurrences) or the alerts of one rule in \
         a scope (give rule when the scope spans several). It picks the fewest stable fields (image, namespace, \
         process, parent, command line, file; never pod names, container ids or pids) that tell these alerts apart \
         from the rule's other stored alerts, with =, in, pmatch, startswith or endswith, appends to an exception the \
         rule already has with the same fields, and returns the reason for each field, a preview of what it would \
         have suppressed (count, workloads, namespaces, time span, unknowns) and warnings when it is broad. It does \
         not judge whether the alerts are benign: a human decides."
    }

    fn call(context: &ToolContext<'_>, args: GenerateExceptionArgs) -> Result<GeneratedException, ToolError> {
        let scope_given = args.window.scope.as_deref().is_some_and(|scope| !scope.trim().is_empty());
        let benign = match (&args.alert_id, scope_given) {
            (Some(_), true) => {
                return Err(ToolError::InvalidArguments {
                    tool: Self::NAME,
                    problems: "give alert_id or a scope of benign alerts, not both".to_string(),
                });
            }
            (Some(id), false) => BenignSelection::AlertId(id.clone()),
            (None, _) => BenignSelection::Scope(Scope::parse(args.window.scope.as_deref().unwrap_or(""))?),
        };
        let time = TimeRange::resolve(
            args.window.since.as_deref(),
            args.window.until.as_deref(),
            args.window.last.as_deref(),
            context.now,
        )?;
        generate_exception(context, &GenerateRequest { benign, rule: args.rule, time, name: args.name })
    }
}
