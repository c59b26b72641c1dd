//! The alert rules' operations: rules with their alert's state (read and written whole,
//! under the rule's row lock, so an evaluation and a person's acknowledgement never undo each
//! other), their webhooks, the transitions and, in the same transaction as each transition,
//! one delivery per webhook, tried until delivered or given up.

use console_protocol::{ConsoleEvent, Delivery, DeliveryStatus};
use fleet_engine::alerts::notify::Format;
use fleet_engine::alerts::{AlertRule, AlertState, RuleInput, Seen, Transition};

use super::error::StoreError;
use super::events;
use super::tx::{Row, Tx, Value};

/// A webhook as kept, its URL and secret whole: for sending, never for showing.
#[derive(Clone)]
pub struct Webhook {
    pub id: String,
    pub rule_id: String,
    pub url: String,
    pub format: Format,
    pub secret: String,
    pub created_ms: i64,
}

impl std::fmt::Debug for Webhook {
    /// A webhook URL is a secret (it often carries a token), like the signing secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("rule_id", &self.rule_id)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// A delivery due now, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Due {
    pub webhook: Webhook,
    pub rule: AlertRule,
    pub transition: Transition,
    pub attempts: u32,
    pub created_ms: i64,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered {
        code: u16,
    },
    /// Try again at `next_ms`.
    Retry {
        code: u16,
        error: String,
        next_ms: i64,
    },
    Failed {
        code: u16,
        error: String,
    },
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|err| StoreError::Conflict(format!("a value that cannot be saved: {err}")))
}

fn parsed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|err| StoreError::Incompatible(format!("a stored alert: {err}")))
}

fn format_word(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Slack => "slack",
    }
}

fn webhook_of(row: &Row) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: row.text(0)?,
        rule_id: row.text(1)?,
        url: row.text(2)?,
        format: if row.text(3)? == "slack" {
            Format::Slack
        } else {
            Format::Json
        },
        secret: row.text(4)?,
        created_ms: row.int(5)?,
    })
}

const WEBHOOK_COLUMNS: &str = "id, rule_id, url, format, secret, created_ms";

pub async fn create_rule(
    tx: &mut dyn Tx,
    rule: AlertRule,
    webhooks: Vec<Webhook>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO alert_rules (id, rule, state, created_ms) VALUES (?, ?, ?, ?)",
        vec![
            rule.id.as_str().into(),
            json(&rule)?.into(),
            json(&AlertState::default())?.into(),
            rule.created_ms.into(),
        ],
    )
    .await?;
    for webhook in webhooks {
        add_webhook(tx, webhook).await?;
    }
    tell(tx, &rule, None, rule.created_ms).await
}

