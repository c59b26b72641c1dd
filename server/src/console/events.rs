//! `GET /console/v1/events`: server-sent events, one stream per tab, fed by the server's hub
//! (`hub.rs`). A stream resumes after `Last-Event-ID` from the store without a gap; one that asks for
//! events already let go, or falls more than the channel behind, is told to resync (reload its
//! data) and goes on from there.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast;

use super::hub::{BATCH, EventHub, Published};
use super::shared::{ConsoleApi, store_error};
use crate::store::{Store, StoreError};
/// Heartbeats keep proxies from closing a quiet stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Where a stream starts: after an event, or told to resync first.
async fn start(hub: &EventHub, last_event_id: Option<i64>) -> Result<(i64, bool), StoreError> {
    let (head, oldest) = hub.store().event_bounds().await?;
    Ok(match last_event_id {
        // From now: what the hub has published, or the head before it has read the store.
        None => (
            if hub.last() < 0 {
                head
            } else {
                hub.last().min(head)
            },
            false,
        ),
        // Within what is kept: resume exactly.
        Some(id) if id <= head && id + 1 >= oldest => (id, false),
        // Let go already, or from another store: reload, then go on from now.
        Some(_) => (head, true),
    })
}

struct Streaming {
    store: Store,
    receiver: broadcast::Receiver<Arc<Published>>,
    /// The last event sent.
    sent: i64,
    /// Read from the store, not yet sent.
    backlog: std::collections::VecDeque<Arc<Published>>,
    /// Still reading the store (then the channel).
    catching_up: bool,
    resync: bool,
}

impl Streaming {
    async fn next(&mut self) -> Option<Arc<Published>> {
        if std::mem::take(&mut self.resync) {
            return Some(Arc::new(Published::resync()));
        }
        loop {
            if let Some(event) = self.backlog.pop_front() {
                self.sent = event.seq;
                return Some(event);
            }
            if self.catching_up {
                match self.store.events_after(self.sent, BATCH).await {
                    Ok(events) => {
                        self.catching_up = events.len() as i64 == BATCH;
                        self.backlog.extend(
                            events
                                .into_iter()
                                .map(|(seq, kind, body)| Arc::new(Published::of(seq, &kind, body))),
                        );
                        continue;
                    }
                    // The store down: the client reconnects with its last id.
                    Err(err) => {
                        tracing::warn!("an event stream could not catch up: {err}");
                        return None;
                    }
                }
            }
            match self.receiver.recv().await {
                Ok(event) if event.seq > self.sent => {
                    self.sent = event.seq;
                    return Some(event);
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some(Arc::new(Published::resync()));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// The events after `sent`, from the store and then from the channel, as they happen.
fn stream_of(
    store: Store,
    receiver: broadcast::Receiver<Arc<Published>>,
    sent: i64,
    resync: bool,
) -> impl Stream<Item = Arc<Published>> + Send + 'static {
    let streaming = Streaming {
        store,
        receiver,
        sent,
        backlog: Default::default(),
        catching_up: true,
        resync,
    };
    stream::unfold(streaming, |mut streaming| async move {
        let event = streaming.next().await?;
        Some((event, streaming))
    })
}

/// `GET /console/v1/events`.
pub async fn events(State(state): State<Arc<ConsoleApi>>, headers: HeaderMap) -> Response {
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<i64>().ok());
    let hub = &state.events;
    // Subscribed before the store is read, so nothing falls between the two.
    let receiver = hub.subscribe();
    let (sent, resync) = match start(hub, last_event_id).await {
        Ok(start) => start,
        Err(err) => return store_error(err),
    };
    let events = stream_of(hub.store().clone(), receiver, sent, resync);
    let sse = futures_util::StreamExt::map(events, |event| {
        let mut sse = Event::default().event(event.name).data(event.data.as_str());
        if event.seq > 0 {
            sse = sse.id(event.seq.to_string());
        }
        Ok::<_, std::convert::Infallible>(sse)
    });
    let mut response = Sse::new(sse)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response();
    // nginx buffers answers unless told not to, which would hold events back.
    response
        .headers_mut()
        .insert("x-accel-buffering", "no".parse().expect("a valid header"));
    response
}
