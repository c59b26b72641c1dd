//! What one page hands to the next when the URL cannot carry it: the devices selected on the
//! Devices or Fleet page for a new rollout (thousands of SIDs do not fit a URL).

use leptos::prelude::*;

/// The SIDs chosen for the next rollout, kept by the app for as long as it runs.
#[derive(Clone, Copy)]
pub struct SelectionForRollout(pub RwSignal<Vec<String>>);

impl SelectionForRollout {
    pub fn provide() {
        provide_context(SelectionForRollout(RwSignal::new(Vec::new())));
    }

    pub fn get() -> Option<SelectionForRollout> {
        use_context::<SelectionForRollout>()
    }
}
