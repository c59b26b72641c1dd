//! The demo's event stream: what console-server publishes on `/console/v1/events`, published
//! inside the page. The demo keeps no fleet index, so, as a server without one, it tells of
//! rollouts moving and nothing of devices (device pages go on polling).

use std::cell::RefCell;
use std::rc::Rc;

use console_protocol::ConsoleEvent;

type Listener = Rc<dyn Fn(&str)>;

thread_local! {
    static LISTENERS: RefCell<Vec<(u64, Listener)>> = const { RefCell::new(Vec::new()) };
    static NEXT: RefCell<u64> = const { RefCell::new(0) };
}

/// Calls `listener` with each event's data, as the server's stream carries it, until
/// `unsubscribe` with the id returned.
pub fn subscribe(listener: impl Fn(&str) + 'static) -> u64 {
    let id = NEXT.with(|next| {
        let mut next = next.borrow_mut();
        *next += 1;
        *next
    });
    LISTENERS.with(|listeners| listeners.borrow_mut().push((id, Rc::new(listener))));
    id
}

pub fn unsubscribe(id: u64) {
    LISTENERS.with(|listeners| listeners.borrow_mut().retain(|(kept, _)| *kept != id));
}

/// Tells every listener of `event`.
pub fn publish(event: &ConsoleEvent) {
    let Ok(data) = serde_json::to_string(event) else {
        return;
    };
    // Cloned first: a listener may subscribe or unsubscribe.
    let now: Vec<Listener> = LISTENERS.with(|listeners| {
        listeners
            .borrow()
            .iter()
            .map(|(_, l)| Rc::clone(l))
            .collect()
    });
    for listener in now {
        listener(&data);
    }
}
