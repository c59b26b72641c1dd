//! The console's own API, beside the vendor's: saved views and rollouts. The server answers it
//! under `/console/v1`; in the demo the page does (`transport::in_page`). Same calls, same
//! retries and errors as every API call.

use console_protocol::{
    AuditPage, AuditVerdict, NewRollout, RolloutControl, RolloutList, RolloutPreview,
    RolloutSummary, SavedView, ViewInput, ViewList,
};
use fleet_engine::rollout::{Control, Rollout};
use microvisor_api::url::encode_segment;

use super::transport::{Body, HttpMethod};
use super::{ApiClient, ApiError};

impl ApiClient {
    /// Whether this backend keeps saved views and rollouts.
    pub fn has_console_api(&self) -> bool {
        self.console.is_some()
    }

    pub(super) async fn console_call<T: super::call::Decode>(
        &self,
        method: HttpMethod,
        path: &str,
        json: Option<String>,
    ) -> Result<T, ApiError> {
        let root = self.console.as_deref().ok_or_else(|| {
            ApiError::Network(
                "Saved views and rollouts are kept by the console's server (or the demo); a \
                 custom API URL has neither."
                    .to_owned(),
            )
        })?;
        let url = format!("{root}{path}");
        self.send(method, &url, json.as_deref().map(Body::Json))
            .await
    }

    pub(super) fn json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
        serde_json::to_string(value).map_err(|err| ApiError::Network(err.to_string()))
    }

    /// A page of the audit log, newest first: `query` as `AuditFilter::query` makes it,
    /// `before` the page's start (from the previous page's `next_before`).
    pub async fn list_audit(
        &self,
        query: &str,
        before: Option<i64>,
    ) -> Result<AuditPage, ApiError> {
        let mut path = format!("/audit?limit=100&{query}");
        if let Some(before) = before {
            path.push_str(&format!("&before={before}"));
        }
        self.console_call(HttpMethod::Get, &path, None).await
    }

    /// Checks the whole log's hash chain (admins).
    pub async fn verify_audit(&self) -> Result<AuditVerdict, ApiError> {
        self.console_call(HttpMethod::Post, "/audit/verify", Some("{}".to_owned()))
            .await
    }

    pub async fn list_views(&self) -> Result<Vec<SavedView>, ApiError> {
        let list: ViewList = self.console_call(HttpMethod::Get, "/views", None).await?;
        Ok(list.views)
    }

    pub async fn create_view(&self, input: &ViewInput) -> Result<SavedView, ApiError> {
        self.console_call(HttpMethod::Post, "/views", Some(Self::json(input)?))
            .await
    }

    /// Renames a view (and replaces its filter when the input carries one).
    pub async fn update_view(&self, id: &str, input: &ViewInput) -> Result<SavedView, ApiError> {
        let path = format!("/views/{}", encode_segment(id));
        self.console_call(HttpMethod::Post, &path, Some(Self::json(input)?))
            .await
    }

    pub async fn delete_view(&self, id: &str) -> Result<(), ApiError> {
        let path = format!("/views/{}", encode_segment(id));
        self.console_call::<serde_json::Value>(HttpMethod::Delete, &path, None)
            .await
            .map(|_| ())
    }

    pub async fn list_rollouts(&self) -> Result<Vec<RolloutSummary>, ApiError> {
        let list: RolloutList = self
            .console_call(HttpMethod::Get, "/rollouts", None)
            .await?;
        Ok(list.rollouts)
    }

    pub async fn preview_rollout(&self, request: &NewRollout) -> Result<RolloutPreview, ApiError> {
        self.console_call(
            HttpMethod::Post,
            "/rollouts/preview",
            Some(Self::json(request)?),
        )
        .await
    }

    pub async fn create_rollout(&self, request: &NewRollout) -> Result<RolloutSummary, ApiError> {
        self.console_call(HttpMethod::Post, "/rollouts", Some(Self::json(request)?))
            .await
    }

    pub async fn fetch_rollout(&self, id: &str) -> Result<Rollout, ApiError> {
        let path = format!("/rollouts/{}", encode_segment(id));
        self.console_call(HttpMethod::Get, &path, None).await
    }

    /// Asks for a control; the runner applies it within a second or so.
    pub async fn control_rollout(&self, id: &str, control: Control) -> Result<(), ApiError> {
        let path = format!("/rollouts/{}/control", encode_segment(id));
        let body = Self::json(&RolloutControl { control })?;
        self.console_call::<serde_json::Value>(HttpMethod::Post, &path, Some(body))
            .await
            .map(|_| ())
    }
}
