//! Apps: list, fetch, delete, their manifests, and the app an uploaded bundle creates (the
//! vendor's upload host's `POST /v1/Apps`, whose multipart body the caller has read and whose
//! bundle it has checked with `app_bundle`).

use app_bundle::Manifest;
use base64::Engine as _;
use microvisor_api::{Sid, SidKind, validate_unique_name};

use crate::fleet::AppRecord;
use crate::handler::Emulator;
use crate::records::RecordKind;
use crate::request::{Outcome, SimRequest, SimResponse, list};

/// An upload, once its bundle has been read and checked.
pub struct Upload<'a> {
    pub manifest: &'a Manifest,
    pub unique_name: Option<&'a str>,
    pub authorization: Option<&'a str>,
    /// Scheme and authority the request came to, for the answer's URLs.
    pub origin: &'a str,
    pub now_ms: i64,
}

impl Emulator {
    pub(crate) fn list_apps(&self, request: &SimRequest) -> Outcome {
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

    pub(crate) fn fetch_app(&self, request: &SimRequest, id: &str) -> Outcome {
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

    pub(crate) fn delete_app(&mut self, id: &str) -> Outcome {
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

    pub(crate) fn fetch_manifest(&self, request: &SimRequest, id: &str) -> Outcome {
        let position = self
            .fleet
            .find_app(id)
            .ok_or_else(|| SimResponse::not_found(request.path))?;
        Ok(SimResponse::json(
            200,
            &self
                .fleet
                .manifest_view(&self.fleet.apps[position], request.origin),
        ))
    }

    /// Creates the app `upload` holds: 201 with the App resource, its `hash` from the
    /// manifest. A unique name is checked as devices' are, and one another app has is
    /// refused, as the API refuses a device's.
    pub fn add_app(&mut self, upload: &Upload<'_>) -> SimResponse {
        if let Err(refused) = self.authenticate(upload.authorization, upload.now_ms) {
            return refused;
        }
        let unique_name = match upload.unique_name {
            None => None,
            Some(name) => {
                if let Err(err) = validate_unique_name(name) {
                    return SimResponse::invalid(format!("UniqueName: {err}"));
                }
                if let Some(holder) = self.fleet.find_app(name) {
                    return SimResponse::invalid(format!(
                        "UniqueName '{name}' is already used by app {}.",
                        self.fleet.apps[holder].sid
                    ));
                }
                Some(name.to_owned())
            }
        };
        let bits = app_bundle::sha256(
            format!(
                "{}:{}:{}",
                upload.manifest.hash,
                upload.now_ms,
                self.fleet.apps.len()
            )
            .as_bytes(),
        );
        let mut high = [0u8; 16];
        high.copy_from_slice(&bits[..16]);
        let app = AppRecord {
            sid: Sid::from_bits(SidKind::App, u128::from_be_bytes(high)),
            unique_name,
            hash: upload.manifest.hash.clone(),
            manifest: base64::engine::general_purpose::STANDARD.encode(&upload.manifest.bytes),
            date_created: upload.now_ms,
        };
        let view = self.fleet.app_view(&app, upload.origin);
        let sid = app.sid.to_string();
        self.fleet.push_app(app);
        self.record(RecordKind::App, sid);
        SimResponse::json(201, &view)
    }
}
