//! The fleet scan: every device, 1,000 a page, following the API's own page links. It belongs
//! to the app rather than to a page, so a scan goes on while the operator looks elsewhere,
//! and what it loaded serves every page that can use it (Fleet, an app's targeting devices).

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;
use microvisor_api::{Device, PageQuery};

use futures_channel::oneshot;
use microvisor_api::list::links_of;

use crate::api::{ApiClient, ApiError, Retrying};

/// Devices per page of a scan: the API's largest.
const SCAN_PAGE_SIZE: u32 = 1000;

/// How often at most a scan shows what it has loaded so far.
const PUBLISH_EVERY_MS: f64 = 500.0;

/// Each publication recounts everything loaded (summary, search keys, filter, sort), so it
/// costs more as the fleet grows: the next waits this many times what the last one cost,
/// which keeps the recounts to about a fifth of a scan's time however large the fleet.
const PUBLISH_PAUSE_PER_COST: f64 = 4.0;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanProgress {
    pub devices: usize,
    pub pages: usize,
    pub started_ms: f64,
    pub elapsed_ms: f64,
    pub done: bool,
    pub cancelled: bool,
    pub error: Option<String>,
}

impl ScanProgress {
    /// Devices loaded per second so far.
    pub fn rate(&self) -> f64 {
        if self.elapsed_ms <= 0.0 {
            0.0
        } else {
            self.devices as f64 * 1000.0 / self.elapsed_ms
        }
    }

    pub fn running(&self) -> bool {
        !self.done && !self.cancelled && self.error.is_none()
    }
}

/// The app's fleet scan: what it loaded, how far it got, and its controls.
#[derive(Clone, Copy)]
pub struct FleetScan {
    /// Every device loaded so far, in the API's order.
    pub devices: RwSignal<Vec<Device>>,
    pub progress: RwSignal<Option<ScanProgress>>,
    /// A page being tried again: a scan retries each page within the policy and never
    /// skips one; when a page's retries are spent, the scan stops and says so.
    pub retrying: RwSignal<Option<Retrying>>,
    cancelled: StoredValue<Rc<Cell<bool>>, LocalStorage>,
    /// The app's owner: the scan's task lives as long as the app, not as a page.
    owner: StoredValue<Option<Owner>, LocalStorage>,
}

impl FleetScan {
    /// Made once, where the app sets up its services.
    pub fn new() -> FleetScan {
        FleetScan {
            devices: RwSignal::new(Vec::new()),
            progress: RwSignal::new(None),
            retrying: RwSignal::new(None),
            cancelled: StoredValue::new_local(Rc::new(Cell::new(false))),
            owner: StoredValue::new_local(Owner::current()),
        }
    }

    pub fn running(&self) -> bool {
        self.progress
            .with(|p| p.as_ref().is_some_and(ScanProgress::running))
    }

    pub fn cancel(&self) {
        self.cancelled.with_value(|flag| flag.set(true));
    }

    /// Forgets what was loaded and loads every device again.
    pub fn start(&self, client: ApiClient) {
        self.cancel();
        let flag = Rc::new(Cell::new(false));
        self.cancelled.set_value(Rc::clone(&flag));
        self.devices.set(Vec::new());
        let started = js_sys::Date::now();
        self.progress.set(Some(ScanProgress {
            started_ms: started,
            ..ScanProgress::default()
        }));
        let scan = *self;
        let client = client.reporting_retries(self.retrying);
        let task = async move { scan.run(client, flag, started).await };
        match self.owner.get_value() {
            Some(owner) => owner.with(|| spawn_local_scoped_with_cancellation(task)),
            None => spawn_local_scoped_with_cancellation(task),
        }
    }

    async fn run(self, client: ApiClient, cancelled: Rc<Cell<bool>>, started: f64) {
        let FleetScan {
            devices, progress, ..
        } = self;
        let mut unpublished: Vec<Device> = Vec::new();
        let mut next_publish_ms = started + PUBLISH_EVERY_MS;
        let publish = move |batch: &mut Vec<Device>| {
            if !batch.is_empty() {
                devices.update(|all| all.append(batch));
            }
        };
        let mut failure = None;
        let mut in_flight = Some(fetch(&client, PageQuery::first(SCAN_PAGE_SIZE)));
        while let Some(answer) = in_flight.take() {
            if cancelled.get() {
                break;
            }
            let body = match answer.await {
                Ok(Ok(body)) => body,
                Ok(Err(err)) => {
                    failure = Some(err.to_string());
                    break;
                }
                // The request's task ended with the scan's owner: nothing to report to.
                Err(_) => break,
            };
            // The next page is asked for before this one is decoded, so the two overlap: the
            // request goes out at the yield below, and is on its way during the decoding.
            in_flight = links_of(&body)
                .and_then(|meta| meta.next_page_url)
                .and_then(|next| client.base().page_query_of(&next).ok())
                .map(|query| fetch(&client, query));
            leptos::task::tick().await;
            let page = match ApiClient::decode_devices(body) {
                Ok(page) => page,
                Err(err) => {
                    failure = Some(err.to_string());
                    break;
                }
            };
            crate::web::mark("scan-page-decoded");
            let count = page.items.len();
            unpublished.extend(page.items);
            if js_sys::Date::now() >= next_publish_ms {
                let began = js_sys::Date::now();
                publish(&mut unpublished);
                // The views and memos that read the devices run before this task resumes.
                leptos::task::tick().await;
                let now = js_sys::Date::now();
                next_publish_ms =
                    now + ((now - began) * PUBLISH_PAUSE_PER_COST).max(PUBLISH_EVERY_MS);
            }
            progress.update(|p| {
                if let Some(p) = p {
                    p.devices += count;
                    p.pages += 1;
                    p.elapsed_ms = js_sys::Date::now() - p.started_ms;
                }
            });
        }
        publish(&mut unpublished);
        progress.update(|p| {
            if let Some(p) = p {
                p.cancelled = cancelled.get() && failure.is_none();
                p.error = failure;
                p.done = !p.cancelled && p.error.is_none();
                p.elapsed_ms = js_sys::Date::now() - p.started_ms;
            }
        });
    }
}

/// Starts asking for a page now, on the scan's owner, and gives its answer when it comes.
fn fetch(client: &ApiClient, query: PageQuery) -> oneshot::Receiver<Result<Vec<u8>, ApiError>> {
    let (answer, receiver) = oneshot::channel();
    let client = client.clone();
    spawn_local_scoped_with_cancellation(async move {
        let _ = answer.send(client.list_devices_body(&query).await);
    });
    receiver
}

impl Default for FleetScan {
    fn default() -> Self {
        FleetScan::new()
    }
}
