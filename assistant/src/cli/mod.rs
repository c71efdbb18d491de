//! Command-line interface: the subcommands and their shared options.

/// Writes a line to standard output and returns the error (e.g. a closed pipe, as in
/// `saker stats | head`) to the caller instead of panicking as `println!` does.
macro_rules! out {
    ($($argument:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($argument)*)?;
    }};
}

mod action;
mod ask;
mod bench;
mod bench_chat;
mod bench_postgres;
mod bench_serve;
mod bench_tools;
mod chat;
mod common;
mod demo;
mod eval;
mod exception;
mod ingest;
mod mcp;
mod migrate;
mod report;
mod rules;
mod serve;
mod stats;
mod token;
mod tool;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use common::EXIT_FAILURE;

/// Saker: ask questions about your Falco alerts, in English or Japanese.
#[derive(Debug, Parser)]
#[command(name = "saker", version = saker::VERSION, about, long_about = None)]
pub struct Cli {
    /// How log lines on stderr are written: `text` for people, `json` (one object a line, with
    /// the request id of a server request) for collectors. Which lines: SAKER_LOG (default
    /// `warn`; `info` adds one line per server request).
    #[arg(long, global = true, value_enum, env = "SAKER_LOG_FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ingest Falco JSON alerts (JSON Lines, `.gz`, or `-` for stdin) into the event store.
    ///
    /// Exit status: 0 when every line was stored or already present, 3 when some lines were
    /// rejected (each is reported as FILE:LINE: reason; the valid lines are stored), 1 on any
    /// other failure.
    Ingest(ingest::IngestArgs),
    /// Count alerts, grouped by a dimension or time bucket.
    Stats(stats::StatsArgs),
    /// List or show the Falco rules Saker reads (default: the files Falco itself uses).
    Rules(rules::RulesArgs),
    /// Load the demo scenarios into a data directory.
    Demo(demo::DemoArgs),
    /// List the investigation tools (`--list`) or run one with JSON arguments.
    Tool(tool::ToolArgs),
    /// Measure performance against a reference engine in the same run.
    Bench(bench::BenchArgs),
    /// Ask one question; the answer streams to stdout (`--json`: one JSON object).
    Ask(ask::AskArgs),
    /// An interactive multi-turn conversation (`/help` lists its commands).
    Chat(chat::ChatArgs),
    /// Serve the HTTP API: ingest, chat over Server-Sent Events, sessions, tools, event feed,
    /// `/metrics` (Prometheus) and `/mcp` (MCP over streamable HTTP).
    Serve(serve::ServeArgs),
    /// The MCP server over stdio: the investigation tools, `ask` and the event feed for an
    /// agent that runs Saker as a subprocess.
    Mcp(mcp::McpArgs),
    /// Falco rule exceptions: `validate FILE` checks them in layers against the loaded rules.
    Exception(exception::ExceptionArgs),
    /// Reports: `recon` (the reconnaissance report with its chart), `deliver` (the scheduled
    /// reports of the config, once).
    Report(report::ReportArgs),
    /// Measure answer quality against the eval suites (runs the `saker-eval` harness).
    Eval(eval::EvalArgs),
    /// Response actions: list, show, approve, reject, revert (approval needs the responder or
    /// admin role; the CLI is the local admin unless auth.local_role says otherwise).
    Action(action::ActionArgs),
    /// API tokens: `create --name NAME --role ROLE` (printed once, stored hashed), `hash`.
    Token(token::TokenArgs),
    /// Run every PostgreSQL migration on the database `store:` names (the embedded backend
    /// needs none).
    Migrate(migrate::MigrateArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Ingest(arguments) => ingest::run(arguments),
        Command::Stats(arguments) => stats::run(arguments),
        Command::Rules(arguments) => rules::run(arguments),
        Command::Demo(arguments) => demo::run(arguments),
        Command::Bench(arguments) => bench::run(arguments),
        Command::Tool(arguments) => tool::run(arguments),
        Command::Ask(arguments) => ask::run(arguments),
        Command::Chat(arguments) => chat::run(arguments),
        Command::Serve(arguments) => serve::run(arguments),
        Command::Mcp(arguments) => mcp::run(arguments),
        Command::Exception(arguments) => exception::run(arguments),
        Command::Report(arguments) => report::run(arguments),
        Command::Eval(arguments) => eval::run(arguments),
        Command::Action(arguments) => action::run(arguments),
        Command::Token(arguments) => token::run(arguments),
        Command::Migrate(arguments) => migrate::run(arguments),
    }
}
