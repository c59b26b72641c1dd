//! `/console/v1/alerts…`: rules (admins write them), acknowledgements and silences
//! (operators), history and deliveries (everyone signed in reads them). A body is read field
//! by field: an unknown field, a value of the wrong kind and a value out of range are each a
//! 400 that names the field.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use console_protocol::{
    AckBody, AlertHistory, AlertList, AlertRuleBody, AlertRuleView, Operator, SilenceBody,
    WebhookBody, WebhookView,
};
use fleet_engine::alerts::{Ack, AlertRule, AlertState, RuleInput};
use serde::de::DeserializeOwned;

use super::webhook;
use crate::clock::unix_now_ms;
use crate::console::shared::{ConsoleApi, invalid, new_id, store_error};
use crate::store::{StateChange, Webhook};

/// Transitions and deliveries a history shows.
const HISTORY: i64 = 200;

/// A JSON body, or the 400's message: which field is wrong and how.
fn read<T: DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        }
    })
}

/// A rule's body. Its condition is a tagged enum, through which serde cannot say which of
/// its numbers is wrong: those are looked at first, so the 400 names `condition.hours`.
fn read_rule(body: &Bytes) -> Result<AlertRuleBody, String> {
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body)
        && let Some(serde_json::Value::Object(condition)) = fields.get("condition")
    {
        for (name, value) in condition {
            if name == "kind" {
                continue;
            }
            let field = format!("condition.{name}");
            match value.as_f64() {
                None => return Err(format!("{field}: must be a number")),
                Some(n) if n < 0.0 => {
                    return Err(format!("{field}: must not be negative (got {n})"));
                }
                Some(_) => {}
            }
        }
    }
    read(body)
}

fn who(operator: Option<axum::Extension<Operator>>) -> String {
    // "console" only where nothing identified them (tests in-process).
    operator.map_or_else(|| "console".to_owned(), |axum::Extension(op)| op.name)
}

/// The person's part of a rule, checked; the webhooks to add with it. Or the 400's message.
fn checked(
    state: &ConsoleApi,
    body: AlertRuleBody,
) -> Result<(RuleInput, Vec<WebhookBody>), String> {
    let input = RuleInput {
        name: body.name.trim().to_owned(),
        scope: body.scope,
        condition: body.condition,
        reminder_minutes: body.reminder_minutes,
    };
    input.check().map_err(|err| err.to_string())?;
    if !state.index && !input.condition.is_about_rollouts() {
        return Err(
            "condition: a rule about devices needs the fleet index, and this server \
                    runs with --no-index"
                .to_owned(),
        );
    }
    Ok((input, body.webhooks))
}

/// A webhook to keep, its URL checked (and resolved), its secret new.
async fn new_webhook(
    state: &ConsoleApi,
    rule_id: &str,
    body: WebhookBody,
    field: &str,
) -> Result<Webhook, String> {
    let url = webhook::parse(&body.url).map_err(|why| format!("{field}: {why}"))?;
    webhook::resolve(&url, state.allow_private_webhooks)
        .await
        .map_err(|why| format!("{field}: {why}"))?;
    let secret = webhook::new_secret()?;
    Ok(Webhook {
        id: new_id("WH"),
        rule_id: rule_id.to_owned(),
        url: url.to_string(),
        format: body.format,
        secret,
        created_ms: unix_now_ms(),
    })
}

/// A webhook as shown, with its secret when it was just made.
fn shown(webhook: &Webhook, with_secret: bool) -> WebhookView {
    WebhookView {
        id: webhook.id.clone(),
        url_shown: webhook::shown(&webhook.url),
        format: webhook.format,
        created_ms: webhook.created_ms,
        secret: with_secret.then(|| webhook.secret.clone()),
    }
}

fn view_of(
    rule: AlertRule,
    state: AlertState,
    webhooks: &[Webhook],
    secrets: bool,
) -> AlertRuleView {
    AlertRuleView {
        rule,
        state,
        webhooks: webhooks.iter().map(|w| shown(w, secrets)).collect(),
    }
}

pub async fn list_alerts(State(state): State<Arc<ConsoleApi>>) -> Response {
    match state.store.alert_rules().await {
        Ok(rules) => {
            let firing = rules.iter().filter(|(_, s, _)| s.firing).count() as u64;
            let rules = rules
                .into_iter()
                .map(|(rule, s, webhooks)| view_of(rule, s, &webhooks, false))
                .collect();
            Json(AlertList { rules, firing }).into_response()
        }
        Err(err) => store_error(err),
    }
}

