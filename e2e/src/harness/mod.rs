//! Starts console-server (emulator) and chromedriver on free loopback ports, and drives
//! headless Chromium through WebDriver. `processes` starts what a test runs against,
//! `session` the browser, `page` is what a test does and checks on a page, `http` talks to
//! servers directly.

mod http;
mod page;
mod processes;
mod session;

pub use http::{EventStream, SentEvent, http_form, http_json, http_json_with};
pub use processes::{
    Group, PATIENCE, PROXY_ACCOUNT_SID, add_operator, free_port, given_path,
    sample_nginx_server_block, scratch_dir, start_nginx, start_server, start_server_with_env,
    start_static_host,
};
pub use session::Session;
