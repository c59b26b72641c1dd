//! The one entry point: `Emulator::handle(request) -> response`, for all 27 operations of the
//! vendor's spec.

use microvisor_api::error::codes;
use microvisor_api::url::decode_segment;
use microvisor_api::{DeviceUpdate, Sid, validate_unique_name};

use crate::auth::Auth;
use crate::fleet::{Fleet, LOGGING_WINDOW_MS, Scope};
use crate::records::{Change, RecordKind};
use crate::request::{
    Method, Outcome, SimRequest, SimResponse, list, method_not_allowed, read_form,
};
use crate::seed::SimConfig;

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
        if let Err(refused) = self.authenticate(request.authorization, request.now_ms) {
            return refused;
        }
        match self.route(request) {
            Ok(response) | Err(response) => response,
        }
    }

    /// Whether a request with this `Authorization` may go on, as the real service decides.
    pub fn authenticate(
        &self,
        authorization: Option<&str>,
        now_ms: i64,
    ) -> Result<(), SimResponse> {
        match &self.auth {
            Some(auth) if !auth.allows(authorization, now_ms) => Err(SimResponse::error(
                // No `WWW-Authenticate` either: a browser must not pop up its own login box.
                401,
                codes::AUTHENTICATE,
                "Authentication Error - No credentials provided or they are invalid",
            )),
            _ => Ok(()),
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
            (["Apps", id, "Manifest"], Get) => self.fetch_manifest(request, id),
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

    pub(crate) fn record(&mut self, kind: RecordKind, id: impl Into<String>) {
        self.changes.push(Change {
            kind,
            id: id.into(),
        });
    }

    pub(crate) fn device_changed(&mut self, position: usize) {
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
}
