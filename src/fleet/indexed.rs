//! The Fleet page over the server's fleet index: the query's rows a page at a time as the
//! table scrolls, how many match, and the counts. The tab holds the rows scrolled through,
//! never the whole fleet; filtering, sorting and counting happen on the server.

use console_protocol::{FleetCounts, FleetPage, FleetQuery, FleetSort, FleetSortKey, Freshness};
use fleet_engine::DeviceFilter;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;
use microvisor_api::Device;

use crate::api::{ApiClient, ApiError};

/// Rows asked for at a time: a screenful several times over, small enough to come at once.
pub const PAGE_ROWS: u32 = 200;

/// The pages after the first, for the query they were asked with.
#[derive(Clone, Default, PartialEq)]
struct More {
    query: FleetQuery,
    devices: Vec<Device>,
    next: Option<String>,
    loading: bool,
    error: Option<ApiError>,
}

/// What the page asks the index, and what it has been told.
#[derive(Clone, Copy)]
pub struct IndexedFleet {
    pub filter: RwSignal<DeviceFilter>,
    /// The column and whether ascending, as the table's headers set it.
    pub sort: RwSignal<Option<(FleetSortKey, bool)>>,
    pub pending_hours: RwSignal<u32>,
    pub first: LocalResource<Result<FleetPage, ApiError>>,
    pub counts: LocalResource<Result<FleetCounts, ApiError>>,
    more: RwSignal<More>,
    /// Every row loaded for the current query, in its order.
    pub rows: Memo<Vec<Device>>,
}

impl IndexedFleet {
    /// Made by the page that shows it: its requests end with the page.
    pub fn new(client: ApiClient) -> IndexedFleet {
        let filter = RwSignal::new(DeviceFilter::default());
        let sort = RwSignal::new(None::<(FleetSortKey, bool)>);
        let pending_hours = RwSignal::new(24_u32);
        let first = LocalResource::new({
            let client = client.clone();
            move || {
                let (client, query) = (client.clone(), query_of(filter.get(), sort.get(), None));
                async move { client.fleet_page(&query).await }
            }
        });
        let counts = LocalResource::new(move || {
            let client = client.clone();
            let query = FleetQuery {
                filter: filter.get(),
                pending_hours: Some(pending_hours.get()),
                ..FleetQuery::default()
            };
            async move { client.fleet_counts(&query).await }
        });
        let more = RwSignal::new(More::default());
        let rows = Memo::new(move |_| {
            let current = query_of(filter.get(), sort.get(), None);
            let mut rows = first.with(|page| match page {
                Some(Ok(page)) => page.devices.clone(),
                _ => Vec::new(),
            });
            more.with(|more| {
                if more.query == current {
                    rows.extend(more.devices.iter().cloned());
                }
            });
            rows
        });
        IndexedFleet {
            filter,
            sort,
            pending_hours,
            first,
            counts,
            more,
            rows,
        }
    }

    /// How many devices the filter keeps (tracked); `None` until the first page answers.
    pub fn total(&self) -> Option<u64> {
        self.first.with(|page| match page {
            Some(Ok(page)) => Some(page.total),
            _ => None,
        })
    }

    /// How fresh the index is, as its latest answer said (tracked).
    pub fn freshness(&self) -> Option<Freshness> {
        self.counts.with(|counts| match counts {
            Some(Ok(counts)) => Some(counts.freshness.clone()),
            _ => None,
        })
    }

    /// The current query, as the page asks it.
    pub fn query(&self) -> FleetQuery {
        query_of(self.filter.get_untracked(), self.sort.get_untracked(), None)
    }

    /// A page that failed after the first, to show beside the table (tracked).
    pub fn more_error(&self) -> Option<ApiError> {
        self.more.with(|more| more.error.clone())
    }

    /// Asks everything again: after a pass, or a write that changed devices.
    pub fn reload(&self) {
        self.more.set(More::default());
        self.first.refetch();
        self.counts.refetch();
    }

    /// Loads the page after the rows loaded so far, unless one is on its way or none is left.
    pub fn load_more(&self, client: ApiClient) {
        let current = self.query();
        let first_next = self.first.with_untracked(|page| match page {
            Some(Ok(page)) => Some(page.next.clone()),
            _ => None,
        });
        let Some(first_next) = first_next else { return };
        let after = self.more.with_untracked(|more| {
            if more.query != current {
                first_next
            } else if more.loading || more.error.is_some() {
                None
            } else {
                more.next.clone()
            }
        });
        let Some(after) = after else { return };
        let more = self.more;
        more.update(|more| {
            if more.query != current {
                *more = More {
                    query: current.clone(),
                    ..More::default()
                };
            }
            more.loading = true;
        });
        let asked = FleetQuery {
            after: Some(after),
            ..current.clone()
        };
        spawn_local_scoped_with_cancellation(async move {
            let answer = client.fleet_page(&asked).await;
            more.update(|more| {
                // The query changed while the page was on its way: it answers nothing now.
                if more.query != current {
                    return;
                }
                more.loading = false;
                match answer {
                    Ok(page) => {
                        more.devices.extend(page.devices);
                        more.next = page.next;
                    }
                    Err(err) => more.error = Some(err),
                }
            });
        });
    }

    /// Forgets a failed page, so scrolling asks for it again.
    pub fn retry_more(&self, client: ApiClient) {
        self.more.update(|more| more.error = None);
        self.load_more(client);
    }
}

/// The query for a filter, the table's sort, and where to start.
fn query_of(
    filter: DeviceFilter,
    sort: Option<(FleetSortKey, bool)>,
    after: Option<String>,
) -> FleetQuery {
    FleetQuery {
        filter,
        sort: sort.map(|(key, ascending)| FleetSort {
            key,
            descending: !ascending,
        }),
        after,
        limit: Some(PAGE_ROWS),
        pending_hours: None,
    }
}
