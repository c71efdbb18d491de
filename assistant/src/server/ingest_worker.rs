//! The server's single index writer: one thread that ingests request bodies in arrival order
//! (one writer at a time), commits before answering (nothing acknowledged is lost) and
//! refreshes the reader so the next question sees the new alerts. Requests that arrive while
//! a commit runs wait together and then share one commit (group commit): with several senders
//! a commit and a reader refresh per body cost more than the bodies themselves.
//!
//! On a shared (PostgreSQL) store each body is committed on its own, so that the alerts another
//! replica stored meanwhile are counted as duplicates of the body that sent them.
//!
//! The writer stays open between requests (Falco's `http_output` posts one alert per request;
//! reopening would rescan every stored id each time) and is closed after a few idle seconds,
//! releasing the index lock for a `saker ingest` run beside the server.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use axum::body::Bytes;
use saker_tools::ingest::{IngestSettings, IngestSummary, Ingestor};
use saker_tools::store::{AddOutcome, AlertWriter, StoreError};
use tokio::sync::oneshot;

use super::ingest_body::{BodyError, BodyShape, split_body};
use crate::storage::AlertStoreHandle;

/// How long the writer stays open without requests.
pub const WRITER_IDLE: Duration = Duration::from_secs(5);

/// Most waiting requests that share one commit.
const GROUP_COMMIT_MAX: usize = 16;

/// What one ingest request did.
#[derive(Debug, Clone)]
pub struct IngestReport {
    /// How the body was laid out (to name the places of rejections).
    pub shape: BodyShape,
    /// Counts and rejections; every accepted alert is committed.
    pub summary: IngestSummary,
}

/// Why an ingest request stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum IngestFailure {
    /// The body holds no JSON.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The store failed (or is locked by another process).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The worker thread is gone.
    #[error("the ingest worker has stopped")]
    Stopped,
    /// A request that shared its commit with this one made the store fail; nothing of this
    /// request was committed.
    #[error("the event store failed while committing this request with others: {0}")]
    SharedCommit(String),
}

struct Job {
    body: Bytes,
    cluster: Option<String>,
    reply: oneshot::Sender<Result<IngestReport, IngestFailure>>,
}

/// The handle requests send their bodies to.
#[derive(Debug, Clone)]
pub struct IngestWorker {
    jobs: Sender<Job>,
}

impl IngestWorker {
    /// Starts the writer thread for `store`.
    pub fn start(store: AlertStoreHandle) -> Result<IngestWorker, std::io::Error> {
        let (jobs, receiver) = std::sync::mpsc::channel();
        std::thread::Builder::new().name("saker-ingest".into()).spawn(move || run(&store, &receiver, WRITER_IDLE))?;
        Ok(IngestWorker { jobs })
    }

    /// Ingests `body`, assuming `cluster` for alerts that carry none; returns once the
    /// accepted alerts are committed and visible to queries.
    pub async fn ingest(&self, body: Bytes, cluster: Option<String>) -> Result<IngestReport, IngestFailure> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { body, cluster, reply }).map_err(|_| IngestFailure::Stopped)?;
        answer.await.unwrap_or(Err(IngestFailure::Stopped))
    }
}

/// The open writer and the cluster it was opened for (stored with each alert).
struct OpenWriter<'store> {
    cluster: Option<String>,
    writer: Box<dyn AlertWriter + 'store>,
}

