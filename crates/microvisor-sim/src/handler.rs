//! The one entry point: `Emulator::handle(request) -> response`.

use microvisor_api::error::codes;
use microvisor_api::url::decode_segment;
use microvisor_api::{
    ApiErrorBody, App, Device, DeviceUpdate, ListPage, ListResource, PageQuery, Sid,
    validate_unique_name,
};
use serde::Serialize;

use crate::fleet::{Fleet, LOGGING_WINDOW_SECS};
use crate::pagination::{self, PageWindow};
use crate::seed::SimConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Method {
        match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Other => "This method",
        }
    }
}

/// One HTTP request, as the emulator needs it.
#[derive(Debug, Clone)]
pub struct SimRequest<'a> {
    pub method: Method,
    /// Scheme and authority the request came to, used in absolute URLs: `http://127.0.0.1:8080`.
    pub origin: &'a str,
    /// The raw (still percent-encoded) path: `/v1/Devices/UV...`.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// Unix seconds.
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimResponse {
    pub status: u16,
    /// JSON text; empty for 204.
    pub body: String,
}

impl SimResponse {
    fn json<T: Serialize>(status: u16, value: &T) -> SimResponse {
        match serde_json::to_string(value) {
            Ok(body) => SimResponse { status, body },
            Err(err) => SimResponse::error(500, codes::INTERNAL, format!("Encoding failed: {err}")),
        }
    }

    pub fn error(status: u16, code: i64, message: impl Into<String>) -> SimResponse {
        SimResponse {
            status,
            body: ApiErrorBody::new(status, code, message).to_json(),
        }
    }

    fn invalid(message: impl Into<String>) -> SimResponse {
        SimResponse::error(400, codes::INVALID_PARAMETER, message)
    }

    fn not_found(what: &str, name: &str) -> SimResponse {
        SimResponse::error(
            404,
            codes::NOT_FOUND,
            format!("The requested resource /{what}/{name} was not found"),
        )
    }

    fn method_not_allowed(method: Method, path: &str) -> SimResponse {
        SimResponse::error(
            405,
            codes::METHOD_NOT_ALLOWED,
            format!("{} is not allowed on {path}.", method.as_str()),
        )
    }
}

/// The emulated service: a fleet and the rules of the API.
#[derive(Debug)]
pub struct Emulator {
    fleet: Fleet,
}

