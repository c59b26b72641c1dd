//! The fleet index: the whole fleet known on the server. `sync` keeps it (passes over the
//! list on the replica holding its lease), `writer` is what a pass writes, and `routes`
//! answers the console's questions of it (remembering counts between passes in
//! `console::memo`).

pub mod routes;
pub mod sync;
pub mod writer;