fn run(store: &AlertStoreHandle, jobs: &Receiver<Job>, idle: Duration) {
    let mut open: Option<OpenWriter<'_>> = None;
    let mut next: Option<Job> = None;
    loop {
        let job = if let Some(job) = next.take() {
            job
        } else if open.is_some() {
            match jobs.recv_timeout(idle) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    open = None;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match jobs.recv() {
                Ok(job) => job,
                Err(_) => break,
            }
        };
        // The requests already waiting for the same cluster share this one's commit.
        let cluster = ingest_cluster(job.cluster.clone());
        let mut group = vec![job];
        while group.len() < GROUP_COMMIT_MAX {
            match jobs.try_recv() {
                Ok(waiting) if ingest_cluster(waiting.cluster.clone()) == cluster => group.push(waiting),
                Ok(waiting) => {
                    next = Some(waiting);
                    break;
                }
                Err(_) => break,
            }
        }
        let (bodies, replies): (Vec<Bytes>, Vec<_>) = group.into_iter().map(|job| (job.body, job.reply)).unzip();
        let results = match ingest_group(store, &mut open, &bodies, cluster) {
            Ok(results) => results,
            Err(error) => {
                // After a failed add or commit the writer's state is unknown: start afresh
                // next time (dropping it discards what it did not commit; none of it was
                // acknowledged).
                open = None;
                // A lock held by another process is every request's answer (503, retry later).
                let shared = |error: &StoreError| match error {
                    StoreError::Locked { path } => IngestFailure::Store(StoreError::Locked { path: path.clone() }),
                    other => IngestFailure::SharedCommit(other.to_string()),
                };
                let mut failures: Vec<_> = bodies.iter().skip(1).map(|_| Err(shared(&error))).collect();
                failures.insert(0, Err(IngestFailure::Store(error)));
                failures
            }
        };
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// The cluster a request asks to assume, `None` for none or blank.
fn ingest_cluster(cluster: Option<String>) -> Option<String> {
    cluster.filter(|cluster| !cluster.trim().is_empty())
}

/// Ingests the bodies of one group on the writer for `cluster`, then commits once and
/// refreshes the reader. A body that holds no JSON fails alone; a store failure fails the
/// whole group (the `Err`).
fn ingest_group<'store>(
    store: &'store AlertStoreHandle,
    open: &mut Option<OpenWriter<'store>>,
    bodies: &[Bytes],
    cluster: Option<String>,
) -> Result<Vec<Result<IngestReport, IngestFailure>>, StoreError> {
    if open.as_ref().is_none_or(|current| current.cluster != cluster) {
        *open = None;
        *open = Some(OpenWriter { cluster: cluster.clone(), writer: store.writer_for(cluster.clone())? });
    }
    let Some(current) = open.as_mut() else {
        return Ok(bodies.iter().map(|_| Err(IngestFailure::Stopped)).collect());
    };
    let mut results = Vec::with_capacity(bodies.len());
    for body in bodies {
        let split = match split_body(body) {
            Ok(split) => split,
            Err(error) => {
                results.push(Err(IngestFailure::Body(error)));
                continue;
            }
        };
        let settings = IngestSettings { default_cluster: cluster.clone(), ..IngestSettings::default() };
        let mut ingestor = Ingestor::new(Box::new(Borrowed(current.writer.as_mut())), settings);
        for item in &split.items {
            match item.text {
                Ok(text) => ingestor.ingest_text("request", item.place.position(), text)?,
                Err(not_text) => ingestor.reject("request", item.place.position(), not_text.to_string()),
            }
        }
        let mut summary = ingestor.into_summary();
        if store.is_shared() {
            // Another replica may have stored some of these alerts since they were added: each
            // body is committed on its own so that its counts say so exactly.
            let outcome = current.writer.commit_counting()?;
            let already_stored = outcome.already_stored.min(summary.accepted);
            summary.accepted -= already_stored;
            summary.duplicates += already_stored;
        }
        results.push(Ok(IngestReport { shape: split.shape, summary }));
    }
    current.writer.commit()?;
    store.refresh()?;
    Ok(results)
}

/// Lends the long-lived writer to one request's [`Ingestor`].
struct Borrowed<'writer, 'store>(&'writer mut (dyn AlertWriter + 'store));

impl AlertWriter for Borrowed<'_, '_> {
    fn add(&mut self, alert: &saker_tools::alert::Alert, raw: &str) -> Result<AddOutcome, StoreError> {
        self.0.add(alert, raw)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.0.commit()
    }

    fn commit_counting(&mut self) -> Result<saker_tools::store::CommitOutcome, StoreError> {
        self.0.commit_counting()
    }

    fn pending(&self) -> usize {
        self.0.pending()
    }
}
