//! `saker serve`: the HTTP API (ingest, chat over Server-Sent Events, sessions, tools, the event
//! feed) on a data directory, until SIGINT or SIGTERM. `--demo` loads the demo scenarios first.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use saker::server::{self, AppParts, AppState, ResponseParts, ServerLimits};

use super::ask::AssistantArgs;

/// Arguments of `saker serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    assistant: AssistantArgs,
    /// Address to listen on (default: the config's `server.listen`, else 127.0.0.1:7878); port
    /// 0 picks a free port. A non-loopback address needs API tokens (auth.tokens in saker.yaml
    /// or SAKER_API_TOKENS). The container image sets SAKER_LISTEN=0.0.0.0:7878.
    #[arg(long, env = "SAKER_LISTEN")]
    listen: Option<String>,
    /// Load the demo scenarios into the data directory first (a no-op when already there).
    #[arg(long)]
    demo: bool,
}

/// Runs `saker serve`.
pub fn run(arguments: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = arguments.assistant.config()?;
    let data = &arguments.assistant.data;
    // The embedded store is loaded before the server opens it; a shared one once it is open.
    let embedded =
        matches!(config.store_backend(|name| std::env::var(name).ok())?, saker::config::StoreBackend::Embedded);
    let mut demo = if arguments.demo && embedded { Some(super::demo::load_demo(data)?) } else { None };
    let listen = config.listen_address(arguments.listen.as_deref());
    let deliveries =
        saker::report::delivery::deliveries_from_config(config.reports.as_deref().unwrap_or_default(), |name| {
            std::env::var(name).ok()
        })
        .map_err(|error| anyhow::anyhow!("config: {error}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("saker-server")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let opened = arguments.assistant.open(&config, false).await?;
        let ingest_log = opened.state.clone();
        if arguments.demo && !embedded {
            let started_at = chrono::Utc::now();
            let store = opened.store.clone();
            let summary = tokio::task::spawn_blocking(move || super::demo::load_demo_into(&store))
                .await
                .context("the demo load stopped")??;
            ingest_log
                .record_ingest(started_at, "demo", summary.accepted, summary.duplicates, summary.rejected)
                .await
                .context("cannot record the ingest run")?;
            demo = Some(summary);
        }
        let backend = opened.backend.kind();
        let store = opened.store.store().clone();
        let alerts = tokio::task::spawn_blocking(move || store.len())
            .await
            .context("the store count stopped")?
            .context("cannot read the event store")?;
        let rules = opened.rules.rules().count();
        let response = ResponseParts { tokens: opened.tokens, actions: opened.actions, escalator: opened.escalator };
        let requested: std::net::SocketAddr = tokio::net::lookup_host(&listen)
            .await
            .with_context(|| format!("cannot resolve the listen address {listen}"))?
            .next()
            .with_context(|| format!("the listen address {listen} resolves to nothing"))?;
        server::auth::check_listen_address(&requested, &response.tokens).map_err(anyhow::Error::msg)?;
        let retention = config.server.as_ref().and_then(|server| server.sessions).unwrap_or_default();
        retention.validate().map_err(anyhow::Error::msg)?;
        let _retention = saker::conversation::retention::spawn(retention, opened.sessions.clone());
        let state = AppState::with_response(AppParts {
            store: opened.store,
            rules: opened.rules,
            sessions: opened.sessions,
            backend: opened.backend,
            ingest_log: Some(ingest_log),
            limits: ServerLimits::default(),
        }, response)
        .context("cannot start the ingest writer")?;
        if let Some(summary) = &demo {
            let metrics = state.orchestrator().metrics();
            metrics.record_ingest("demo", summary.accepted, summary.duplicates, summary.rejected);
        }
        let scheduled = deliveries.len();
        let _scheduler = saker::report::delivery::spawn_scheduler(
            deliveries,
            state.orchestrator().store().clone(),
            state.orchestrator().rules().clone(),
        );
        let listener =
            tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let address = listener.local_addr().context("cannot read the bound address")?;
        out!("listening on http://{address}");
        eprintln!(
            "data {}: {alerts} alerts, {rules} Falco rules loaded, backend {}",
            data.data_dir.display(),
            serde_json::to_value(backend)?.as_str().unwrap_or("planner")
        );
        if scheduled > 0 {
            eprintln!("{scheduled} scheduled report(s) configured");
        }
        if let Some(summary) = demo {
            out!(
                "demo scenarios loaded (accepted {}, duplicates {}); they end at {}: pass it as `now`",
                summary.accepted,
                summary.duplicates,
                saker_fixtures::DEMO_NOW
            );
            out!("try:");
            out!("  open http://{address}/?now={} in a browser (the chat page, with the demo's clock)", saker_fixtures::DEMO_NOW);
            out!(
                "  curl -N http://{address}/v1/chat -H 'content-type: application/json' -d '{{\"message\": \"Summarize the events in this cluster.\", \"scope\": \"kubernetes.cluster.name=risks-aws-eks-workloads-shield\", \"now\": \"{}\"}}'",
                saker_fixtures::DEMO_NOW
            );
            out!("  curl http://{address}/healthz");
        }
        server::serve(listener, state, server::shutdown_signal()).await.context("the server failed")?;
        eprintln!("saker serve: stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
