//! Alerts: rules kept in the console store and managed through `/console/v1/alerts…`
//! (`routes`), evaluated and delivered by the lease holder's watcher (`watch`), to webhooks
//! signed and checked in `webhook`. What a rule means and how its alert moves is
//! `fleet_engine::alerts`; this module does the I/O around it.

pub mod routes;
pub mod watch;
pub mod webhook;
