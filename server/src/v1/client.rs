//! The server's own client of `/v1`, as its own work (rollouts, the audit log) reaches the API:
//! the emulator in-process, or the upstream in proxy mode, through the same paths browsers'
//! requests take (faults and credentials included). Plus what that work needs of it: every
//! device, a device, a write.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderValue, Method};
use fleet_engine::AppNames;
use fleet_engine::rollout::planning;
use fleet_engine::rollout::{Report, WriteResult};
use microvisor_api::url::split_origin;
use microvisor_api::{ApiErrorBody, App, Device, ListPage, PageQuery};
use microvisor_sim::Method as SimMethod;

use crate::v1::emulator::state::AppState;
use crate::v1::emulator::{self, Outcome};
use crate::v1::proxy::Upstream;

/// An answer, whole.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Bytes,
}

/// A request that got no answer: it may or may not have been applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoAnswer(pub String);

/// Largest page the API gives.
const PAGE_SIZE: u32 = 1000;

/// Tries of one read before it counts as failed.
const READ_TRIES: u32 = 8;

/// The first page of devices, at the largest page size.
pub fn first_devices_page() -> String {
    format!("/v1/Devices?{}", PageQuery::first(PAGE_SIZE))
}

/// The path of the page after `page`, from its own link; none at the end.
pub fn next_page<T>(page: &ListPage<T>) -> Option<String> {
    page.meta
        .next_page_url
        .as_deref()
        .and_then(split_origin)
        .map(|(_, rest)| rest.to_owned())
}

#[derive(Clone)]
pub enum Api {
    Emulator(Arc<AppState>),
    Proxy(Arc<Upstream>),
}

impl Api {
    /// One request: `path_and_query` is `/v1/...`; `form` a form-encoded body.
    pub async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        form: Option<String>,
    ) -> Result<Answer, NoAnswer> {
        match self {
            Api::Emulator(state) => {
                let origin = format!("http://{}", state.listen);
                let (path, query) = path_and_query
                    .split_once('?')
                    .unwrap_or((path_and_query, ""));
                let body = form.unwrap_or_default();
                let outcome = emulator::call(
                    state,
                    emulator::Call {
                        method: SimMethod::parse(method.as_str()),
                        origin: &origin,
                        path,
                        query,
                        authorization: None,
                        content_type: Some("application/x-www-form-urlencoded"),
                        body: body.as_bytes(),
                        own: true,
                    },
                )
                .await;
                match outcome {
                    Outcome::Answered(answer) => Ok(Answer {
                        status: answer.status,
                        retry_after: None,
                        body: Bytes::from(answer.body),
                    }),
                    Outcome::Faulted(fault) => match fault.response() {
                        Some(answer) => Ok(Answer {
                            status: answer.status,
                            retry_after: fault.retry_after().map(|s| s.to_string()),
                            body: Bytes::from(answer.body),
                        }),
                        None => Err(NoAnswer("the connection dropped".to_owned())),
                    },
                    Outcome::NotSaved => Ok(Answer {
                        status: 500,
                        retry_after: None,
                        body: Bytes::from(
                            ApiErrorBody::new(
                                500,
                                20500,
                                "The emulator could not save this change.",
                            )
                            .to_json(),
                        ),
                    }),
                }
            }
            Api::Proxy(upstream) => {
                let content_type = HeaderValue::from_static("application/x-www-form-urlencoded");
                let response = upstream
                    .send(
                        method,
                        path_and_query,
                        form.as_ref().map(|_| &content_type),
                        Bytes::from(form.unwrap_or_default()),
                    )
                    .await
                    .map_err(|err| NoAnswer(err.to_string()))?;
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = response
                    .bytes()
                    .await
                    .map_err(|err| NoAnswer(err.without_url().to_string()))?;
                Ok(Answer {
                    status,
                    retry_after,
                    body,
                })
            }
        }
    }

    /// Every device, page by page, following the API's own links.
    pub async fn all_devices(&self) -> Result<Vec<Device>, String> {
        let mut devices = Vec::new();
        let mut next = Some(first_devices_page());
        while let Some(path) = next.take() {
            let page = self.devices_page(&path).await?;
            next = next_page(&page);
            devices.extend(page.items);
        }
        Ok(devices)
    }

    /// One page of devices, read patiently (see `read`).
    pub async fn devices_page(&self, path: &str) -> Result<ListPage<Device>, String> {
        self.read(path).await
    }

    /// The account's apps (the first 1,000), by SID and name.
    pub async fn apps(&self) -> Result<Vec<App>, String> {
        let page: ListPage<App> = self
            .read(&format!("/v1/Apps?{}", PageQuery::first(PAGE_SIZE)))
            .await?;
        Ok(page.items)
    }

    pub async fn app_names(&self) -> Result<AppNames, String> {
        Ok(AppNames::from_apps(&self.apps().await?))
    }

    /// A read, tried again through transient failures (a read can always be repeated): after
    /// a growing pause, or as long as a 429 or 503's `Retry-After` asks (up to a minute).
    async fn read<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let mut last = String::new();
        let mut wait = std::time::Duration::ZERO;
        for attempt in 1..=READ_TRIES {
            tokio::time::sleep(wait).await;
            wait = std::time::Duration::from_millis(200 * u64::from(attempt));
            match self.call(Method::GET, path, None).await {
                Ok(answer) if (200..300).contains(&answer.status) => {
                    return serde_json::from_slice(&answer.body)
                        .map_err(|err| format!("{path}: {err}"));
                }
                Ok(answer) if matches!(answer.status, 429 | 500 | 502 | 503 | 504) => {
                    if let Some(seconds) = answer
                        .retry_after
                        .as_deref()
                        .and_then(|value| value.trim().parse::<u64>().ok())
                    {
                        wait = std::time::Duration::from_secs(seconds.min(60));
                    }
                    last = message(&answer);
                }
                Ok(answer) => return Err(message(&answer)),
                Err(NoAnswer(reason)) => last = reason,
            }
        }
        Err(last)
    }

    /// One device as it is now: `Ok(None)` when it does not exist.
    pub async fn device(&self, sid: &str) -> Result<Option<Report>, String> {
        let path = format!("/v1/Devices/{}", microvisor_api::url::encode_segment(sid));
        match self.call(Method::GET, &path, None).await {
            Ok(answer) => planning::device_report(answer.status, &answer.body),
            Err(NoAnswer(reason)) => Err(reason),
        }
    }

    /// One rollout write (the form of a `DeviceUpdate`) to `path`: what the answer means for
    /// the rollout, with its status (0 when none came) and body for the audit log.
    pub async fn write_device(&self, path: &str, form: String) -> (WriteResult, u16, Bytes) {
        match self.call(Method::POST, path, Some(form)).await {
            Ok(answer) => (
                planning::write_result(answer.status, answer.retry_after.as_deref(), &answer.body),
                answer.status,
                answer.body,
            ),
            Err(NoAnswer(reason)) => (WriteResult::Unknown { reason }, 0, Bytes::new()),
        }
    }
}

/// What a failed answer says: the vendor's message, or its status.
fn message(answer: &Answer) -> String {
    planning::failure_message(answer.status, &answer.body)
}