pub async fn create_alert(
    State(state): State<Arc<ConsoleApi>>,
    operator: Option<axum::Extension<Operator>>,
    body: Bytes,
) -> Response {
    let body: AlertRuleBody = match read_rule(&body) {
        Ok(body) => body,
        Err(message) => return invalid(&message),
    };
    let (input, asked) = match checked(&state, body) {
        Ok(checked) => checked,
        Err(message) => return invalid(&message),
    };
    let now = unix_now_ms();
    let rule = AlertRule {
        id: new_id("AR"),
        input,
        created_by: who(operator),
        created_ms: now,
        updated_ms: now,
    };
    let mut webhooks = Vec::new();
    for (at, body) in asked.into_iter().enumerate() {
        match new_webhook(&state, &rule.id, body, &format!("webhooks[{at}].url")).await {
            Ok(webhook) => webhooks.push(webhook),
            Err(message) => return invalid(&message),
        }
    }
    match state
        .store
        .create_alert_rule(rule.clone(), webhooks.clone())
        .await
    {
        Ok(()) => (
            StatusCode::CREATED,
            Json(view_of(rule, AlertState::default(), &webhooks, true)),
        )
            .into_response(),
        Err(err) => store_error(err),
    }
}

pub async fn get_alert(State(state): State<Arc<ConsoleApi>>, Path(id): Path<String>) -> Response {
    match state.store.alert_rule(&id).await {
        Ok((rule, s, webhooks)) => Json(view_of(rule, s, &webhooks, false)).into_response(),
        Err(err) => store_error(err),
    }
}

pub async fn update_alert(
    State(state): State<Arc<ConsoleApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body: AlertRuleBody = match read_rule(&body) {
        Ok(body) => body,
        Err(message) => return invalid(&message),
    };
    if !body.webhooks.is_empty() {
        return invalid(&format!(
            "webhooks: add and remove them at /console/v1/alerts/{id}/webhooks"
        ));
    }
    let (input, _) = match checked(&state, body) {
        Ok(checked) => checked,
        Err(message) => return invalid(&message),
    };
    if let Err(err) = state
        .store
        .update_alert_rule(&id, input, unix_now_ms())
        .await
    {
        return store_error(err);
    }
    get_alert(State(state), Path(id)).await
}

pub async fn delete_alert(
    State(state): State<Arc<ConsoleApi>>,
    Path(id): Path<String>,
) -> Response {
    match state.store.delete_alert_rule(&id, unix_now_ms()).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => store_error(err),
    }
}

pub async fn add_webhook(
    State(state): State<Arc<ConsoleApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body: WebhookBody = match read(&body) {
        Ok(body) => body,
        Err(message) => return invalid(&message),
    };
    let webhook = match new_webhook(&state, &id, body, "url").await {
        Ok(webhook) => webhook,
        Err(message) => return invalid(&message),
    };
    match state.store.add_webhook(webhook.clone()).await {
        Ok(()) => (StatusCode::CREATED, Json(shown(&webhook, true))).into_response(),
        Err(err) => store_error(err),
    }
}

pub async fn delete_webhook(
    State(state): State<Arc<ConsoleApi>>,
    Path((id, webhook)): Path<(String, String)>,
) -> Response {
    match state.store.delete_webhook(&id, &webhook).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => store_error(err),
    }
}

/// The rule after a person's change, as shown.
async fn changed(state: Arc<ConsoleApi>, id: String, change: StateChange) -> Response {
    match state.store.change_alert(&id, change).await {
        Ok(_) => get_alert(State(state), Path(id)).await,
        Err(err) => store_error(err),
    }
}

pub async fn acknowledge(
    State(state): State<Arc<ConsoleApi>>,
    Path(id): Path<String>,
    operator: Option<axum::Extension<Operator>>,
    body: Bytes,
) -> Response {
    let body: AckBody = match read(&body) {
        Ok(body) => body,
        Err(message) => return invalid(&message),
    };
    if body.note.chars().count() > 500 {
        return invalid("note: at most 500 characters");
    }
    let ack = Ack {
        by: who(operator),
        at_ms: unix_now_ms(),
        note: body.note,
    };
    changed(state, id, StateChange::Ack(ack)).await
}

pub async fn silence(
    State(state): State<Arc<ConsoleApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body: SilenceBody = match read(&body) {
        Ok(body) => body,
        Err(message) => return invalid(&message),
    };
    let now_ms = unix_now_ms();
    if body.until_ms != 0 && body.until_ms <= now_ms {
        return invalid("until_ms: must be in the future, or 0 to lift the silence");
    }
    let change = StateChange::Silence {
        until_ms: body.until_ms,
        now_ms,
    };
    changed(state, id, change).await
}

pub async fn history(State(state): State<Arc<ConsoleApi>>, Path(id): Path<String>) -> Response {
    match state.store.alert_history(&id, HISTORY).await {
        Ok((transitions, deliveries)) => Json(AlertHistory {
            transitions,
            deliveries,
        })
        .into_response(),
        Err(err) => store_error(err),
    }
}
