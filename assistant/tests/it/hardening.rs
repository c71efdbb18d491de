//! Regression tests of issue 14 (found by probing a release build over loopback): each test is
//! named after the defect it guards against and speaks to a real server over loopback HTTP.

use reqwest::StatusCode;
use saker::actions::settings::ActionSettings;
use serde_json::json;

use super::response_actions::{ANALYST, ActionsServer, VIEWER, token_table};

/// The tools that write (or propose writes): a viewer may call none of them, however the name
/// in the path is spelt.
const WRITE_TOOLS: [&str; 2] = ["propose_response_action", "generate_exception"];

/// Spellings of `name` in a path that the router decodes back to `name`.
fn encodings(name: &str) -> Vec<String> {
    let underscore_lower = name.replace('_', "%5f");
    let underscore_upper = name.replace('_', "%5F");
    let first = name.chars().next().map(|letter| format!("%{:02X}{}", letter as u32, &name[1..])).unwrap_or_default();
    let every: String = name.bytes().map(|byte| format!("%{byte:02X}")).collect();
    vec![name.to_string(), underscore_lower, underscore_upper, first, every]
}

#[tokio::test]
async fn role_bypass_through_a_percent_encoded_tool_name() {
    let server = ActionsServer::start(ActionSettings::default(), token_table()).await;
    for tool in WRITE_TOOLS {
        for spelling in encodings(tool) {
            let path = format!("/v1/tools/{spelling}?now=2026-11-20T12:00:00Z");
            let (status, body) = server.post(&path, VIEWER, json!({})).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "a viewer called {path}: {body}");
            assert_eq!(body["error"]["code"], "forbidden", "{body}");
        }
        // The analyst still reaches it, by any spelling.
        let path = format!("/v1/tools/{}?now=2026-11-20T12:00:00Z", encodings(tool)[2]);
        let (status, body) =
            server.post(&path, ANALYST, json!({"scope": "k8s.ns.name=risk-10-aws-bedrock-java"})).await;
        assert_ne!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_ne!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
}
