//! The browser beneath everything else in the console: its clock, storage and files (`web`),
//! timers owned by views (`owned`), preferences (`prefs`), and the console's own URLs under
//! its sub-path (`routes`). The lowest layer: it imports nothing of the console.

pub mod owned;
pub mod prefs;
pub mod routes;
pub mod web;
