//! The deployment files: the Helm chart in deploy/helm/saker rendered here and every manifest
//! validated against Kubernetes 1.32's strict JSON Schemas (deploy/kubernetes-schemas/), its
//! saker.yaml read by Saker's own config loader, the falcosidekick and Falco values pointing at
//! the chart's Service; and the Dockerfile's runtime commands run on this machine with the
//! binary under test.
//!
//! No helm binary is packaged for this machine (Debian, PyPI or npm), so the templates are
//! rendered by gtmpl, a Go template engine, with the Helm functions the chart uses written
//! below after Helm's and Sprig's definitions: default, quote, toYaml, toJson, nindent,
//! sha256sum, fail. A template using anything else fails to render here.
//! `SAKER_SHOW_RENDERED=1 cargo test -p saker --test it deploy:: -- --nocapture` prints what
//! the templates render.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gtmpl::{Context, Func, FuncError, Template, Value as Gv};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::support::{run, stderr, stdout};

const RELEASE: &str = "saker";
const NAMESPACE: &str = "saker";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn chart_dir() -> PathBuf {
    repository().join("deploy/helm/saker")
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

// ---- The Helm functions the chart uses (Helm 3 / Sprig semantics). ----

fn to_json(value: &Gv) -> Value {
    match value {
        Gv::NoValue | Gv::Nil | Gv::Function(_) => Value::Null,
        Gv::Bool(flag) => json!(flag),
        Gv::String(text) => json!(text),
        Gv::Number(number) => {
            if let Some(integer) = number.as_i64() {
                json!(integer)
            } else if let Some(unsigned) = number.as_u64() {
                json!(unsigned)
            } else {
                json!(number.as_f64())
            }
        }
        Gv::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Gv::Object(map) | Gv::Map(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
        ),
    }
}

fn from_json(value: &Value) -> Gv {
    match value {
        Value::Null => Gv::Nil,
        Value::Bool(flag) => Gv::Bool(*flag),
        Value::Number(number) => match (number.as_i64(), number.as_f64()) {
            (Some(integer), _) => Gv::from(integer),
            (None, Some(float)) => Gv::from(float),
            _ => Gv::Nil,
        },
        Value::String(text) => Gv::String(text.clone()),
        Value::Array(items) => Gv::Array(items.iter().map(from_json).collect()),
        Value::Object(map) => {
            Gv::Map(map.iter().map(|(key, value)| (key.clone(), from_json(value))).collect::<HashMap<_, _>>())
        }
    }
}

/// Sprig's notion of empty (`default`, `if`): nil, false, 0, "", empty list or map.
fn empty(value: &Gv) -> bool {
    match value {
        Gv::NoValue | Gv::Nil => true,
        Gv::Bool(flag) => !flag,
        Gv::String(text) => text.is_empty(),
        Gv::Number(number) => number.as_f64() == Some(0.0),
        Gv::Array(items) => items.is_empty(),
        Gv::Object(map) | Gv::Map(map) => map.is_empty(),
        Gv::Function(_) => false,
    }
}

fn text_of(value: &Gv) -> String {
    match to_json(value) {
        Value::String(text) => text,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn arity(name: &str, args: &[Gv], count: usize) -> Result<(), FuncError> {
    if args.len() == count { Ok(()) } else { Err(FuncError::ExactlyXArgs(name.into(), count)) }
}

/// `default DEFAULT VALUE`: VALUE unless it is empty.
fn default(args: &[Gv]) -> Result<Gv, FuncError> {
    arity("default", args, 2)?;
    Ok(if empty(&args[1]) { args[0].clone() } else { args[1].clone() })
}

/// `quote VALUE`: a double-quoted string (Go's %q for the ASCII the chart quotes).
fn quote(args: &[Gv]) -> Result<Gv, FuncError> {
    arity("quote", args, 1)?;
    Ok(Gv::String(Value::String(text_of(&args[0])).to_string()))
}

/// `toYaml VALUE`: block YAML without the final newline (Helm trims it).
fn to_yaml(args: &[Gv]) -> Result<Gv, FuncError> {
    arity("toYaml", args, 1)?;
    let yaml = serde_saphyr::to_string(&to_json(&args[0])).map_err(|error| FuncError::Generic(error.to_string()))?;
    Ok(Gv::String(yaml.trim_end_matches('\n').to_string()))
}

/// `toJson VALUE`.
fn to_json_func(args: &[Gv]) -> Result<Gv, FuncError> {
    arity("toJson", args, 1)?;
    Ok(Gv::String(to_json(&args[0]).to_string()))
}

/// `nindent N TEXT`: a newline, then TEXT with every line indented by N spaces.
fn nindent(args: &[Gv]) -> Result<Gv, FuncError> {
    arity("nindent", args, 2)?;
    let width = to_json(&args[0]).as_u64().ok_or(FuncError::UnableToConvertFromValue)? as usize;
    let pad = " ".repeat(width);
    let text = text_of(&args[1]);
    Ok(Gv::String(format!("\n{pad}{}", text.replace('\n', &format!("\n{pad}")))))
}

/// `sha256sum TEXT`: lowercase hex.
fn sha256sum(args: &[Gv]) -> Result<Gv, FuncError> {
    arity("sha256sum", args, 1)?;
    let digest = Sha256::digest(text_of(&args[0]).as_bytes());
    Ok(Gv::String(digest.iter().map(|byte| format!("{byte:02x}")).collect()))
}

/// `fail MESSAGE`: rendering stops with MESSAGE.
fn fail(args: &[Gv]) -> Result<Gv, FuncError> {
    Err(FuncError::Generic(format!("fail: {}", args.first().map(text_of).unwrap_or_default())))
}

const FUNCTIONS: [(&str, Func); 7] = [
    ("default", default as Func),
    ("quote", quote as Func),
    ("toYaml", to_yaml as Func),
    ("toJson", to_json_func as Func),
    ("nindent", nindent as Func),
    ("sha256sum", sha256sum as Func),
    ("fail", fail as Func),
];

fn merge(base: &mut Value, overrides: &Value) {
    match (base, overrides) {
        (Value::Object(base), Value::Object(overrides)) => {
            for (key, value) in overrides {
                match base.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overrides) => *base = overrides.clone(),
    }
}

/// The chart's manifests for `overrides` (merged over values.yaml), by template file; or the
/// first template's rendering error.
fn render(overrides: Value) -> Result<Vec<(String, Value)>, String> {
    let chart = read_yaml(&chart_dir().join("Chart.yaml"));
    let mut values = read_yaml(&chart_dir().join("values.yaml"));
    merge(&mut values, &overrides);
    let context = json!({
        "Values": values,
        "Release": {"Name": RELEASE, "Namespace": NAMESPACE, "Service": "Helm"},
        "Chart": {"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]},
    });
    let mut files: Vec<PathBuf> = std::fs::read_dir(chart_dir().join("templates"))
        .expect("templates/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .collect();
    files.sort();
    let mut manifests = Vec::new();
    for file in files {
        let name = file.file_name().expect("name").to_string_lossy().into_owned();
        let mut template = Template::default();
        template.add_funcs(&FUNCTIONS);
        template
            .parse(std::fs::read_to_string(&file).expect("template"))
            .map_err(|error| format!("{name}: {error}"))?;
        let text = template.render(&Context::from(from_json(&context))).map_err(|error| format!("{name}: {error}"))?;
        if std::env::var_os("SAKER_SHOW_RENDERED").is_some() {
            eprintln!("--- {name}\n{text}");
        }
        for document in text.split("\n---") {
            if document.lines().all(|line| line.trim().is_empty() || line.trim_start().starts_with('#')) {
                continue;
            }
            let manifest: Value = serde_saphyr::from_str(document)
                .unwrap_or_else(|error| panic!("{name} renders YAML that does not parse ({error}):\n{document}"));
            manifests.push((name.clone(), manifest));
        }
    }
    Ok(manifests)
}

/// Validates each manifest against the strict schema of its kind; the problems, by file.
fn schema_problems(manifests: &[(String, Value)]) -> Vec<String> {
    let schemas = read_json(&repository().join("deploy/kubernetes-schemas/v1.32-strict.json"));
    let mut problems = Vec::new();
    for (file, manifest) in manifests {
        let kind =
            format!("{}/{}", manifest["apiVersion"].as_str().unwrap_or(""), manifest["kind"].as_str().unwrap_or(""));
        let Some(definition) = schemas["x-kinds"][&kind].as_str() else {
            problems.push(format!("{file}: no schema for {kind}"));
            continue;
        };
        let schema = json!({
            "$schema": schemas["$schema"],
            "$ref": format!("#/$defs/{definition}"),
            "$defs": schemas["$defs"],
        });
        let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
        for error in validator.iter_errors(manifest) {
            problems.push(format!("{file} ({kind}) at {}: {error}", error.instance_path()));
        }
    }
    problems
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

fn kind<'a>(manifests: &'a [(String, Value)], kind: &str) -> &'a Value {
    manifests
        .iter()
        .map(|(_, manifest)| manifest)
        .find(|manifest| manifest["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn env_of<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"].as_array()?.iter().find(|variable| variable["name"] == name)
}

fn token_values() -> Value {
    json!({"auth": {"tokens": [
        {"name": "falcosidekick", "role": "analyst", "sha256": "a".repeat(64)},
        {"name": "alice", "role": "responder", "sha256": "b".repeat(64)},
    ]}})
}

/// The rendered saker.yaml, read by Saker's own loader.
fn config_loads(manifests: &[(String, Value)]) -> saker::config::SakerConfig {
    let text = kind(manifests, "ConfigMap")["data"]["saker.yaml"].as_str().expect("saker.yaml").to_string();
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("saker.yaml");
    std::fs::write(&path, &text).expect("write");
    let (config, _) = saker::config::SakerConfig::discover(Some(&path), directory.path())
        .unwrap_or_else(|error| panic!("the rendered saker.yaml is refused: {error}\n{text}"));
    config
}

#[test]
fn the_chart_renders_valid_manifests_beside_falco() {
    let manifests = render(token_values()).expect("renders");
    let kinds: Vec<&str> = manifests.iter().filter_map(|(_, manifest)| manifest["kind"].as_str()).collect();
    for expected in ["StatefulSet", "Service", "Secret", "ConfigMap", "ServiceAccount"] {
        assert!(kinds.contains(&expected), "{expected} missing: {kinds:?}");
    }
    let problems = schema_problems(&manifests);
    assert!(problems.is_empty(), "{problems:#?}");

    let set = kind(&manifests, "StatefulSet");
    assert_eq!(set["spec"]["replicas"], 1, "one writer owns the store");
    let pod = &set["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let container = &pod["containers"][0];
    assert_eq!(container["args"], json!(["serve"]));
    assert_eq!(container["image"], "saker:0.1.0");
    for (probe, path) in [("startupProbe", "/healthz"), ("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        assert_eq!(container[probe]["httpGet"]["path"], path, "{probe}");
        assert_eq!(container[probe]["httpGet"]["port"], "http", "{probe}");
    }
    assert_eq!(container["ports"][0]["name"], "http");
    // The store's volume is where SAKER_DATA_DIR points.
    let data_dir = env_of(container, "SAKER_DATA_DIR").expect("SAKER_DATA_DIR")["value"].clone();
    let mount = container["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|mount| mount["name"] == "data")
        .expect("data mount");
    assert_eq!(mount["mountPath"], data_dir);
    assert_eq!(set["spec"]["volumeClaimTemplates"][0]["metadata"]["name"], "data");
    assert_eq!(set["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "20Gi");
    // Tokens come from the Secret, as name:role:sha256.
    let tokens = env_of(container, "SAKER_API_TOKENS").expect("SAKER_API_TOKENS");
    assert_eq!(tokens["valueFrom"]["secretKeyRef"], json!({"name": RELEASE, "key": "api-tokens"}));
    let secret = kind(&manifests, "Secret");
    let listed = secret["stringData"]["api-tokens"].as_str().expect("api-tokens");
    let table =
        saker::auth::TokenTable::from_settings(None, |_| Some(listed.to_string())).expect("Saker reads the tokens");
    assert!(!table.is_empty());
    assert!(env_of(container, "SAKER_LLM_API_KEY").is_none(), "no model key without a model");
    // The Service reaches the pod by its labels and named port.
    let service = kind(&manifests, "Service");
    let labels = &set["spec"]["template"]["metadata"]["labels"];
    for (key, value) in service["spec"]["selector"].as_object().expect("selector") {
        assert_eq!(&labels[key], value, "{key}");
    }
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
    let annotations = &set["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/path"], "/metrics");
    let config = config_loads(&manifests);
    assert!(config.llm.is_none(), "the planner answers by default");
}

#[test]
fn every_option_renders_valid_manifests() {
    let mut values = token_values();
    merge(
        &mut values,
        &json!({
            "image": {"repository": "registry.example/saker", "tag": "abc123"},
            "imagePullSecrets": [{"name": "registry"}],
            "llm": {"baseUrl": "http://ollama.ai.svc:11434/v1", "model": "qwen2.5:14b", "apiKey": "sk-test"},
            "rules": {"configMap": "falco-rules"},
            "demo": true,
            "persistence": {"enabled": false},
            "podAnnotations": {"team": "security"},
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "security", "effect": "NoSchedule"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]}]}}},
            "logs": {"format": "text", "level": "debug"},
            "config": {"server": {"sessions": {"max_age_days": 30, "max_sessions": 500}}},
        }),
    );
    let manifests = render(values).expect("renders");
    let problems = schema_problems(&manifests);
    assert!(problems.is_empty(), "{problems:#?}");
    let set = kind(&manifests, "StatefulSet");
    let container = &set["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "registry.example/saker:abc123");
    assert_eq!(container["args"], json!(["serve", "--demo"]));
    assert!(set["spec"].get("volumeClaimTemplates").is_none());
    let volumes = set["spec"]["template"]["spec"]["volumes"].as_array().expect("volumes");
    assert!(volumes.iter().any(|volume| volume["name"] == "data" && volume["emptyDir"].is_object()), "{volumes:?}");
    assert!(volumes.iter().any(|volume| volume["configMap"]["name"] == "falco-rules"));
    assert_eq!(
        env_of(container, "SAKER_LLM_API_KEY").expect("the key")["valueFrom"]["secretKeyRef"]["key"],
        "llm-api-key"
    );
    assert_eq!(kind(&manifests, "Secret")["stringData"]["llm-api-key"], "sk-test");
    assert_eq!(set["spec"]["template"]["metadata"]["annotations"]["team"], "security");
    let config = config_loads(&manifests);
    let llm = config.llm.expect("the llm section");
    assert_eq!(llm.base_url.as_deref(), Some("http://ollama.ai.svc:11434/v1"));
    assert_eq!(config.rules, Some(vec![PathBuf::from("/etc/saker/rules")]));

    // Existing Secrets instead of the chart's: no Secret rendered, both keys read from them.
    let manifests = render(json!({
        "auth": {"existingSecret": "saker-tokens"},
        "llm": {"baseUrl": "http://m/v1", "model": "m", "existingSecret": "model-key"},
    }))
    .expect("renders");
    assert!(manifests.iter().all(|(_, manifest)| manifest["kind"] != "Secret"));
    let container = &kind(&manifests, "StatefulSet")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        env_of(container, "SAKER_API_TOKENS").expect("tokens")["valueFrom"]["secretKeyRef"]["name"],
        "saker-tokens"
    );
    assert_eq!(env_of(container, "SAKER_LLM_API_KEY").expect("key")["valueFrom"]["secretKeyRef"]["name"], "model-key");
    assert!(schema_problems(&manifests).is_empty());
}

#[test]
fn no_tokens_or_a_postgresql_backend_without_its_url_fail_the_install_clearly() {
    let error = render(json!({})).expect_err("no tokens");
    assert!(error.contains("auth.tokens or auth.existingSecret") && error.contains("refuses"), "{error}");
    let mut values = token_values();
    merge(&mut values, &json!({"postgresql": {"enabled": true}}));
    let error = render(values).expect_err("no database URL");
    assert!(error.contains("postgresql.url or postgresql.existingSecret"), "{error}");
    let defaults = read_yaml(&chart_dir().join("values.yaml"));
    assert_eq!(defaults["postgresql"]["enabled"], false, "the embedded store stays the default");
}

#[test]
fn the_postgresql_backend_runs_replicas_with_the_url_from_a_secret() {
    let mut values = token_values();
    merge(&mut values, &json!({"postgresql": {"enabled": true, "url": "postgres://saker:s3cret@db:5432/saker"}}));
    let manifests = render(values).expect("renders");
    assert!(schema_problems(&manifests).is_empty(), "{:#?}", schema_problems(&manifests));
    let set = kind(&manifests, "StatefulSet");
    assert_eq!(set["spec"]["replicas"], 2, "replicas share the database");
    let container = &set["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        env_of(container, "SAKER_DATABASE_URL").expect("the URL")["valueFrom"]["secretKeyRef"],
        json!({"name": RELEASE, "key": "database-url"})
    );
    assert_eq!(kind(&manifests, "Secret")["stringData"]["database-url"], "postgres://saker:s3cret@db:5432/saker");
    let config_text = kind(&manifests, "ConfigMap")["data"]["saker.yaml"].as_str().expect("saker.yaml").to_string();
    assert!(!config_text.contains("s3cret"), "the password stays out of saker.yaml: {config_text}");
    let config = config_loads(&manifests);
    let url = |name: &str| (name == "SAKER_DATABASE_URL").then(|| "postgres://saker:s3cret@db:5432/saker".to_string());
    match config.store_backend(url) {
        Ok(saker::config::StoreBackend::Postgres { url, url_env }) => {
            assert_eq!(url_env, "SAKER_DATABASE_URL");
            assert_eq!(url.address(), "db:5432");
        }
        other => panic!("the rendered saker.yaml picks {other:?}"),
    }

    // An existing Secret instead of the chart's.
    let mut values = token_values();
    merge(
        &mut values,
        &json!({"postgresql": {"enabled": true, "existingSecret": "saker-db", "secretKey": "url"}, "auth": {"existingSecret": "saker-tokens"}}),
    );
    let manifests = render(values).expect("renders");
    assert!(manifests.iter().all(|(_, manifest)| manifest["kind"] != "Secret"));
    let container = &kind(&manifests, "StatefulSet")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        env_of(container, "SAKER_DATABASE_URL").expect("the URL")["valueFrom"]["secretKeyRef"],
        json!({"name": "saker-db", "key": "url"})
    );
}

#[test]
fn the_schemas_catch_a_wrong_manifest() {
    let mut manifests = render(token_values()).expect("renders");
    let set = manifests.iter_mut().find(|(_, manifest)| manifest["kind"] == "StatefulSet").expect("StatefulSet");
    set.1["spec"]["replica"] = json!(1);
    set.1["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = json!("http");
    let problems = schema_problems(&manifests);
    assert!(problems.iter().any(|problem| problem.contains("replica")), "{problems:#?}");
    assert!(problems.iter().any(|problem| problem.contains("containerPort")), "{problems:#?}");
}

#[test]
fn falcosidekick_and_falco_values_point_at_the_charts_service() {
    let manifests = render(token_values()).expect("renders");
    let service = kind(&manifests, "Service");
    let port = service["spec"]["ports"][0]["port"].as_u64().expect("port");
    let ingest = format!(
        "http://{}.{NAMESPACE}.svc.cluster.local:{port}/v1/events",
        service["metadata"]["name"].as_str().expect("name")
    );
    let sidekick = read_yaml(&repository().join("deploy/falco/falcosidekick-values.yaml"));
    let falco = read_yaml(&repository().join("deploy/falco/falco-values.yaml"));
    for webhook in [&sidekick["config"]["webhook"], &falco["falcosidekick"]["config"]["webhook"]] {
        assert_eq!(webhook["address"], ingest.as_str());
        assert!(webhook["customHeaders"].as_str().unwrap_or("").starts_with("Authorization:Bearer "), "{webhook}");
    }
    assert_eq!(falco["falcosidekick"]["enabled"], true);
    for key in ["json_output", "json_include_output_property", "json_include_tags_property"] {
        assert_eq!(falco["falco"][key], true, "{key}");
    }
    assert_eq!(falco["falco"]["http_output"]["enabled"], true);
    // The fields Saker needs, as README.md's falco.yaml block lists them.
    let readme = std::fs::read_to_string(repository().join("README.md")).expect("README.md");
    let start = readme.find("append_output:\n").expect("README's append_output block");
    let block = &readme[start..start + readme[start..].find("```").expect("end of block")];
    let readme_fields: Value = serde_saphyr::from_str::<Value>(block).expect("README's block parses")["append_output"]
        [0]["extra_fields"]
        .clone();
    assert_eq!(falco["falco"]["append_output"][0]["extra_fields"], readme_fields);
}

// ---- The Dockerfile. ----

/// One instruction of a Dockerfile: its keyword and its arguments (continuations joined).
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(part) = trimmed.strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            joined.push(std::mem::take(&mut current));
        }
    }
    joined
        .into_iter()
        .map(|line| {
            let (keyword, rest) = line.split_once(' ').unwrap_or((&line, ""));
            (keyword.to_uppercase(), rest.trim().to_string())
        })
        .collect()
}

/// `ENV A=1 B=2` assignments.
fn assignments(arguments: &str) -> Vec<(String, String)> {
    arguments
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_string(), value.trim_matches('"').to_string()))
        .collect()
}

