//! Rollouts on the server: the handlers that plan, start and control them (`routes`), and the
//! runner that drives them on the replica holding the lease (`runner`, over `driven`, its
//! memory without I/O).

pub mod driven;
pub mod routes;
pub mod runner;
