//! The fleet machinery behind the Devices and Fleet pages: the scan of every device (`scan`)
//! or the server's index asked instead (`indexed`),
//! bulk runs over many devices (`bulk`), the rows a table shows (`shown`), a list's next page
//! fetched ahead (`prefetch`), and what one page hands the next (`handoff`). It may import
//! `api` and `browser`; never a widget or a page.

pub mod bulk;
pub mod handoff;
pub mod indexed;
pub mod prefetch;
pub mod scan;
pub mod shown;
