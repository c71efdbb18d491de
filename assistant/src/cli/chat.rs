//! `saker chat`: an interactive multi-turn conversation on the same session machinery as
//! `saker ask`. Each line is a question (answers stream as they are written) or a command:
//! `/scope`, `/since`, `/until`, `/now`, `/new`, `/session`, `/help`, `/quit`. End of input ends
//! the conversation, so it also runs from a pipe or a script.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::bail;
use chrono::{DateTime, Utc};
use clap::Args;
use saker::conversation::{ChatRequest, Orchestrator};
use saker_tools::scope::Scope;
use saker_tools::store::TimeRange;

use super::ask::{AssistantArgs, Display, TurnFailure, ViewArgs, check_now, explain, print_links, run_turn};
use super::common::{parse_now, runtime};

/// Arguments of `saker chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    #[command(flatten)]
    assistant: AssistantArgs,
    #[command(flatten)]
    view: ViewArgs,
    /// Continue this session.
    #[arg(long)]
    session: Option<String>,
}

const HELP: &str = "\
Ask a question in English or Japanese, or use a command:
  /scope EXPR    confine the next questions to a scope (Falco field syntax); /scope - clears it
  /since TIME    start of the time range (RFC 3339 or YYYY-MM-DD); /since - clears it
  /until TIME    end of the time range; /until - clears it
  /now TIME      fix the clock (RFC 3339) for reproducible answers; /now - uses the real clock
  /new           start a new session
  /session [ID]  show the session id, or continue session ID
  /help          this help
  /quit          leave (end of input too)";

/// The conversation's current view and session.
#[derive(Debug, Default)]
struct ChatState {
    session_id: Option<String>,
    scope: Option<String>,
    since: Option<String>,
    until: Option<String>,
    now: Option<DateTime<Utc>>,
}

impl ChatState {
    fn request(&self, message: &str) -> ChatRequest {
        ChatRequest {
            session_id: self.session_id.clone(),
            message: message.to_string(),
            scope: self.scope.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            now: self.now,
        }
    }

    fn check_time_range(&self) -> anyhow::Result<()> {
        TimeRange::resolve(self.since.as_deref(), self.until.as_deref(), None, self.now.unwrap_or_else(Utc::now))?;
        Ok(())
    }
}

/// What the loop does after a line.
enum Next {
    Continue,
    Quit,
}

/// Runs `saker chat`.
pub fn run(arguments: ChatArgs) -> anyhow::Result<ExitCode> {
    let mut state = ChatState {
        session_id: arguments.session.clone(),
        scope: arguments.view.scope.clone(),
        since: arguments.view.since.clone(),
        until: arguments.view.until.clone(),
        now: arguments.view.now.as_deref().map(|text| parse_now(Some(text))).transpose()?,
    };
    let config = arguments.assistant.config()?;
    let runtime = runtime()?;
    let orchestrator = runtime.block_on(arguments.assistant.open(&config, true))?.into_orchestrator();
    if let Some(id) = &state.session_id {
        runtime
            .block_on(orchestrator.sessions().load(id))
            .map_err(|error| explain(TurnFailure::Conversation(error), "--session"))?;
    }
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!("saker chat: ask about your Falco alerts (/help for commands, /quit to leave)");
    }
    let mut lines = std::io::stdin().lock().lines();
    loop {
        if interactive {
            let mut stdout = std::io::stdout().lock();
            write!(stdout, "saker> ")?;
            stdout.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let next = if let Some(command) = line.strip_prefix('/') {
            match command_line(command, &mut state, &orchestrator, &runtime) {
                Ok(next) => next,
                Err(error) => {
                    eprintln!("saker: error: {error:#}");
                    Next::Continue
                }
            }
        } else {
            ask(line, &mut state, &orchestrator, &runtime)?;
            Next::Continue
        };
        if let Next::Quit = next {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Answers one question; a failed turn is reported and the conversation goes on, a closed
/// output ends it.
fn ask(
    question: &str,
    state: &mut ChatState,
    orchestrator: &Orchestrator,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    match runtime.block_on(run_turn(orchestrator, state.request(question), Display::Stream)) {
        Ok(answer) => {
            print_links(&answer)?;
            if state.session_id.as_deref() != Some(answer.session_id.as_str()) {
                eprintln!("session: {}", answer.session_id);
                state.session_id = Some(answer.session_id);
            }
            Ok(())
        }
        Err(TurnFailure::Output(error)) => Err(error.into()),
        Err(failure) => {
            eprintln!("saker: error: {:#}", explain(failure, "/new"));
            Ok(())
        }
    }
}

fn command_line(
    command: &str,
    state: &mut ChatState,
    orchestrator: &Orchestrator,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<Next> {
    let (name, argument) = match command.split_once(char::is_whitespace) {
        Some((name, argument)) => (name, argument.trim()),
        None => (command, ""),
    };
    let cleared = argument == "-";
    match name {
        "quit" | "exit" | "q" => return Ok(Next::Quit),
        "help" | "?" => eprintln!("{HELP}"),
        "scope" if argument.is_empty() => match &state.scope {
            Some(scope) if !scope.is_empty() => eprintln!("scope: {scope}"),
            Some(_) => eprintln!("scope: everything"),
            None => eprintln!("scope: the session's last scope (everything for a new session)"),
        },
        "scope" => {
            let scope = if cleared { String::new() } else { argument.to_string() };
            Scope::parse(&scope).map_err(|error| anyhow::anyhow!("invalid scope {scope:?}: {error}"))?;
            eprintln!("scope: {}", if scope.is_empty() { "everything" } else { &scope });
            state.scope = Some(scope);
        }
        "since" | "until" => {
            let value = if cleared || argument.is_empty() { None } else { Some(argument.to_string()) };
            let previous = if name == "since" {
                std::mem::replace(&mut state.since, value.clone())
            } else {
                std::mem::replace(&mut state.until, value.clone())
            };
            if let Err(error) = state.check_time_range() {
                if name == "since" {
                    state.since = previous;
                } else {
                    state.until = previous;
                }
                bail!("invalid /{name}: {error}");
            }
            eprintln!("{name}: {}", value.as_deref().unwrap_or("not set"));
        }
        "now" => {
            state.now = if cleared || argument.is_empty() { None } else { Some(check_now(argument)?) };
            match state.now {
                Some(now) => eprintln!("now: {}", now.to_rfc3339()),
                None => eprintln!("now: the real clock"),
            }
        }
        "new" => {
            state.session_id = None;
            eprintln!("new session: it starts with the next question");
        }
        "session" if argument.is_empty() => match &state.session_id {
            Some(id) => eprintln!("session: {id}"),
            None => eprintln!("session: none yet (it starts with the next question)"),
        },
        "session" => {
            runtime
                .block_on(orchestrator.sessions().load(argument))
                .map_err(|error| explain(TurnFailure::Conversation(error), "/new"))?;
            state.session_id = Some(argument.to_string());
            eprintln!("session: {argument}");
        }
        other => bail!("unknown command /{other}; /help lists the commands"),
    }
    Ok(Next::Continue)
}
