//! MITRE ATT&CK tactics and techniques (Enterprise v18.1) as project data, and tag parsing.
//!
//! The tables are in `tools/data/mitre/` with MITRE's license notice; they are compiled in so
//! that Saker needs no network and no extra files at run time.

use std::collections::HashMap;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

const TACTICS_TSV: &str = include_str!("../data/mitre/tactics.tsv");
const TECHNIQUES_TSV: &str = include_str!("../data/mitre/techniques.tsv");

/// One ATT&CK tactic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tactic {
    /// `TA0002`.
    pub id: String,
    /// `Execution`.
    pub name: String,
    /// `execution`, as in Falco's `mitre_execution` tag (with `_` for `-`).
    pub shortname: String,
    /// Position in the Enterprise matrix (kill-chain order), 0 for Reconnaissance.
    pub order: usize,
}

impl Tactic {
    /// The ATT&CK page of this tactic.
    pub fn url(&self) -> String {
        format!("https://attack.mitre.org/tactics/{}", self.id)
    }
}

/// One active ATT&CK technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Technique {
    /// `T1059` or `T1059.004`.
    pub id: String,
    /// `Command and Scripting Interpreter` or `Unix Shell`.
    pub name: String,
    /// The tactics it belongs to (`TA0002`, ...).
    pub tactic_ids: Vec<String>,
    /// The parent technique of a sub-technique.
    pub parent_id: Option<String>,
}

impl Technique {
    /// The ATT&CK page of this technique (`/techniques/T1059/004` for sub-techniques).
    pub fn url(&self) -> String {
        format!("https://attack.mitre.org/techniques/{}", self.id.replace('.', "/"))
    }

    /// "Command and Scripting Interpreter: Unix Shell" for a sub-technique, else the name.
    pub fn full_name(&self) -> String {
        match self.parent_id.as_deref().and_then(technique) {
            Some(parent) => format!("{}: {}", parent.name, self.name),
            None => self.name.clone(),
        }
    }
}

struct Tables {
    tactics: Vec<Tactic>,
    tactic_by_key: HashMap<String, usize>,
    techniques: HashMap<String, Technique>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let tactics: Vec<Tactic> = TACTICS_TSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut columns = line.split('\t');
                Some((columns.next()?, columns.next()?, columns.next()?))
            })
            .enumerate()
            .map(|(order, (id, name, shortname))| Tactic {
                id: id.to_string(),
                name: name.to_string(),
                shortname: shortname.to_string(),
                order,
            })
            .collect();
        let mut tactic_by_key = HashMap::new();
        for (index, tactic) in tactics.iter().enumerate() {
            tactic_by_key.insert(tactic.id.to_ascii_lowercase(), index);
            tactic_by_key.insert(tactic.shortname.clone(), index);
            tactic_by_key.insert(tactic.shortname.replace('-', "_"), index);
            tactic_by_key.insert(tactic.name.to_ascii_lowercase(), index);
        }
        let techniques = TECHNIQUES_TSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let columns: Vec<&str> = line.split('\t').collect();
                let id = columns.first()?.to_string();
                let technique = Technique {
                    id: id.clone(),
                    name: columns.get(1)?.to_string(),
                    tactic_ids: columns
                        .get(2)
                        .map(|ids| ids.split(';').filter(|id| !id.is_empty()).map(str::to_string).collect())
                        .unwrap_or_default(),
                    parent_id: columns.get(4).filter(|parent| !parent.is_empty()).map(|parent| parent.to_string()),
                };
                Some((id, technique))
            })
            .collect();
        Tables { tactics, tactic_by_key, techniques }
    })
}

/// All tactics in kill-chain (matrix) order.
pub fn tactics() -> &'static [Tactic] {
    &tables().tactics
}

/// A tactic by ID (`TA0002`), shortname (`execution`, `privilege_escalation`) or name, any case.
pub fn tactic(key: &str) -> Option<&'static Tactic> {
    let tables = tables();
    let index = tables.tactic_by_key.get(&key.trim().to_ascii_lowercase())?;
    tables.tactics.get(*index)
}

/// An active technique by ID (`T1059.004`), any case.
pub fn technique(id: &str) -> Option<&'static Technique> {
    tables().techniques.get(&id.trim().to_ascii_uppercase())
}

/// Reads tactic IDs and technique IDs from Falco tags (`mitre_execution`, `TA0002`, `T1059`,
/// `T1611.001`), each in tag order without repeats.
///
/// A `mitre_*` tag whose tactic is unknown is ignored; technique IDs are kept when they have
/// the ATT&CK shape even if this table does not know them, so nothing the rule said is lost.
pub fn ids_from_tags(tags: &[String]) -> (Vec<String>, Vec<String>) {
    let mut tactic_ids: Vec<String> = Vec::new();
    let mut technique_ids: Vec<String> = Vec::new();
    for tag in tags {
        if let Some(shortname) = tag.strip_prefix("mitre_") {
            if let Some(found) = tactic(shortname) {
                push_unique(&mut tactic_ids, &found.id);
            }
        } else if is_tactic_id(tag) {
            push_unique(&mut tactic_ids, &tag.to_ascii_uppercase());
        } else if is_technique_id(tag) {
            push_unique(&mut technique_ids, &tag.to_ascii_uppercase());
        }
    }
    (tactic_ids, technique_ids)
}

/// `TA` followed by four digits.
pub fn is_tactic_id(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    upper.len() == 6 && upper.starts_with("TA") && upper[2..].bytes().all(|byte| byte.is_ascii_digit())
}

/// `T` and four digits, optionally `.` and three digits.
pub fn is_technique_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|part| part.iter().all(u8::is_ascii_digit));
    match bytes.len() {
        5 => matches!(bytes[0], b'T' | b't') && digits(1..5),
        9 => matches!(bytes[0], b'T' | b't') && digits(1..5) && bytes[5] == b'.' && digits(6..9),
        _ => false,
    }
}

fn push_unique(ids: &mut Vec<String>, id: &str) {
    if !ids.iter().any(|existing| existing == id) {
        ids.push(id.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_in_matrix_order() {
        assert_eq!(tactics().len(), 14);
        assert_eq!(tactics()[0].name, "Reconnaissance");
        assert_eq!(tactic("privilege_escalation").map(|t| t.id.as_str()), Some("TA0004"));
        let unix_shell = technique("t1059.004").expect("known technique");
        assert_eq!(unix_shell.full_name(), "Command and Scripting Interpreter: Unix Shell");
        assert_eq!(unix_shell.url(), "https://attack.mitre.org/techniques/T1059/004");
    }

    #[test]
    fn reads_ids_from_falco_tags() {
        let tags: Vec<String> =
            ["container", "mitre_execution", "T1059", "TA0002", "T1611.001", "mitre_unknown", "T123"]
                .iter()
                .map(|tag| tag.to_string())
                .collect();
        let (tactic_ids, technique_ids) = ids_from_tags(&tags);
        assert_eq!(tactic_ids, vec!["TA0002"]);
        assert_eq!(technique_ids, vec!["T1059", "T1611.001"]);
    }
}
