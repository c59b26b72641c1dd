//! Demo mode: the server's stand-ins inside the page, for a console on a static host with no
//! server. `emulator` answers `/v1` (the emulator core, kept in localStorage, behind a network
//! that can play unreliable), `console` answers `/console/v1` (views, rollouts, the audit
//! log), `rollouts` drives rollouts while the tab is open, `audit` keeps the demo's log, `events`
//! publishes what the server's event stream would.
//! The fetch layer reaches all of it through `send`. It may import `browser` and the pure
//! crates; never the fetch layer, a widget or a page.

pub mod audit;
pub mod console;
pub mod emulator;
pub mod events;
pub mod rollouts;
pub mod stored;
pub mod wire;

use microvisor_api::url::split_origin;

use crate::browser::web;
use wire::{Answer, Request, UploadRequest};

/// Answers one request as the server would: `/console/v1` by the console service, `/v1` by the
/// emulator through the demo's network. `None` when the network dropped the connection.
pub async fn send(request: &Request<'_>) -> Option<Answer> {
    let (origin, rest) = split_origin(request.url).unwrap_or_default();
    let body = request
        .content_type
        .map(|content_type| (content_type, request.body));
    if let Some(path) = rest.strip_prefix(&web::site_path(console_protocol::CONSOLE_API)) {
        let (resource, _) = path.split_once('?').unwrap_or((path, ""));
        let audited = format!("{}{resource}", console_protocol::CONSOLE_API);
        return Some(audit::around(request.method, &audited, body, || {
            console::answer(request.method, path, request.body)
        }));
    }
    match emulator::network()
        .await
        .map(|fault| (fault, fault.response()))
    {
        // A request the network dropped never reached the emulator: nothing to record.
        None => {
            let (path, _) = rest.split_once('?').unwrap_or((rest, ""));
            Some(audit::around(request.method, path, body, || {
                emulator::answer(&origin, request.method, rest, body, request.authorization)
            }))
        }
        Some((fault, Some(response))) => Some(Answer {
            status: response.status,
            retry_after: fault.retry_after().map(|seconds| seconds.to_string()),
            body: response.body.into_bytes(),
        }),
        Some((_, None)) => None,
    }
}

/// An app upload, as the server takes it: through the demo's network, the bundle read and
/// checked, the app created, the upload in the demo's audit log. `None` when the network
/// dropped the connection (nothing was created).
pub async fn upload(request: &UploadRequest<'_>) -> Option<Answer> {
    if let Some(fault) = emulator::network().await {
        return fault.response().map(|response| Answer {
            status: response.status,
            retry_after: fault.retry_after().map(|seconds| seconds.to_string()),
            body: response.body.into_bytes(),
        });
    }
    let (origin, _) = split_origin(request.url).unwrap_or_default();
    let started = web::now_ms();
    let read = app_bundle::read(request.bytes, app_bundle::Limits::default());
    let answer = match &read {
        Ok(bundle) => emulator::add_app(&origin, &bundle.manifest, request),
        Err(err) => Answer::invalid(&err.to_string()),
    };
    let bundle = read.as_ref().ok();
    let signer = bundle.map(|b| b.manifest.signer.describe());
    audit::append(&audit_log::upload(audit_log::Upload {
        at_ms: web::now_ms(),
        operator: audit::OPERATOR,
        role: console_protocol::Role::Admin,
        client: None,
        file_name: Some(request.file_name),
        size: Some(request.bytes.len() as u64),
        unique_name: request.unique_name,
        hash: bundle.map(|b| b.manifest.hash.as_str()),
        signer: signer.as_deref(),
        status: answer.status,
        answer: &answer.body,
        duration_ms: web::now_ms() - started,
    }));
    Some(answer)
}

/// Forgets every change: the next request meets the freshly seeded fleet, with no saved views,
/// rollouts or audit entries.
pub fn reset() {
    emulator::reset();
    stored::reset();
    rollouts::reset();
    audit::reset();
}
