//! Configs and Secrets, of the account and of each device: list, read, create, update,
//! delete, with the vendor's limits and its rule that a secret's value is never read back.

use microvisor_api::KeyValueForm;
use microvisor_api::config::{validate_key, validate_value};

use crate::fleet::{ConfigRecord, Scope, SecretRecord};
use crate::handler::Emulator;
use crate::records::RecordKind;
use crate::request::{
    Method, Outcome, SimRequest, SimResponse, list, method_not_allowed, read_form,
};

impl Emulator {
    pub(crate) fn key_value(
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
