//! The HTTP layer under async-openai: Saker's own timeouts and bounded retries.
//!
//! async-openai 0.43's default client wraps every request in its `OpenAIRetryLayer` (3 retries
//! on 429, 5xx and connection errors, 100 ms doubling, `Retry-After` honoured however long), so
//! a retry loop around it would multiply attempts. Saker installs this service instead
//! (`Client::with_http_service`, the `middleware` feature): a model call is sent at most
//! `1 + max_retries` times, retried only on 429 and 5xx, after `retry_delay_ms` doubled each
//! retry, or after the server's `Retry-After` when it is at most [`RETRY_AFTER_LIMIT`].
//! Connection errors are not retried: an unreachable server is reported at once.

use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use futures_util::future::BoxFuture;
use reqwest::{Response, StatusCode};

use super::settings::EffectiveLlmSettings;

/// The longest `Retry-After` Saker waits for; a longer one falls back to its own backoff.
pub const RETRY_AFTER_LIMIT: Duration = Duration::from_secs(30);

/// The longest backoff delay between two attempts.
const BACKOFF_LIMIT: Duration = Duration::from_secs(30);

/// The HTTP client for model calls: connecting may take at most `timeout_seconds` (and 10 s at
/// most), and every read (the response head, each piece of a stream) at most
/// `timeout_seconds`, so a silent server is abandoned while a long streamed answer that keeps
/// coming is not cut.
pub fn http_client(settings: &EffectiveLlmSettings) -> Result<reqwest::Client, String> {
    let timeout = Duration::from_secs(settings.timeout_seconds);
    reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .read_timeout(timeout)
        .user_agent(concat!("saker/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| format!("llm: cannot build the HTTP client: {error}"))
}

/// When to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The delay before the first retry; doubled for each further one.
    pub first_delay: Duration,
}

impl RetryPolicy {
    /// The policy of the settings.
    pub fn of(settings: &EffectiveLlmSettings) -> RetryPolicy {
        RetryPolicy { max_retries: settings.max_retries, first_delay: Duration::from_millis(settings.retry_delay_ms) }
    }

    /// The delay before retry number `retry` (from 1): the server's `Retry-After` when it
    /// gave a short one, else `first_delay * 2^(retry-1)`, at most 30 s.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(wait) if wait <= RETRY_AFTER_LIMIT => wait,
            _ => self.first_delay.saturating_mul(2u32.saturating_pow(retry.saturating_sub(1))).min(BACKOFF_LIMIT),
        }
    }
}

/// True for the statuses worth another attempt: 429 (rate limited) and 5xx.
pub fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// A tower service that sends a request with reqwest and retries it under a [`RetryPolicy`].
/// The last response is returned as it is (async-openai turns an error status into an
/// `ApiError` carrying it).
#[derive(Debug, Clone)]
pub struct RetryingService {
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl RetryingService {
    /// A service over `client`.
    pub fn new(client: reqwest::Client, policy: RetryPolicy) -> RetryingService {
        RetryingService { client, policy }
    }
}

impl tower::Service<HttpRequestFactory> for RetryingService {
    type Response = Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<Response, OpenAIError>>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let (client, policy) = (self.client.clone(), self.policy);
        Box::pin(async move {
            let mut retry = 0;
            loop {
                let request = factory.build().await?;
                let response = client.execute(request).await.map_err(OpenAIError::Reqwest)?;
                let status = response.status();
                if !is_retryable(status) || retry >= policy.max_retries {
                    return Ok(response);
                }
                retry += 1;
                let delay = policy.delay(retry, retry_after(&response));
                tracing::warn!(
                    status = status.as_u16(),
                    retry,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "model server busy, retrying"
                );
                drop(response);
                tokio::time::sleep(delay).await;
            }
        })
    }
}

/// The `Retry-After` header in seconds (the HTTP-date form is not used by model servers and
/// falls back to the backoff).
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_a_short_retry_after_wins() {
        let policy = RetryPolicy { max_retries: 3, first_delay: Duration::from_millis(500) };
        assert_eq!(policy.delay(1, None), Duration::from_millis(500));
        assert_eq!(policy.delay(2, None), Duration::from_millis(1000));
        assert_eq!(policy.delay(3, None), Duration::from_millis(2000));
        assert_eq!(policy.delay(30, None), BACKOFF_LIMIT);
        assert_eq!(policy.delay(1, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(policy.delay(2, Some(Duration::from_secs(3600))), Duration::from_millis(1000));
    }

    #[test]
    fn only_rate_limits_and_server_errors_are_retried() {
        assert!(is_retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(is_retryable(StatusCode::SERVICE_UNAVAILABLE));
        assert!(is_retryable(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!is_retryable(StatusCode::BAD_REQUEST));
        assert!(!is_retryable(StatusCode::UNAUTHORIZED));
        assert!(!is_retryable(StatusCode::NOT_FOUND));
    }
}
