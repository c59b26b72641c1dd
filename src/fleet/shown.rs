//! The rows a device table shows: a list of devices, and (for a filtered or sorted view of a
//! long list) the positions in it to show, in order. Selection, "select all" and the table all
//! read rows through this, so a view of 100,000 devices is never copied to be shown.

use std::ops::Range;

use leptos::prelude::*;
use microvisor_api::Device;

#[derive(Clone, Copy)]
pub struct ShownRows {
    pub devices: Signal<Vec<Device>>,
    /// Positions in `devices`, in the order shown; every device in its own order when `None`.
    pub order: Option<Signal<Vec<u32>>>,
}

impl ShownRows {
    /// Every device, in its own order.
    pub fn all(devices: impl Into<Signal<Vec<Device>>>) -> ShownRows {
        ShownRows {
            devices: devices.into(),
            order: None,
        }
    }

    /// The devices at `order`, in that order.
    pub fn ordered(
        devices: impl Into<Signal<Vec<Device>>>,
        order: impl Into<Signal<Vec<u32>>>,
    ) -> ShownRows {
        ShownRows {
            devices: devices.into(),
            order: Some(order.into()),
        }
    }

    /// Calls `f` with the shown devices, in order (tracked).
    pub fn with<R>(&self, f: impl FnOnce(&[&Device]) -> R) -> R {
        self.with_range(0..usize::MAX, |shown, _| f(shown))
    }

    /// Calls `f` with the shown devices at `range` of the order (clamped to it), and how many
    /// are shown in all (tracked): a table drawing the rows in view never lists the rest.
    pub fn with_range<R>(&self, range: Range<usize>, f: impl FnOnce(&[&Device], usize) -> R) -> R {
        self.devices.with(|devices| match self.order {
            Some(order) => order.with(|order| {
                let shown: Vec<&Device> = clamp(range, order.len())
                    .filter_map(|at| devices.get(order[at] as usize))
                    .collect();
                f(&shown, order.len())
            }),
            None => {
                let shown: Vec<&Device> = devices[clamp(range, devices.len())].iter().collect();
                f(&shown, devices.len())
            }
        })
    }

    /// The SIDs shown, in order (tracked).
    pub fn sids(&self) -> Vec<String> {
        self.with(|rows| rows.iter().filter_map(|d| d.sid.clone()).collect())
    }

    pub fn len(&self) -> usize {
        match self.order {
            Some(order) => order.with(Vec::len),
            None => self.devices.with(Vec::len),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn clamp(range: Range<usize>, len: usize) -> Range<usize> {
    range.start.min(len)..range.end.min(len)
}