impl Emulator {
    pub fn new(config: &SimConfig, now: i64) -> Emulator {
        Emulator {
            fleet: Fleet::seeded(config, now),
        }
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    pub fn handle(&mut self, request: &SimRequest) -> SimResponse {
        let Some(rest) = request.path.strip_prefix("/v1/") else {
            return SimResponse::not_found("", request.path.trim_start_matches('/'));
        };
        let segments: Option<Vec<String>> = rest
            .trim_end_matches('/')
            .split('/')
            .map(decode_segment)
            .collect();
        let Some(segments) = segments else {
            return SimResponse::invalid("The path is not valid UTF-8.");
        };
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match (segments.as_slice(), request.method) {
            (["Devices"], Method::Get) => self.list_devices(request),
            (["Devices", id], Method::Get) => self.fetch_device(request, id),
            (["Devices", id], Method::Post) => self.update_device(request, id),
            (["Apps"], Method::Get) => self.list_apps(request),
            (["Apps", id], Method::Get) => self.fetch_app(request, id),
            (["Devices"] | ["Devices", _] | ["Apps"] | ["Apps", _], method) => {
                SimResponse::method_not_allowed(method, request.path)
            }
            _ => SimResponse::not_found("", rest),
        }
    }

    fn page_window(
        request: &SimRequest,
        len: usize,
        position_of: impl Fn(&str) -> Option<usize>,
    ) -> Result<(PageQuery, PageWindow), SimResponse> {
        let query =
            PageQuery::parse(request.query).map_err(|err| SimResponse::invalid(err.to_string()))?;
        let window = pagination::window(&query, len, position_of).map_err(|bad| {
            SimResponse::invalid(format!(
                "PageToken '{}' is not valid: use the page URLs from a previous response.",
                bad.0
            ))
        })?;
        Ok((query, window))
    }

    fn list_devices(&self, request: &SimRequest) -> SimResponse {
        let fleet = &self.fleet;
        let len = fleet.devices.len();
        let found = Self::page_window(request, len, |sid| {
            fleet
                .find_device(sid)
                .filter(|&i| fleet.devices[i].sid.as_str() == sid)
        });
        let (query, window) = match found {
            Ok(found) => found,
            Err(response) => return response,
        };
        let items: Vec<Device> = fleet.devices[window.start..window.end]
            .iter()
            .map(|device| fleet.device_view(device, request.origin, request.now))
            .collect();
        let list_url = format!("{}/v1/Devices", request.origin);
        let meta = pagination::meta(&window, len, &list_url, Device::KEY, &query, |i| {
            fleet.devices[i].sid.to_string()
        });
        SimResponse::json(200, &ListPage { items, meta })
    }

    fn fetch_device(&self, request: &SimRequest, id: &str) -> SimResponse {
        match self.fleet.find_device(id) {
            Some(i) => SimResponse::json(
                200,
                &self
                    .fleet
                    .device_view(&self.fleet.devices[i], request.origin, request.now),
            ),
            None => SimResponse::not_found("Devices", id),
        }
    }

    fn update_device(&mut self, request: &SimRequest, id: &str) -> SimResponse {
        let Some(position) = self.fleet.find_device(id) else {
            return SimResponse::not_found("Devices", id);
        };
        let update = match read_form(request).and_then(|body| {
            DeviceUpdate::from_form(&body).map_err(|err| SimResponse::invalid(err.to_string()))
        }) {
            Ok(update) => update,
            Err(response) => return response,
        };
        if let Err(response) = self.apply_update(position, &update, request.now) {
            return response;
        }
        let device = &self.fleet.devices[position];
        SimResponse::json(
            200,
            &self.fleet.device_view(device, request.origin, request.now),
        )
    }

    /// Checks every parameter first, then applies them all: a refused update changes nothing.
    fn apply_update(
        &mut self,
        position: usize,
        update: &DeviceUpdate,
        now: i64,
    ) -> Result<(), SimResponse> {
        if let Some(name) = &update.unique_name {
            validate_unique_name(name)
                .map_err(|err| SimResponse::invalid(format!("UniqueName: {err}")))?;
            if let Some(holder) = self.fleet.device_named(name).filter(|&i| i != position) {
                return Err(SimResponse::invalid(format!(
                    "UniqueName '{name}' is already used by device {}.",
                    self.fleet.devices[holder].sid
                )));
            }
        }
        let target: Option<Sid> = match &update.target_app {
            Some(app) => {
                let found = self.fleet.find_app(app).ok_or_else(|| {
                    SimResponse::invalid(format!(
                        "TargetApp '{app}' does not name an App on this account."
                    ))
                })?;
                Some(self.fleet.apps[found].sid.clone())
            }
            None => None,
        };

        if let Some(name) = &update.unique_name {
            self.fleet.rename_device(position, name.clone());
        }
        if target.is_some() || update.restart_app == Some(true) {
            let state = self.fleet.app_state(&self.fleet.devices[position], now);
            let device = &mut self.fleet.devices[position];
            device.previous_reported = state.reported_sid.or(device.previous_reported.take());
            if let Some(target) = target {
                device.target_sid = Some(target);
            }
            // A restart re-runs the current target, which reports back like a deploy.
            device.date_targeted = Some(now);
            device.standing_error = None;
        }
        let device = &mut self.fleet.devices[position];
        match update.logging_enabled {
            Some(true) => device.logging_expires = Some(now + LOGGING_WINDOW_SECS),
            Some(false) => device.logging_expires = None,
            None => {}
        }
        if !update.is_empty() {
            device.date_updated = now;
        }
        Ok(())
    }

    fn list_apps(&self, request: &SimRequest) -> SimResponse {
        let fleet = &self.fleet;
        let len = fleet.apps.len();
        let found = Self::page_window(request, len, |sid| {
            fleet
                .find_app(sid)
                .filter(|&i| fleet.apps[i].sid.as_str() == sid)
        });
        let (query, window) = match found {
            Ok(found) => found,
            Err(response) => return response,
        };
        let items: Vec<App> = fleet.apps[window.start..window.end]
            .iter()
            .map(|app| fleet.app_view(app, request.origin))
            .collect();
        let list_url = format!("{}/v1/Apps", request.origin);
        let meta = pagination::meta(&window, len, &list_url, App::KEY, &query, |i| {
            fleet.apps[i].sid.to_string()
        });
        SimResponse::json(200, &ListPage { items, meta })
    }

    fn fetch_app(&self, request: &SimRequest, id: &str) -> SimResponse {
        match self.fleet.find_app(id) {
            Some(i) => SimResponse::json(
                200,
                &self.fleet.app_view(&self.fleet.apps[i], request.origin),
            ),
            None => SimResponse::not_found("Apps", id),
        }
    }
}

/// The body of a write, which must be form-encoded UTF-8.
fn read_form(request: &SimRequest) -> Result<String, SimResponse> {
    if !request.body.is_empty() {
        let media_type = request
            .content_type
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase());
        if media_type.as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(SimResponse::invalid(
                "The request body must be application/x-www-form-urlencoded.",
            ));
        }
    }
    String::from_utf8(request.body.to_vec())
        .map_err(|_| SimResponse::invalid("The request body is not valid UTF-8."))
}
