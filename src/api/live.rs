//! Live updates for this tab: one event stream from the console's server, opened once and
//! kept open (reconnecting with `Last-Event-ID`, so nothing is missed), its events handed to
//! whichever views listen. While it is up the pages say "live" and stop polling; when it
//! cannot be opened (a custom API, a server without it) they poll as before. In the demo the
//! in-page server publishes the same events (`crate::demo::events`).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use console_core::live::{SseParser, Stale, stale_of};
use leptos::prelude::*;
use web_sys::AbortController;

use super::ApiClient;
use super::transport::listen;

/// Waits before reconnecting: doubling from the first to the last.
const RECONNECT_FIRST: Duration = Duration::from_secs(1);
const RECONNECT_MOST: Duration = Duration::from_secs(30);

type Listener = Rc<dyn Fn(&Stale)>;
type Listeners = Rc<RefCell<Vec<(u64, Listener)>>>;

/// The tab's event stream, as views see it.
#[derive(Clone, Copy)]
pub struct Live {
    /// The stream is open now.
    pub connected: RwSignal<bool>,
    /// Alert rules firing, once known.
    pub firing: RwSignal<Option<u64>>,
    /// Whether device changes come on the stream: only a server that keeps the fleet index
    /// sees them (each pass tells what changed).
    devices: bool,
    listeners: StoredValue<Listeners, LocalStorage>,
    next: StoredValue<u64>,
}

impl Live {
    /// Opens the stream for `client`, when its backend has one; it closes with the owner.
    pub fn start(client: &ApiClient) -> Live {
        let live = Live {
            connected: RwSignal::new(false),
            firing: RwSignal::new(None),
            devices: client.has_index(),
            listeners: StoredValue::new_local(Rc::default()),
            next: StoredValue::new(0),
        };
        #[cfg(feature = "demo")]
        if client.is_in_page() {
            live.hear_the_page();
            return live;
        }
        let Some(url) = client.event_stream_url() else {
            return live;
        };
        let Ok(controller) = AbortController::new() else {
            return live;
        };
        let token = client.access_token_for_stream();
        let client = client.clone();
        let signal = controller.signal();
        // Closed when the page is left: a stream kept open by a page in the back/forward cache
        // holds one of the browser's six connections to this server, and a few pages left
        // that way stall every request of the next.
        let hidden = controller.clone();
        crate::browser::web::on_page_hide(move || hidden.abort());
        let stopped = send_wrapper::SendWrapper::new(controller);
        on_cleanup(move || stopped.abort());
        let listeners = live.listeners.get_value();
        leptos::task::spawn_local(async move {
            let mut parser = SseParser::default();
            let mut wait = RECONNECT_FIRST;
            while !signal.aborted() {
                let last_id = parser.last_id.clone();
                // The bell's count as the stream opens; events keep it from then on.
                let opened = || {
                    live.connected.set(true);
                    let client = client.clone();
                    leptos::task::spawn_local(async move {
                        if let Ok(firing) = client.alerts_firing().await {
                            live.firing.set(Some(firing));
                        }
                    });
                };
                let mut heard = |bytes: &[u8]| {
                    for event in parser.push(bytes) {
                        live.tell(&listeners, &event.data);
                    }
                };
                let result = listen(
                    &url,
                    token.as_deref(),
                    last_id.as_deref(),
                    &signal,
                    &opened,
                    &mut heard,
                )
                .await;
                if signal.aborted() {
                    return;
                }
                let was_up = live.connected.get_untracked();
                live.connected.set(false);
                if was_up {
                    wait = RECONNECT_FIRST;
                } else if result.is_err() {
                    wait = (wait * 2).min(RECONNECT_MOST);
                }
                crate::browser::web::sleep(wait.as_millis() as u64).await;
            }
        });
        live
    }

    /// Hands the event in `data` to the listeners.
    fn tell(self, listeners: &Listeners, data: &str) {
        let Some(stale) = stale_of(data) else {
            return;
        };
        if let Some(firing) = stale.firing {
            self.firing.set(Some(firing));
        }
        // Cloned first: a listener may add or remove listeners.
        let now: Vec<Listener> = listeners
            .borrow()
            .iter()
            .map(|(_, l)| Rc::clone(l))
            .collect();
        for listener in now {
            listener(&stale);
        }
    }

    /// The demo's stream: its in-page server publishes the same events, always up.
    #[cfg(feature = "demo")]
    fn hear_the_page(self) {
        let listeners = self.listeners.get_value();
        let id = crate::demo::events::subscribe(move |data| self.tell(&listeners, data));
        self.connected.set(true);
        on_cleanup(move || crate::demo::events::unsubscribe(id));
    }

    /// Device changes arrive as they are seen (tracked): the stream is up and carries them.
    pub fn devices_live(self) -> bool {
        self.devices && self.connected.get()
    }

    /// Calls `listener` with what each event makes stale, until the calling view goes away.
    pub fn on_stale(self, listener: impl Fn(&Stale) + 'static) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.listeners
            .with_value(|listeners| listeners.borrow_mut().push((id, Rc::new(listener))));
        let listeners = self.listeners;
        on_cleanup(move || {
            // The shell may have gone first.
            let _ = listeners
                .try_with_value(|listeners| listeners.borrow_mut().retain(|(kept, _)| *kept != id));
        });
    }
}

/// The tab's stream, where the shell opened one.
pub fn use_live() -> Option<Live> {
    use_context::<Live>()
}