pub async fn add_webhook(tx: &mut dyn Tx, webhook: Webhook) -> Result<(), StoreError> {
    rule_row(tx, &webhook.rule_id, false).await?;
    tx.execute(
        &format!("INSERT INTO alert_webhooks ({WEBHOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"),
        vec![
            webhook.id.into(),
            webhook.rule_id.into(),
            webhook.url.into(),
            format_word(webhook.format).into(),
            webhook.secret.into(),
            webhook.created_ms.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Removes a webhook and what it had left to deliver.
pub async fn delete_webhook(
    tx: &mut dyn Tx,
    rule_id: String,
    id: String,
) -> Result<(), StoreError> {
    let gone = tx
        .execute(
            "DELETE FROM alert_webhooks WHERE id = ? AND rule_id = ?",
            vec![id.as_str().into(), rule_id.into()],
        )
        .await?;
    if gone == 0 {
        return Err(StoreError::NotFound(format!(
            "no webhook {id} on this rule"
        )));
    }
    tx.execute(
        "DELETE FROM alert_deliveries WHERE webhook_id = ?",
        vec![id.into()],
    )
    .await?;
    Ok(())
}

/// A rule's row, locked when `lock`: (rule, state).
async fn rule_row(
    tx: &mut dyn Tx,
    id: &str,
    lock: bool,
) -> Result<(AlertRule, AlertState), StoreError> {
    let sql = "SELECT rule, state FROM alert_rules WHERE id = ?";
    let rows = if lock {
        tx.query_locked(sql, vec![id.into()]).await?
    } else {
        tx.query(sql, vec![id.into()]).await?
    };
    let row = rows
        .first()
        .ok_or_else(|| StoreError::NotFound(format!("no alert rule {id}")))?;
    Ok((parsed(&row.text(0)?)?, parsed(&row.text(1)?)?))
}

async fn webhooks_of(tx: &mut dyn Tx, rule_id: &str) -> Result<Vec<Webhook>, StoreError> {
    tx.query(
        &format!(
            "SELECT {WEBHOOK_COLUMNS} FROM alert_webhooks WHERE rule_id = ? ORDER BY created_ms, id"
        ),
        vec![rule_id.into()],
    )
    .await?
    .iter()
    .map(webhook_of)
    .collect()
}

/// A rule, its state and webhooks.
pub async fn get_rule(
    tx: &mut dyn Tx,
    id: String,
) -> Result<(AlertRule, AlertState, Vec<Webhook>), StoreError> {
    let (rule, state) = rule_row(tx, &id, false).await?;
    let webhooks = webhooks_of(tx, &id).await?;
    Ok((rule, state, webhooks))
}

/// Every rule, oldest first, with its state and webhooks.
pub async fn list_rules(
    tx: &mut dyn Tx,
) -> Result<Vec<(AlertRule, AlertState, Vec<Webhook>)>, StoreError> {
    let rows = tx
        .query(
            "SELECT rule, state FROM alert_rules ORDER BY created_ms, id",
            vec![],
        )
        .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for row in rows {
        let rule: AlertRule = parsed(&row.text(0)?)?;
        let webhooks = webhooks_of(tx, &rule.id).await?;
        rules.push((rule, parsed(&row.text(1)?)?, webhooks));
    }
    Ok(rules)
}

/// How many rules are firing: the bell.
pub async fn firing(tx: &mut dyn Tx) -> Result<u64, StoreError> {
    let mut firing = 0;
    for row in tx.query("SELECT state FROM alert_rules", vec![]).await? {
        let state: AlertState = parsed(&row.text(0)?)?;
        firing += u64::from(state.firing);
    }
    Ok(firing)
}

/// Replaces a rule's person-written part; its alert's state stays.
pub async fn update_rule(
    tx: &mut dyn Tx,
    id: String,
    input: RuleInput,
    now_ms: i64,
) -> Result<AlertRule, StoreError> {
    let (mut rule, _) = rule_row(tx, &id, true).await?;
    rule.input = input;
    rule.updated_ms = now_ms;
    tx.execute(
        "UPDATE alert_rules SET rule = ? WHERE id = ?",
        vec![json(&rule)?.into(), id.into()],
    )
    .await?;
    tell(tx, &rule, None, now_ms).await?;
    Ok(rule)
}

pub async fn delete_rule(
    tx: &mut dyn Tx,
    id: String,
    now_ms: i64,
) -> Result<AlertRule, StoreError> {
    let (rule, _) = rule_row(tx, &id, true).await?;
    for table in ["alert_deliveries", "alert_transitions", "alert_webhooks"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE rule_id = ?"),
            vec![id.as_str().into()],
        )
        .await?;
    }
    tx.execute("DELETE FROM alert_rules WHERE id = ?", vec![id.into()])
        .await?;
    tell(tx, &rule, None, now_ms).await?;
    Ok(rule)
}

/// What changes a rule's state: an evaluation, or a person.
pub enum StateChange {
    /// What an evaluation at `now_ms` saw (in `took_ms`), and whether the condition holds.
    Seen {
        fires: bool,
        seen: Seen,
        now_ms: i64,
        took_ms: u64,
    },
    /// The evaluation failed (a deleted saved view, say): said on the rule, state kept.
    Failed {
        error: String,
        now_ms: i64,
    },
    Ack(fleet_engine::alerts::Ack),
    Silence {
        until_ms: i64,
        now_ms: i64,
    },
}

/// Tells every open console (and the watcher) that a rule changed.
async fn tell(
    tx: &mut dyn Tx,
    rule: &AlertRule,
    transition: Option<&Transition>,
    at_ms: i64,
) -> Result<(), StoreError> {
    let event = ConsoleEvent::Alert {
        rule_id: rule.id.clone(),
        name: rule.input.name.clone(),
        transition: transition.map(|t| t.kind),
        firing: firing(tx).await?,
    };
    events::append(tx, at_ms, &event).await?;
    Ok(())
}

/// Applies `change` to rule `id` under its row lock. A transition is kept with one delivery
/// per webhook (silenced ones marked so), and an event tells every open console; the state
/// after, and the transition if there was one.
pub async fn change_state(
    tx: &mut dyn Tx,
    id: String,
    change: StateChange,
) -> Result<(AlertState, Option<Transition>), StoreError> {
    let (rule, mut state) = rule_row(tx, &id, true).await?;
    let mut transition = None;
    let (told, at_ms) = match change {
        StateChange::Seen {
            fires,
            seen,
            now_ms,
            took_ms,
        } => {
            let reminder = rule.input.reminder_minutes.map(|m| i64::from(m) * 60_000);
            // A rule's first evaluation, or one after it could not be evaluated, is news too.
            let news = state.evaluated_ms == 0 || !state.error.is_empty();
            transition = state.observe(fires, seen, now_ms, reminder);
            state.took_ms = took_ms;
            (news || transition.is_some(), now_ms)
        }
        StateChange::Failed { error, now_ms } => {
            let news = state.error != error;
            state.error = error;
            state.evaluated_ms = now_ms;
            (news, now_ms)
        }
        StateChange::Ack(ack) => {
            let at_ms = ack.at_ms;
            if !state.acknowledge(ack) {
                return Err(StoreError::Conflict(
                    "the alert is not firing: there is nothing to acknowledge".into(),
                ));
            }
            (true, at_ms)
        }
        StateChange::Silence { until_ms, now_ms } => {
            state.silenced_until_ms = until_ms;
            (true, now_ms)
        }
    };
    tx.execute(
        "UPDATE alert_rules SET state = ? WHERE id = ?",
        vec![json(&state)?.into(), id.as_str().into()],
    )
    .await?;
    if let Some(transition) = &transition {
        record_transition(tx, &rule, transition).await?;
    }
    if told {
        tell(tx, &rule, transition.as_ref(), at_ms).await?;
    }
    Ok((state, transition))
}

async fn record_transition(
    tx: &mut dyn Tx,
    rule: &AlertRule,
    transition: &Transition,
) -> Result<(), StoreError> {
    let seq = transition.seq as i64;
    tx.execute(
        "INSERT INTO alert_transitions (rule_id, seq, body) VALUES (?, ?, ?)",
        vec![
            rule.id.as_str().into(),
            seq.into(),
            json(transition)?.into(),
        ],
    )
    .await?;
    let status = if transition.silenced {
        DeliveryStatus::Silenced
    } else {
        DeliveryStatus::Pending
    };
    for webhook in webhooks_of(tx, &rule.id).await? {
        tx.execute(
            "INSERT INTO alert_deliveries (rule_id, seq, webhook_id, kind, status, attempts, \
             last_code, last_error, created_ms, updated_ms, next_ms) \
             VALUES (?, ?, ?, ?, ?, 0, 0, '', ?, ?, ?)",
            vec![
                rule.id.as_str().into(),
                seq.into(),
                webhook.id.into(),
                transition.kind.word().into(),
                status.word().into(),
                transition.at_ms.into(),
                transition.at_ms.into(),
                transition.at_ms.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// A rule's transitions and deliveries, newest first, up to `limit` of each.
pub async fn history(
    tx: &mut dyn Tx,
    id: String,
    limit: i64,
) -> Result<(Vec<Transition>, Vec<Delivery>), StoreError> {
    rule_row(tx, &id, false).await?;
    let transitions = tx
        .query(
            "SELECT body FROM alert_transitions WHERE rule_id = ? ORDER BY seq DESC LIMIT ?",
            vec![id.as_str().into(), limit.into()],
        )
        .await?
        .iter()
        .map(|row| parsed(&row.text(0)?))
        .collect::<Result<Vec<Transition>, _>>()?;
    let deliveries = tx
        .query(
            "SELECT webhook_id, seq, kind, status, attempts, last_code, last_error, created_ms, \
             updated_ms, next_ms FROM alert_deliveries WHERE rule_id = ? \
             ORDER BY seq DESC, webhook_id LIMIT ?",
            vec![id.into(), limit.into()],
        )
        .await?
        .iter()
        .map(delivery_of)
        .collect::<Result<Vec<Delivery>, _>>()?;
    Ok((transitions, deliveries))
}

fn delivery_of(row: &Row) -> Result<Delivery, StoreError> {
    let kind = row.text(2)?;
    Ok(Delivery {
        webhook_id: row.text(0)?,
        seq: row.int(1)? as u64,
        kind: parsed(&format!("\"{kind}\""))?,
        status: DeliveryStatus::of_word(&row.text(3)?)
            .ok_or_else(|| StoreError::Incompatible("a delivery's status".into()))?,
        attempts: row.int(4)? as u32,
        last_code: row.int(5)? as u16,
        last_error: row.text(6)?,
        created_ms: row.int(7)?,
        updated_ms: row.int(8)?,
        next_ms: row.int(9)?,
    })
}

/// Up to `limit` deliveries due at `now_ms`, each its webhook's oldest pending one: a
/// webhook's transitions arrive in order, a later one never before an earlier.
pub async fn due(tx: &mut dyn Tx, now_ms: i64, limit: i64) -> Result<Vec<Due>, StoreError> {
    let rows = tx
        .query(
            "SELECT d.webhook_id, d.seq, d.attempts, d.created_ms, t.body, r.rule, \
             w.id, w.rule_id, w.url, w.format, w.secret, w.created_ms \
             FROM alert_deliveries d \
             JOIN alert_transitions t ON t.rule_id = d.rule_id AND t.seq = d.seq \
             JOIN alert_rules r ON r.id = d.rule_id \
             JOIN alert_webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_ms <= ? AND NOT EXISTS ( \
               SELECT 1 FROM alert_deliveries e WHERE e.webhook_id = d.webhook_id \
               AND e.status = 'pending' AND e.seq < d.seq) \
             ORDER BY d.created_ms, d.seq LIMIT ?",
            vec![now_ms.into(), limit.into()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Due {
                attempts: row.int(2)? as u32,
                created_ms: row.int(3)?,
                transition: parsed(&row.text(4)?)?,
                rule: parsed(&row.text(5)?)?,
                webhook: webhook_of(&Row(row.0[6..].to_vec()))?,
            })
        })
        .collect()
}

/// Records how an attempt at delivery (`webhook_id`, `seq`) went.
pub async fn record_attempt(
    tx: &mut dyn Tx,
    webhook_id: String,
    seq: u64,
    attempt: Attempt,
    now_ms: i64,
) -> Result<(), StoreError> {
    let (status, code, error, next_ms) = match attempt {
        Attempt::Delivered { code } => (DeliveryStatus::Delivered, code, String::new(), 0),
        Attempt::Retry {
            code,
            error,
            next_ms,
        } => (DeliveryStatus::Pending, code, error, next_ms),
        Attempt::Failed { code, error } => (DeliveryStatus::Failed, code, error, 0),
    };
    tx.execute(
        "UPDATE alert_deliveries SET status = ?, attempts = attempts + 1, last_code = ?, \
         last_error = ?, updated_ms = ?, next_ms = ? WHERE webhook_id = ? AND seq = ? \
         AND status = 'pending'",
        vec![
            status.word().into(),
            Value::Int(i64::from(code)),
            error.into(),
            now_ms.into(),
            next_ms.into(),
            webhook_id.into(),
            (seq as i64).into(),
        ],
    )
    .await?;
    Ok(())
}