#[test]
fn dockerfile_commands_work_here() {
    let text = std::fs::read_to_string(repository().join("Dockerfile")).expect("Dockerfile");
    let all = instructions(&text);
    let stages: Vec<usize> =
        all.iter().enumerate().filter(|(_, (keyword, _))| keyword == "FROM").map(|(index, _)| index).collect();
    assert!(stages.len() >= 2, "multi-stage: {stages:?}");
    let build: Vec<&(String, String)> = all[stages[0]..stages[1]].iter().collect();
    let runtime: Vec<&(String, String)> = all[*stages.last().expect("a stage")..].iter().collect();

    // The build stage builds this workspace's binary from the lock file.
    let compile = build
        .iter()
        .find(|(keyword, arguments)| keyword == "RUN" && arguments.contains("cargo build"))
        .expect("cargo build");
    assert!(
        compile.1.contains("--release") && compile.1.contains("--locked") && compile.1.contains("-p saker"),
        "{}",
        compile.1
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Resolving the graph with --locked fails when Cargo.toml needs a change of the lock file.
    let metadata = run(Command::new(cargo)
        .args(["tree", "--locked", "--offline", "-p", "saker", "--depth", "0"])
        .current_dir(repository()));
    assert!(metadata.status.success(), "the lock file is complete for --locked: {}", stderr(&metadata));
    let ignored = std::fs::read_to_string(repository().join(".dockerignore")).expect(".dockerignore");
    assert!(ignored.lines().any(|line| line.trim() == "target/"), "the build context leaves target/ out");

    // The runtime stage runs as the unprivileged user it creates; the chart runs as that user too.
    let user = runtime.iter().rev().find(|(keyword, _)| keyword == "USER").expect("USER").1.clone();
    let uid: u32 = user.split(':').next().expect("uid").parse().expect("a numeric uid");
    assert_ne!(uid, 0, "non-root");
    let create =
        runtime.iter().find(|(keyword, arguments)| keyword == "RUN" && arguments.contains("useradd")).expect("useradd");
    assert!(create.1.contains(&format!("--uid {uid}")), "{}", create.1);
    let chart = render(token_values()).expect("renders");
    assert_eq!(kind(&chart, "StatefulSet")["spec"]["template"]["spec"]["securityContext"]["runAsUser"], uid);

    let mut environment: Vec<(String, String)> = runtime
        .iter()
        .filter(|(keyword, _)| keyword == "ENV")
        .flat_map(|(_, arguments)| assignments(arguments))
        .collect();
    let image_data_dir =
        environment.iter().find(|(name, _)| name == "SAKER_DATA_DIR").expect("SAKER_DATA_DIR").1.clone();
    assert_eq!(
        kind(&chart, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
        image_data_dir.as_str()
    );
    let data = tempfile::tempdir().expect("tempdir");
    for (name, value) in &mut environment {
        if name == "SAKER_DATA_DIR" {
            *value = data.path().display().to_string();
        }
    }
    let saker_command = |arguments: &[String]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_saker"));
        command
            .args(arguments)
            .envs(environment.iter().cloned())
            .env_remove("SAKER_API_TOKENS")
            .env_remove("SAKER_CONFIG");
        command
    };
    // Its RUN lines that call saker (loading the demo scenarios), with the binary under test.
    let saker_runs: Vec<&String> = runtime
        .iter()
        .filter(|(keyword, arguments)| keyword == "RUN" && arguments.starts_with("saker "))
        .map(|(_, arguments)| arguments)
        .collect();
    assert!(!saker_runs.is_empty(), "the image loads the demo data");
    for line in saker_runs {
        let words: Vec<String> = line.split_whitespace().skip(1).map(str::to_string).collect();
        let output = run(&mut saker_command(&words));
        assert!(output.status.success(), "RUN {line}: {}", stderr(&output));
        assert!(stdout(&output).contains("accepted"), "{}", stdout(&output));
    }

    // ENTRYPOINT + CMD: `saker serve` on the image's address, which needs tokens ...
    let json_array = |keyword: &str| -> Vec<String> {
        let arguments =
            &runtime.iter().rev().find(|(candidate, _)| candidate == keyword).unwrap_or_else(|| panic!("{keyword}")).1;
        serde_json::from_str(arguments).unwrap_or_else(|_| panic!("{keyword} in exec form: {arguments}"))
    };
    let mut default_command = json_array("ENTRYPOINT");
    default_command.extend(json_array("CMD"));
    assert_eq!(default_command, ["saker", "serve"]);
    let refused = run(&mut saker_command(&default_command[1..]));
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("without API tokens"), "{}", stderr(&refused));

    // ... and, given a token (and a free loopback port for the test), serves the demo data.
    let token = "saker_docker_test_token";
    let mut server = saker_command(&default_command[1..])
        .env("SAKER_API_TOKENS", format!("ops:viewer:{}", saker::auth::hash_token(token).trim_start_matches("sha256:")))
        .env("SAKER_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("saker serve starts");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a first line").expect("readable");
    let address = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("{first}")).to_string();
    let runtime_async = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (health, me, metrics) = runtime_async.block_on(async {
        let client = reqwest::Client::new();
        let health: Value =
            client.get(format!("{address}/healthz")).send().await.expect("healthz").json().await.expect("JSON");
        let me: Value = client
            .get(format!("{address}/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("JSON");
        let metrics =
            client.get(format!("{address}/metrics")).send().await.expect("metrics").text().await.expect("text");
        (health, me, metrics)
    });
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    assert!(server.wait().expect("exits").success());
    assert!(health["alerts"].as_u64().unwrap_or(0) > 500, "the demo data: {health}");
    assert_eq!(me["role"], "viewer", "{me}");
    assert!(metrics.contains("saker_store_alerts "), "{metrics}");
}
