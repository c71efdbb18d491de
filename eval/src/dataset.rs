//! Datasets: the fixture scenarios a case loads. Each distinct dataset is ingested once into a
//! template index; every case then gets a fresh data directory holding a copy of it (and its own
//! session database). The same scenario files are also parsed into memory, where the harness
//! computes expected facts with the reference scope evaluator, independently of Saker's store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use saker_tools::alert::{Alert, parse_alert};
use saker_tools::ingest::{IngestSettings, Ingestor, LineSource};
use saker_tools::store::AlertStore as _;
use saker_tools::store::index::TantivyStore;

use crate::EvalError;
use crate::suite::DatasetSpec;

/// One dataset: its scenarios, their alerts in memory and the template index.
#[derive(Debug)]
pub struct Dataset {
    /// `demo`, `all` or the scenario names joined with `+`.
    pub name: String,
    /// The scenarios it holds.
    pub scenarios: Vec<&'static str>,
    /// Every alert, parsed from the fixture files.
    pub alerts: Vec<Alert>,
    template: PathBuf,
}

impl Dataset {
    /// True when the dataset holds a holdout incident.
    pub fn has_holdout(&self) -> bool {
        self.scenarios.iter().any(|name| saker_fixtures::HOLDOUT_SCENARIO_NAMES.contains(name))
    }
}

/// Every scenario name a dataset may list: the demo scenarios and the holdout incidents.
pub fn scenario_names() -> Vec<&'static str> {
    saker_fixtures::SCENARIO_NAMES.iter().chain(saker_fixtures::HOLDOUT_SCENARIO_NAMES.iter()).copied().collect()
}

fn scenario_text(name: &str) -> Option<&'static str> {
    saker_fixtures::scenario_files()
        .iter()
        .chain(saker_fixtures::holdout_scenario_files())
        .find(|(scenario, _)| *scenario == name)
        .map(|(_, text)| *text)
}

/// The datasets of a run, built on first use, and the fresh data directories of its cases.
#[derive(Debug)]
pub struct Datasets {
    root: tempfile::TempDir,
    built: Mutex<HashMap<String, Arc<Dataset>>>,
}

impl Datasets {
    /// An empty set of datasets under a new temporary directory.
    pub fn new() -> Result<Datasets, EvalError> {
        Ok(Datasets { root: tempfile::Builder::new().prefix("saker-eval-").tempdir()?, built: Mutex::default() })
    }

    /// The dataset `spec` names, ingesting it the first time.
    pub fn get(&self, spec: &DatasetSpec) -> Result<Arc<Dataset>, EvalError> {
        let scenarios = resolve(spec)?;
        let name = match spec {
            DatasetSpec::Named(name) if name == "demo" || name == "all" => name.clone(),
            _ => scenarios.join("+"),
        };
        if let Some(dataset) = self.built.lock().ok().and_then(|built| built.get(&name).cloned()) {
            return Ok(dataset);
        }
        let dataset = Arc::new(self.build(&name, scenarios)?);
        if let Ok(mut built) = self.built.lock() {
            built.insert(name, dataset.clone());
        }
        Ok(dataset)
    }

    /// A new data directory for one case: a copy of the dataset's index, no sessions yet.
    pub fn fresh_data_dir(&self, dataset: &Dataset) -> Result<tempfile::TempDir, EvalError> {
        let directory = tempfile::Builder::new().prefix("case-").tempdir_in(self.root.path())?;
        copy_dir(&dataset.template, &directory.path().join("index"))?;
        Ok(directory)
    }

    fn build(&self, name: &str, scenarios: Vec<&'static str>) -> Result<Dataset, EvalError> {
        let failed = |message: String| EvalError::Dataset { dataset: name.to_string(), message };
        let template =
            self.root.path().join(format!("dataset-{}", self.built.lock().map(|built| built.len()).unwrap_or(0)));
        let store = TantivyStore::open(&template).map_err(|error| failed(error.to_string()))?;
        let writer = store.writer().map_err(|error| failed(error.to_string()))?;
        let mut ingestor = Ingestor::new(writer, IngestSettings::default());
        let mut alerts = Vec::new();
        for scenario in &scenarios {
            let text = scenario_text(scenario).ok_or_else(|| failed(format!("no scenario {scenario}")))?;
            let mut source = LineSource::from_reader(scenario, std::io::Cursor::new(text.as_bytes()));
            ingestor.ingest_lines(&mut source, |_| {}).map_err(|error| failed(error.to_string()))?;
            for (index, line) in text.lines().enumerate() {
                let alert = parse_alert(line, None)
                    .map_err(|error| failed(format!("{scenario} line {}: {error}", index + 1)))?;
                alerts.push(alert);
            }
        }
        let summary = ingestor.finish().map_err(|error| failed(error.to_string()))?;
        if summary.rejected > 0 {
            return Err(failed(format!("{} alerts were rejected on ingest", summary.rejected)));
        }
        drop(store);
        Ok(Dataset { name: name.to_string(), scenarios, alerts, template })
    }
}

fn resolve(spec: &DatasetSpec) -> Result<Vec<&'static str>, EvalError> {
    let names: Vec<String> = match spec {
        DatasetSpec::Named(name) if name == "demo" => {
            return Ok(saker_fixtures::SCENARIO_NAMES.to_vec());
        }
        DatasetSpec::Named(name) if name == "all" => return Ok(scenario_names()),
        DatasetSpec::Named(name) => vec![name.clone()],
        DatasetSpec::Scenarios(names) => names.clone(),
    };
    let known = scenario_names();
    names
        .iter()
        .map(|name| {
            known.iter().find(|known| *known == name).copied().ok_or_else(|| EvalError::Dataset {
                dataset: name.clone(),
                message: format!("unknown scenario; allowed: demo, all, {}", known.join(", ")),
            })
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
