//! Recognises the network and discovery tools an alert shows in use (`nmap`, `nc`, `curl`,
//! `whoami`, ...), plus reads of the cloud metadata service and of process environments.
//!
//! The table is the project's own list; an alert is matched on its process name, the program
//! that starts its command line, and (for the metadata service and environment reads) its
//! file or connection and command line. The result is derived at parse time into the `tool`
//! dimension, so that counting tools is an exact aggregation, not a scan of stored alerts.

use super::Process;

/// What kind of tool a recognised program is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownTool {
    /// The program name as reported (`nmap`).
    pub name: &'static str,
    /// What attackers typically use it for, in a few words.
    pub kind: &'static str,
}

/// Programs recognised by their executable name.
const PROGRAMS: &[KnownTool] = &[
    KnownTool { name: "nmap", kind: "network scanner" },
    KnownTool { name: "masscan", kind: "network scanner" },
    KnownTool { name: "zmap", kind: "network scanner" },
    KnownTool { name: "nc", kind: "netcat: port probe or raw connection" },
    KnownTool { name: "ncat", kind: "netcat: port probe or raw connection" },
    KnownTool { name: "netcat", kind: "netcat: port probe or raw connection" },
    KnownTool { name: "socat", kind: "raw connection relay" },
    KnownTool { name: "telnet", kind: "raw connection" },
    KnownTool { name: "curl", kind: "HTTP client / downloader" },
    KnownTool { name: "wget", kind: "HTTP client / downloader" },
    KnownTool { name: "dig", kind: "DNS lookup" },
    KnownTool { name: "nslookup", kind: "DNS lookup" },
    KnownTool { name: "host", kind: "DNS lookup" },
    KnownTool { name: "ping", kind: "host discovery" },
    KnownTool { name: "traceroute", kind: "network path discovery" },
    KnownTool { name: "tcpdump", kind: "packet capture" },
    KnownTool { name: "tshark", kind: "packet capture" },
    KnownTool { name: "whoami", kind: "identity discovery" },
    KnownTool { name: "id", kind: "identity discovery" },
    KnownTool { name: "w", kind: "logged-in user discovery" },
    KnownTool { name: "who", kind: "logged-in user discovery" },
    KnownTool { name: "uname", kind: "system discovery" },
    KnownTool { name: "hostname", kind: "system discovery" },
    KnownTool { name: "ps", kind: "process discovery" },
    KnownTool { name: "netstat", kind: "network connection discovery" },
    KnownTool { name: "ss", kind: "network connection discovery" },
    KnownTool { name: "ifconfig", kind: "network configuration discovery" },
    KnownTool { name: "ip", kind: "network configuration discovery" },
    KnownTool { name: "arp", kind: "network neighbour discovery" },
    KnownTool { name: "env", kind: "environment discovery" },
    KnownTool { name: "printenv", kind: "environment discovery" },
    KnownTool { name: "kubectl", kind: "Kubernetes API discovery" },
];

/// The cloud instance metadata service address.
pub const METADATA_ADDRESS: &str = "169.254.169.254";

/// Access to the cloud instance metadata service.
pub const METADATA_SERVICE: KnownTool =
    KnownTool { name: "cloud metadata service (169.254.169.254)", kind: "cloud credential and instance discovery" };

/// Reading another process's environment through `/proc/<pid>/environ`.
pub const ENVIRON_READ: KnownTool =
    KnownTool { name: "cat /proc/*/environ", kind: "environment variable (secret) discovery" };

/// The tool named `name` in the table (programs, the metadata service, environment reads).
pub fn known_tool(name: &str) -> Option<KnownTool> {
    PROGRAMS.iter().chain([&METADATA_SERVICE, &ENVIRON_READ]).find(|tool| tool.name == name).copied()
}

/// The tools a process and its file or connection show, each once, in table order.
pub fn tools_of(process: &Process, file: Option<&str>) -> Vec<KnownTool> {
    let program = process.cmdline.as_deref().and_then(first_program);
    let mut found: Vec<KnownTool> = PROGRAMS
        .iter()
        .filter(|tool| process.name.as_deref() == Some(tool.name) || program == Some(tool.name))
        .copied()
        .collect();
    let file = file.unwrap_or_default();
    let cmdline = process.cmdline.as_deref().unwrap_or_default();
    if file.contains(METADATA_ADDRESS) || cmdline.contains(METADATA_ADDRESS) {
        found.push(METADATA_SERVICE);
    }
    if is_environ_path(file) || cmdline.split_whitespace().any(is_environ_path) {
        found.push(ENVIRON_READ);
    }
    found
}

/// The program a command line starts, without its directory (`/usr/bin/nmap -sT` → `nmap`).
fn first_program(cmdline: &str) -> Option<&str> {
    let first = cmdline.split_whitespace().next()?;
    first.rsplit('/').next()
}

/// `/proc/<anything>/environ`.
fn is_environ_path(path: &str) -> bool {
    path.strip_prefix("/proc/").and_then(|rest| rest.strip_suffix("/environ")).is_some_and(|pid| !pid.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Alert, parse_alert};

    fn alert(fields: serde_json::Value) -> Alert {
        let line = serde_json::json!({
            "time": "2026-11-20T00:00:00Z", "rule": "r", "priority": "Notice", "output": "x",
            "output_fields": fields,
        });
        parse_alert(&line.to_string(), None).expect("valid alert")
    }

    fn names(alert: &Alert) -> Vec<&'static str> {
        let derived: Vec<&str> = alert.dimensions.tools.iter().map(String::as_str).collect();
        let recognised: Vec<&'static str> = tools_of(&alert.dimensions.process, alert.dimensions.file.as_deref())
            .into_iter()
            .map(|tool| tool.name)
            .collect();
        assert_eq!(derived, recognised, "the parsed alert carries the tools as a dimension");
        recognised
    }

    #[test]
    fn recognises_programs_metadata_and_environ_reads() {
        let scan = alert(serde_json::json!({"proc.name": "nmap", "proc.cmdline": "nmap -sT 10.0.0.0/24"}));
        assert_eq!(names(&scan), ["nmap"]);
        let metadata = alert(serde_json::json!({
            "proc.name": "curl", "proc.cmdline": "curl -s http://169.254.169.254/latest/meta-data/",
            "fd.name": "10.0.0.5:4000->169.254.169.254:80",
        }));
        assert_eq!(names(&metadata), ["curl", METADATA_SERVICE.name]);
        let environ = alert(serde_json::json!({"proc.name": "cat", "proc.cmdline": "cat /proc/1/environ"}));
        assert_eq!(names(&environ), [ENVIRON_READ.name]);
        let shell = alert(serde_json::json!({"proc.name": "bash", "proc.cmdline": "bash"}));
        assert!(names(&shell).is_empty());
        let renamed = alert(serde_json::json!({"proc.name": "nc.openbsd", "proc.cmdline": "nc -z 10.0.0.7 22"}));
        assert_eq!(names(&renamed), ["nc"]);
        assert_eq!(known_tool("nc").map(|tool| tool.kind), Some("netcat: port probe or raw connection"));
        assert_eq!(known_tool(METADATA_SERVICE.name), Some(METADATA_SERVICE));
    }
}
