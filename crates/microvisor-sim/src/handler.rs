//! The one entry point: `Emulator::handle(request) -> response`, for all 27 operations of the
//! vendor's spec.

use microvisor_api::config::{validate_key, validate_value};
use microvisor_api::error::codes;
use microvisor_api::url::decode_segment;
use microvisor_api::{
    ApiErrorBody, DeviceUpdate, KeyValueForm, ListPage, ListResource, PageQuery, Sid,
    validate_unique_name,
};
use serde::Serialize;

use crate::auth::Auth;
use crate::fleet::{ConfigRecord, Fleet, LOGGING_WINDOW_MS, Scope, SecretRecord};
use crate::pagination;
use crate::seed::SimConfig;
use crate::store::{Change, RecordKind};

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
    /// The `Authorization` header, if the request had one.
    pub authorization: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// Unix milliseconds.
    pub now_ms: i64,
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

    fn no_content() -> SimResponse {
        SimResponse {
            status: 204,
            body: String::new(),
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

    fn not_found(path: &str) -> SimResponse {
        SimResponse::error(
            404,
            codes::NOT_FOUND,
            format!("The requested resource {path} was not found"),
        )
    }
}

type Outcome = Result<SimResponse, SimResponse>;

/// The emulated service: a fleet and the rules of the API.
#[derive(Debug)]
pub struct Emulator {
    pub(crate) fleet: Fleet,
    pub(crate) changes: Vec<Change>,
    /// Credentials every request must carry; none by default.
    pub(crate) auth: Option<Auth>,
    /// Successful `TargetApp` writes per device SID, since this emulator started.
    pub(crate) target_app_writes: std::collections::BTreeMap<String, u32>,
}

impl Emulator {
    pub fn new(config: &SimConfig, now_ms: i64) -> Emulator {
        Emulator {
            fleet: Fleet::seeded(config, now_ms),
            changes: Vec::new(),
            auth: None,
            target_app_writes: Default::default(),
        }
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// How many times each device was given a target app (successful writes only), since
    /// this emulator started: tests count a rollout's writes with it.
    pub fn target_app_writes(&self) -> &std::collections::BTreeMap<String, u32> {
        &self.target_app_writes
    }

    /// Asks every later request for these credentials, or for none.
    pub fn set_auth(&mut self, auth: Option<Auth>) {
        self.auth = auth;
    }

    /// `POST /oauth2/token`, when the emulator asks for OAuth2 client credentials.
    pub fn issue_token(
        &mut self,
        authorization: Option<&str>,
        form: &[u8],
        now_ms: i64,
    ) -> SimResponse {
        match self.auth.as_mut() {
            Some(auth) => auth.issue_token(authorization, form, now_ms),
            None => SimResponse::error(
                404,
                codes::NOT_FOUND,
                "The requested resource was not found",
            ),
        }
    }

    /// The `Authorization` the server's own requests carry (none when none is asked for).
    pub fn own_authorization(&mut self, now_ms: i64) -> Option<String> {
        self.auth.as_mut().map(|auth| auth.own_header(now_ms))
    }

    pub fn handle(&mut self, request: &SimRequest) -> SimResponse {
        if let Some(auth) = &self.auth
            && !auth.allows(request.authorization, request.now_ms)
        {
            // No `WWW-Authenticate` either: a browser must not pop up its own login box.
            return SimResponse::error(
                401,
                codes::AUTHENTICATE,
                "Authentication Error - No credentials provided or they are invalid",
            );
        }
        match self.route(request) {
            Ok(response) | Err(response) => response,
        }
    }

    fn route(&mut self, request: &SimRequest) -> Outcome {
        let not_found = || SimResponse::not_found(request.path);
        let rest = request.path.strip_prefix("/v1/").ok_or_else(not_found)?;
        let segments = rest
            .split('/')
            .map(|segment| decode_segment(segment).filter(|s| !s.is_empty()))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(not_found)?;
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let method = request.method;
        use Method::{Delete, Get, Post};
        match (segments.as_slice(), method) {
            (["Devices"], Get) => self.list_devices(request),
            (["Devices", id], Get) => self.fetch_device(request, id),
            (["Devices", id], Post) => self.update_device(request, id),
            (
                [
                    "Devices",
                    id,
                    collection @ ("Configs" | "Secrets"),
                    rest @ ..,
                ],
                _,
            ) if rest.len() <= 1 => {
                let position = self.fleet.find_device(id).ok_or_else(not_found)?;
                self.key_value(
                    request,
                    Scope::Device(position),
                    collection,
                    rest.first().copied(),
                )
            }
            (["Apps"], Get) => self.list_apps(request),
            (["Apps", id], Get) => self.fetch_app(request, id),
            (["Apps", id], Delete) => self.delete_app(id),
            (["Apps", id, "Manifest"], Get) => {
                let position = self.fleet.find_app(id).ok_or_else(not_found)?;
                let app = &self.fleet.apps[position];
                Ok(SimResponse::json(
                    200,
                    &self.fleet.manifest_view(app, request.origin),
                ))
            }
            ([collection @ ("Configs" | "Secrets"), rest @ ..], _) if rest.len() <= 1 => {
                self.key_value(request, Scope::Account, collection, rest.first().copied())
            }
            (
                ["Devices"] | ["Apps"] | ["Devices", _] | ["Apps", _] | ["Apps", _, "Manifest"],
                _,
            ) => Err(method_not_allowed(method, request.path)),
            _ => Err(not_found()),
        }
    }

    fn record(&mut self, kind: RecordKind, id: impl Into<String>) {
        self.changes.push(Change {
            kind,
            id: id.into(),
        });
    }

    fn device_changed(&mut self, position: usize) {
        let sid = self.fleet.devices[position].sid.to_string();
        self.record(RecordKind::Device, sid);
    }

    // ---- Devices ----

    fn list_devices(&self, request: &SimRequest) -> Outcome {
        let fleet = &self.fleet;
        let list_url = format!("{}/v1/Devices", request.origin);
        list(
            request,
            &fleet.devices,
            |sid| {
                fleet
                    .find_device(sid)
                    .filter(|&i| fleet.devices[i].sid.as_str() == sid)
            },
            |device| device.sid.to_string(),
            |device| fleet.device_view(device, request.origin, request.now_ms),
            &list_url,
        )
    }

    fn fetch_device(&self, request: &SimRequest, id: &str) -> Outcome {
        let position = self
            .fleet
            .find_device(id)
            .ok_or_else(|| SimResponse::not_found(request.path))?;
        let device = &self.fleet.devices[position];
        Ok(SimResponse::json(
            200,
            &self
                .fleet
                .device_view(device, request.origin, request.now_ms),
        ))
    }

    fn update_device(&mut self, request: &SimRequest, id: &str) -> Outcome {
        let position = self
            .fleet
            .find_device(id)
            .ok_or_else(|| SimResponse::not_found(request.path))?;
        let body = read_form(request)?;
        let update =
            DeviceUpdate::from_form(&body).map_err(|err| SimResponse::invalid(err.to_string()))?;
        self.apply_update(position, &update, request.now_ms)?;
        if !update.is_empty() {
            self.device_changed(position);
        }
        let device = &self.fleet.devices[position];
        Ok(SimResponse::json(
            200,
            &self
                .fleet
                .device_view(device, request.origin, request.now_ms),
        ))
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
        let restart = update.restart_app == Some(true);
        if target.is_some() {
            let sid = self.fleet.devices[position].sid.to_string();
            *self.target_app_writes.entry(sid).or_default() += 1;
        }
        if target.is_some() || restart {
            let state = self.fleet.app_state(&self.fleet.devices[position], now);
            let device = &mut self.fleet.devices[position];
            device.previous_reported = state.reported_sid.or(device.previous_reported.take());
            device.restarting = target.is_none();
            if let Some(target) = target {
                device.target_sid = Some(target);
            }
            // A deploy or restart reaches the device; it reports back after the delay.
            device.date_targeted = Some(now);
            device.standing_error = None;
            device.online = true;
        }
        let device = &mut self.fleet.devices[position];
        match update.logging_enabled {
            Some(true) => device.logging_expires = Some(now + LOGGING_WINDOW_MS),
            Some(false) => device.logging_expires = None,
            None => {}
        }
        if !update.is_empty() {
            device.date_updated = now;
        }
        Ok(())
    }

    // ---- Apps ----

    fn list_apps(&self, request: &SimRequest) -> Outcome {
        let fleet = &self.fleet;
        let list_url = format!("{}/v1/Apps", request.origin);
        list(
            request,
            &fleet.apps,
            |sid| {
                fleet
                    .find_app(sid)
                    .filter(|&i| fleet.apps[i].sid.as_str() == sid)
            },
            |app| app.sid.to_string(),
            |app| fleet.app_view(app, request.origin),
            &list_url,
        )
    }

    fn fetch_app(&self, request: &SimRequest, id: &str) -> Outcome {
        let position = self
            .fleet
            .find_app(id)
            .ok_or_else(|| SimResponse::not_found(request.path))?;
        Ok(SimResponse::json(
            200,
            &self
                .fleet
                .app_view(&self.fleet.apps[position], request.origin),
        ))
    }

    fn delete_app(&mut self, id: &str) -> Outcome {
        let position = self
            .fleet
            .find_app(id)
            .ok_or_else(|| SimResponse::not_found(&format!("/v1/Apps/{id}")))?;
        let sid = self.fleet.apps[position].sid.clone();
        if let Some(device) = self.fleet.app_is_targeted(&sid) {
            return Err(SimResponse::invalid(format!(
                "App {sid} cannot be deleted: device {} still targets it. Target another app first.",
                device.sid
            )));
        }
        self.fleet.remove_app(position);
        self.record(RecordKind::App, sid.to_string());
        Ok(SimResponse::no_content())
    }

    // ---- Configs and Secrets ----

    fn key_value(
        &mut self,
        request: &SimRequest,
        scope: Scope,
        collection: &str,
        key: Option<&str>,
    ) -> Outcome {
        let secrets = collection == "Secrets";
        match (key, request.method) {
            (None, Method::Get) if secrets => self.list_secrets(request, scope),
            (None, Method::Get) => self.list_configs(request, scope),
            (None, Method::Post) => self.create_key_value(request, scope, secrets),
            (Some(key), Method::Get) => self.fetch_key_value(request, scope, secrets, key),
            (Some(key), Method::Post) => self.update_key_value(request, scope, secrets, key),
            (Some(key), Method::Delete) => self.delete_key_value(request, scope, secrets, key),
            _ => Err(method_not_allowed(request.method, request.path)),
        }
    }

    fn scope_changed(&mut self, scope: Scope, secrets: bool, key: &str) {
        match scope {
            Scope::Device(position) => self.device_changed(position),
            Scope::Account if secrets => self.record(RecordKind::AccountSecret, key),
            Scope::Account => self.record(RecordKind::AccountConfig, key),
        }
    }

    fn list_configs(&self, request: &SimRequest, scope: Scope) -> Outcome {
        let fleet = &self.fleet;
        let items = fleet.configs(scope);
        list(
            request,
            items,
            |key| items.iter().position(|c| c.key == key),
            |config| config.key.clone(),
            |config| fleet.config_view(scope, config, request.origin),
            &fleet.collection_url(scope, request.origin, "Configs"),
        )
    }

    fn list_secrets(&self, request: &SimRequest, scope: Scope) -> Outcome {
        let fleet = &self.fleet;
        let items = fleet.secrets(scope);
        list(
            request,
            items,
            |key| items.iter().position(|s| s.key == key),
            |secret| secret.key.clone(),
            |secret| fleet.secret_view(scope, secret, request.origin),
            &fleet.collection_url(scope, request.origin, "Secrets"),
        )
    }

    fn view_key_value(
        &self,
        request: &SimRequest,
        scope: Scope,
        secrets: bool,
        key: &str,
        status: u16,
    ) -> Outcome {
        let fleet = &self.fleet;
        let not_found = || SimResponse::not_found(request.path);
        if secrets {
            let secret = fleet
                .secrets(scope)
                .iter()
                .find(|s| s.key == key)
                .ok_or_else(not_found)?;
            Ok(SimResponse::json(
                status,
                &fleet.secret_view(scope, secret, request.origin),
            ))
        } else {
            let config = fleet
                .configs(scope)
                .iter()
                .find(|c| c.key == key)
                .ok_or_else(not_found)?;
            Ok(SimResponse::json(
                status,
                &fleet.config_view(scope, config, request.origin),
            ))
        }
    }

    fn fetch_key_value(
        &self,
        request: &SimRequest,
        scope: Scope,
        secrets: bool,
        key: &str,
    ) -> Outcome {
        self.view_key_value(request, scope, secrets, key, 200)
    }

    fn has_key(&self, scope: Scope, secrets: bool, key: &str) -> bool {
        if secrets {
            self.fleet.secrets(scope).iter().any(|s| s.key == key)
        } else {
            self.fleet.configs(scope).iter().any(|c| c.key == key)
        }
    }

    fn create_key_value(&mut self, request: &SimRequest, scope: Scope, secrets: bool) -> Outcome {
        let form = KeyValueForm::from_form(&read_form(request)?)
            .map_err(|err| SimResponse::invalid(err.to_string()))?;
        let key = form.key.ok_or_else(|| {
            SimResponse::invalid("Missing required parameter Key in the post body.")
        })?;
        let value = form.value.ok_or_else(|| {
            SimResponse::invalid("Missing required parameter Value in the post body.")
        })?;
        validate_key(&key).map_err(|err| SimResponse::invalid(err.to_string()))?;
        validate_value(&value).map_err(|err| SimResponse::invalid(err.to_string()))?;
        if self.has_key(scope, secrets, &key) {
            let what = if secrets { "Secret" } else { "Config" };
            return Err(SimResponse::invalid(format!(
                "Key '{key}': a {what} with this key already exists. Update it instead."
            )));
        }
        let now = request.now_ms;
        if secrets {
            self.fleet.secrets_mut(scope).push(SecretRecord {
                key: key.clone(),
                value,
                date_rotated: now,
            });
        } else {
            self.fleet.configs_mut(scope).push(ConfigRecord {
                key: key.clone(),
                value,
                date_updated: now,
            });
        }
        self.scope_changed(scope, secrets, &key);
        self.view_key_value(request, scope, secrets, &key, 201)
    }

    fn update_key_value(
        &mut self,
        request: &SimRequest,
        scope: Scope,
        secrets: bool,
        key: &str,
    ) -> Outcome {
        if !self.has_key(scope, secrets, key) {
            return Err(SimResponse::not_found(request.path));
        }
        let form = KeyValueForm::from_form(&read_form(request)?)
            .map_err(|err| SimResponse::invalid(err.to_string()))?;
        if form.key.is_some() {
            return Err(SimResponse::invalid(
                "Key cannot be changed; it is part of the resource's URL.",
            ));
        }
        let value = form.value.ok_or_else(|| {
            SimResponse::invalid("Missing required parameter Value in the post body.")
        })?;
        validate_value(&value).map_err(|err| SimResponse::invalid(err.to_string()))?;
        let now = request.now_ms;
        if secrets {
            if let Some(secret) = self
                .fleet
                .secrets_mut(scope)
                .iter_mut()
                .find(|s| s.key == key)
            {
                secret.value = value;
                secret.date_rotated = now;
            }
        } else if let Some(config) = self
            .fleet
            .configs_mut(scope)
            .iter_mut()
            .find(|c| c.key == key)
        {
            config.value = value;
            config.date_updated = now;
        }
        self.scope_changed(scope, secrets, key);
        self.view_key_value(request, scope, secrets, key, 200)
    }

    fn delete_key_value(
        &mut self,
        request: &SimRequest,
        scope: Scope,
        secrets: bool,
        key: &str,
    ) -> Outcome {
        let removed = if secrets {
            let items = self.fleet.secrets_mut(scope);
            let before = items.len();
            items.retain(|s| s.key != key);
            items.len() != before
        } else {
            let items = self.fleet.configs_mut(scope);
            let before = items.len();
            items.retain(|c| c.key != key);
            items.len() != before
        };
        if !removed {
            return Err(SimResponse::not_found(request.path));
        }
        self.scope_changed(scope, secrets, key);
        Ok(SimResponse::no_content())
    }
}

fn method_not_allowed(method: Method, path: &str) -> SimResponse {
    SimResponse::error(
        405,
        codes::METHOD_NOT_ALLOWED,
        format!("{} is not allowed on {path}.", method.as_str()),
    )
}

/// One page of `items` as the vendor's list envelope.
fn list<R, T: ListResource + Serialize>(
    request: &SimRequest,
    items: &[R],
    position_of: impl Fn(&str) -> Option<usize>,
    id_of: impl Fn(&R) -> String,
    view: impl Fn(&R) -> T,
    list_url: &str,
) -> Outcome {
    let query =
        PageQuery::parse(request.query).map_err(|err| SimResponse::invalid(err.to_string()))?;
    let window = pagination::window(&query, items.len(), position_of).map_err(|bad| {
        SimResponse::invalid(format!(
            "PageToken '{}' is not valid: use the page URLs from a previous response.",
            bad.0
        ))
    })?;
    let page = ListPage {
        items: items[window.start..window.end]
            .iter()
            .map(view)
            .collect::<Vec<T>>(),
        meta: pagination::meta(&window, items.len(), list_url, T::KEY, &query, |i| {
            id_of(&items[i])
        }),
    };
    Ok(SimResponse::json(200, &page))
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
