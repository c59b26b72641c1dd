//! The fleet scan: every device, 1,000 a page, following the API's own page links. It belongs
//! to the app rather than to a page, so a scan goes on while the operator looks elsewhere,
//! and what it loaded serves every page that can use it (Fleet, an app's targeting devices).

use std::cell::Cell;
use std::collections::HashMap;
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
    /// Changes whenever `devices` changes other than by devices added at the end (a new scan,
    /// devices replaced), so what is made from them knows when to start over (`grown`).
    epoch: StoredValue<u64>,
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
            epoch: StoredValue::new(0),
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
        self.epoch.update_value(|epoch| *epoch += 1);
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

    /// Puts devices as a bulk change answered them in place of the loaded ones.
    pub fn replace(&self, updated: Vec<Device>) {
        let by_sid: HashMap<Option<String>, Device> =
            updated.into_iter().map(|d| (d.sid.clone(), d)).collect();
        self.epoch.update_value(|epoch| *epoch += 1);
        self.devices.update(|all| {
            for slot in all.iter_mut() {
                if let Some(device) = by_sid.get(&slot.sid) {
                    *slot = device.clone();
                }
            }
        })
    }

    /// A memo of what `extend` makes from the loaded devices and `basis` (what else it
    /// depends on, tracked). While a scan only adds devices, `extend` is given just the new
    /// ones; when the devices were replaced or `basis` changed, it starts over from
    /// `T::default()`. A publication then costs the batch it adds, not the whole fleet again.
    pub fn grown<T, B>(
        &self,
        basis: impl Fn() -> B + Send + Sync + 'static,
        extend: impl Fn(&mut T, &[Device], &B) + Send + Sync + 'static,
    ) -> Memo<Grown<T, B>>
    where
        T: Default + Send + Sync + 'static,
        B: PartialEq + Send + Sync + 'static,
    {
        let FleetScan { devices, epoch, .. } = *self;
        Memo::new_owning(move |old: Option<Grown<T, B>>| {
            let basis = basis();
            let epoch = epoch.get_value();
            devices.with(|all| {
                let mut grown = match old {
                    Some(old)
                        if old.epoch == epoch && old.basis == basis && old.seen <= all.len() =>
                    {
                        old
                    }
                    _ => Grown {
                        value: T::default(),
                        epoch,
                        seen: 0,
                        basis,
                    },
                };
                extend(&mut grown.value, &all[grown.seen..], &grown.basis);
                grown.seen = all.len();
                // Only a change of what it reads runs this: always news.
                (grown, true)
            })
        })
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
            crate::browser::web::mark("scan-page-decoded");
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

/// What `FleetScan::grown` keeps: the value, and what it was made from.
pub struct Grown<T, B> {
    pub value: T,
    epoch: u64,
    /// How many of the loaded devices `value` has been given.
    seen: usize,
    basis: B,
}

impl Default for FleetScan {
    fn default() -> Self {
        FleetScan::new()
    }
}
