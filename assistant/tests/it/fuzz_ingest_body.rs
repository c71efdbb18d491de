//! Fuzz target: the ingest request body splitter (`server::ingest_body`), seeded with the
//! committed scenarios as JSON Lines bodies, arrays and single (pretty) objects, each item then
//! read by the alert parser as the server does. Splitting never panics, every item's place is
//! inside the body and its text is a trimmed slice of it, and every refusal says where. Also:
//! alert lines joined in any JSON Lines layout split back into exactly those lines.

#[path = "../../../tools/tests/it/fuzz/engine.rs"]
mod engine;

use std::path::PathBuf;

use saker::server::ingest_body::{BodyError, BodyShape, Place, split_body};
use saker_tools::alert::parse_alert;

use engine::{Budget, Outcome, Random, run};

const TOKENS: &[&str] = &[
    "\n",
    "\r\n",
    "\n\n",
    "\u{feff}",
    "\u{2028}",
    "\u{85}",
    "\x0c",
    "[",
    "]",
    ",",
    "{\"time\":\"2026-11-20T12:00:00Z\",\"rule\":\"r\",\"priority\":\"Warning\"}",
];

fn scenario_lines() -> Vec<String> {
    let directory = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/scenarios"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .expect("scenarios directory")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
        .collect();
    files.sort();
    let mut lines = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("scenario file");
        lines.extend(text.lines().filter(|line| !line.trim().is_empty()).map(str::to_string));
    }
    lines
}

/// Whole scenario files, runs of lines, arrays of them, and single pretty objects.
fn seeds(lines: &[String]) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (index, chunk) in lines.chunks(16).enumerate() {
        let run = &chunk[..1 + index % chunk.len()];
        seeds.push(run.join("\n").into_bytes());
        if index % 3 == 0 {
            seeds.push(format!("[{}]", run.join(",\n")).into_bytes());
        }
        if index % 5 == 0 {
            let value: serde_json::Value = serde_json::from_str(&run[0]).expect("scenario line is JSON");
            seeds.push(serde_json::to_string_pretty(&value).expect("prints").into_bytes());
        }
    }
    seeds.push(lines.join("\n").into_bytes());
    seeds
}

fn check(body: &[u8]) -> Outcome {
    let line_count = body.iter().filter(|byte| **byte == b'\n').count() as u64 + 1;
    let body_range = body.as_ptr() as usize..=body.as_ptr() as usize + body.len();
    match split_body(body) {
        Ok(split) => {
            assert!(!split.items.is_empty());
            if split.shape == BodyShape::Single {
                assert_eq!(split.items.len(), 1);
            }
            let mut previous_line = 0;
            for (index, item) in split.items.iter().enumerate() {
                match (split.shape, item.place) {
                    (BodyShape::Array, Place::Index(position)) => assert_eq!(position, index as u64),
                    (BodyShape::Lines | BodyShape::Single, Place::Line(line)) => {
                        assert!(line > previous_line && line <= line_count, "line {line} of {line_count}");
                        previous_line = line;
                    }
                    (shape, place) => panic!("{place:?} in a {shape:?} body"),
                }
                match item.text {
                    Ok(text) => {
                        assert!(!text.is_empty() && text.trim_ascii() == text, "trimmed: {text:?}");
                        let start = text.as_ptr() as usize;
                        assert!(body_range.contains(&start) && body_range.contains(&(start + text.len())), "a slice");
                        if split.shape != BodyShape::Lines {
                            assert!(serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok(), "{text:?}");
                        }
                        if let Err(error) = parse_alert(text, None) {
                            assert!(!error.to_string().is_empty());
                        }
                    }
                    Err(not_text) => {
                        assert_eq!(split.shape, BodyShape::Lines);
                        assert!(not_text.column >= 1);
                    }
                }
            }
            Outcome::Accepted
        }
        Err(BodyError::Empty) => Outcome::Refused,
        Err(BodyError::NotUtf8 { offset }) => {
            assert!(offset < body.len() && std::str::from_utf8(body).is_err(), "offset {offset}");
            Outcome::Refused
        }
        Err(BodyError::NotJson { problem }) => {
            assert!(problem.contains("line "), "placed: {problem}");
            Outcome::Refused
        }
    }
}

#[test]
fn ingest_bodies_never_panic_items_are_placed_slices_and_refusals_say_where() {
    let lines = scenario_lines();
    let summary = run("ingest_body", seeds(&lines), TOKENS, Budget::from_env(1_500), check);
    assert!(summary.accepted > 0, "{summary:?}");
}

const BLANK_LINES: [&str; 3] = ["\n", " \t\n", "\r\n"];
const INDENTS: [&str; 3] = ["", " ", "\t"];
const LINE_ENDS: [&str; 3] = ["\n", "\r\n", " \n"];

#[test]
fn alert_lines_in_any_json_lines_layout_split_back_into_those_lines() {
    let lines = scenario_lines();
    let mut random = Random::new(14);
    for _ in 0..300 {
        let count = 2 + random.below(12);
        let start = random.below(lines.len() - count);
        let chosen = &lines[start..start + count];
        let mut body = String::new();
        let mut expected = Vec::new();
        let mut line_number = 1u64;
        for line in chosen {
            for _ in 0..random.below(3) {
                body.push_str(BLANK_LINES[random.below(BLANK_LINES.len())]);
                line_number += 1;
            }
            body.push_str(INDENTS[random.below(INDENTS.len())]);
            body.push_str(line);
            body.push_str(LINE_ENDS[random.below(LINE_ENDS.len())]);
            expected.push((Place::Line(line_number), line.as_str()));
            line_number += 1;
        }
        let split = split_body(body.as_bytes()).expect("splits");
        assert_eq!(split.shape, BodyShape::Lines);
        let texts: Vec<(Place, &str)> =
            split.items.iter().map(|item| (item.place, item.text.expect("utf-8"))).collect();
        assert_eq!(texts, expected);
    }
}
