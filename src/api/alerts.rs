//! Alert rules on the console's server: list (with the bell's count), make, acknowledge,
//! silence, delete, and a rule's history with its delivery log.

use console_protocol::{
    AckBody, AlertHistory, AlertList, AlertRuleBody, AlertRuleView, SilenceBody,
};
use microvisor_api::url::encode_segment;

use super::transport::HttpMethod;
use super::{ApiClient, ApiError};

/// The one field of `AlertList` the bell needs: read alone, so the first load does not carry
/// the decoders of every rule.
#[derive(serde::Deserialize)]
struct Firing {
    firing: u64,
}

impl ApiClient {
    /// How many rules are firing (the bell).
    pub async fn alerts_firing(&self) -> Result<u64, ApiError> {
        let firing: Firing = self.console_call(HttpMethod::Get, "/alerts", None).await?;
        Ok(firing.firing)
    }

    pub async fn list_alerts(&self) -> Result<AlertList, ApiError> {
        self.console_call(HttpMethod::Get, "/alerts", None).await
    }

    /// Makes a rule; the answer carries each new webhook's signing secret, once.
    pub async fn create_alert(&self, rule: &AlertRuleBody) -> Result<AlertRuleView, ApiError> {
        self.console_call(HttpMethod::Post, "/alerts", Some(Self::json(rule)?))
            .await
    }

    pub async fn acknowledge_alert(&self, id: &str, note: &str) -> Result<AlertRuleView, ApiError> {
        let path = format!("/alerts/{}/ack", encode_segment(id));
        let body = AckBody {
            note: note.to_owned(),
        };
        self.console_call(HttpMethod::Post, &path, Some(Self::json(&body)?))
            .await
    }

    /// Holds notifications back until `until_ms` (0 lifts the silence).
    pub async fn silence_alert(&self, id: &str, until_ms: i64) -> Result<AlertRuleView, ApiError> {
        let path = format!("/alerts/{}/silence", encode_segment(id));
        let body = SilenceBody { until_ms };
        self.console_call(HttpMethod::Post, &path, Some(Self::json(&body)?))
            .await
    }

    pub async fn delete_alert(&self, id: &str) -> Result<(), ApiError> {
        let path = format!("/alerts/{}", encode_segment(id));
        self.console_call::<serde_json::Value>(HttpMethod::Delete, &path, None)
            .await
            .map(|_| ())
    }

    pub async fn alert_history(&self, id: &str) -> Result<AlertHistory, ApiError> {
        let path = format!("/alerts/{}/history", encode_segment(id));
        self.console_call(HttpMethod::Get, &path, None).await
    }
}
