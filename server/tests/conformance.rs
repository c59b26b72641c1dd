//! Sends every operation of the vendor's OpenAPI spec to the running server and validates
//! each response body against the spec's schema. Reads the spec from `spec/` (or
//! `MICROVISOR_SPEC`); where it is absent the test is counted as skipped, not passed.

mod common;

use common::Server;
use serde_json::Value;

/// Checks `value` against an OpenAPI schema (the subset this spec uses). Errors name the path.
fn validate(spec: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        let resolved = &spec["components"]["schemas"][name];
        assert!(!resolved.is_null(), "unresolved $ref {reference}");
        return validate(spec, resolved, value, at, errors);
    }
    if value.is_null() {
        if schema.get("nullable") != Some(&Value::Bool(true)) {
            errors.push(format!("{at}: null, but not nullable"));
        }
        return;
    }
    let kind = schema.get("type").and_then(Value::as_str);
    let ok = match kind {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    };
    if !ok {
        errors.push(format!("{at}: expected {kind:?}, got {value}"));
        return;
    }
    if let (Some(properties), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (name, property) in properties {
            match object.get(name) {
                Some(inner) => validate(spec, property, inner, &format!("{at}.{name}"), errors),
                // Every field is optional in the spec, but a faithful emulator sends them all.
                None => errors.push(format!("{at}.{name}: missing")),
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            validate(spec, items, item, &format!("{at}[{i}]"), errors);
        }
    }
    if let Some(text) = value.as_str() {
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && !regex::Regex::new(pattern).unwrap().is_match(text)
        {
            errors.push(format!("{at}: '{text}' does not match {pattern}"));
        }
        let length = text.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|min| length < min)
            || schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|max| length > max)
        {
            errors.push(format!("{at}: '{text}' has the wrong length"));
        }
        match schema.get("format").and_then(Value::as_str) {
            Some("date-time") if microvisor_api::time::parse_iso8601(text).is_none() => {
                errors.push(format!("{at}: '{text}' is not a date-time"));
            }
            Some("uri") if !text.starts_with("http://") && !text.starts_with("https://") => {
                errors.push(format!("{at}: '{text}' is not an absolute URI"));
            }
            _ => {}
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.iter().any(|a| a.as_str() == Some(text))
        {
            errors.push(format!("{at}: '{text}' is not one of {allowed:?}"));
        }
    }
}

/// The values to put into a path template for this run.
struct Ids {
    device: String,
    app_in_use: String,
    app_unused: String,
}

fn concrete(template: &str, ids: &Ids, key: &str, operation: &str) -> String {
    let app = if operation == "DeleteApp" {
        &ids.app_unused
    } else {
        &ids.app_in_use
    };
    template
        .replace("{DeviceSid}", &ids.device)
        .replace("{AppSid}", app)
        .replace("{Key}", key)
        .replace(
            "{Sid}",
            if template.starts_with("/v1/Apps") {
                app
            } else {
                &ids.device
            },
        )
}

#[test]
fn every_operation_answers_as_the_spec_describes() {
    let Some(spec) = test_support::spec_or_skip("conformance") else {
        return;
    };
    let server = Server::start(&[
        "--devices",
        "6",
        "--apps",
        "12",
        "--update-failure-rate",
        "0",
    ]);

    let devices: Value = serde_json::from_str(&server.get("/v1/Devices?PageSize=6").1).unwrap();
    let targeted: Vec<&str> = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["app"]["target_sid"].as_str())
        .collect();
    let apps: Value = serde_json::from_str(&server.get("/v1/Apps?PageSize=12").1).unwrap();
    let app_sids: Vec<&str> = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["sid"].as_str().unwrap())
        .collect();
    let ids = Ids {
        device: devices["devices"][0]["sid"].as_str().unwrap().to_owned(),
        app_in_use: targeted[0].to_owned(),
        app_unused: app_sids
            .iter()
            .find(|sid| !targeted.contains(sid))
            .expect("an app no device targets")
            .to_string(),
    };

    // Creates first, deletes last, so every operation has something to act on.
    let mut operations = Vec::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                let order = match (method.as_str(), template.ends_with('}')) {
                    ("post", false) => 0,
                    ("delete", _) => 2,
                    _ => 1,
                };
                operations.push((
                    order,
                    template.clone(),
                    method.to_uppercase(),
                    id.to_owned(),
                    operation.clone(),
                ));
            }
        }
    }
    operations.sort_by(|a, b| (a.0, &a.3).cmp(&(b.0, &b.3)));
    assert_eq!(operations.len(), 27, "the spec has 27 operations");

    let key = "conformance-key";
    let mut errors = Vec::new();
    for (_, template, method, id, operation) in &operations {
        let target = concrete(template, &ids, key, id);
        let form = match (method.as_str(), id.as_str()) {
            ("POST", "UpdateDevice") => Some("LoggingEnabled=true".to_owned()),
            ("POST", op) if op.starts_with("Create") => Some(format!("Key={key}&Value=s3cr3t-one")),
            ("POST", _) => Some("Value=s3cr3t-two".to_owned()),
            _ => None,
        };
        let (status, body) = server.request(method, &target, form.as_deref());
        let (expected, response) = operation["responses"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        if status.to_string() != *expected {
            errors.push(format!(
                "{id} {method} {target}: status {status}, spec says {expected}: {body}"
            ));
            continue;
        }
        let schema = &response["content"]["application/json"]["schema"];
        if schema.is_null() {
            if !body.is_empty() {
                errors.push(format!("{id}: expected no body, got {body}"));
            }
            continue;
        }
        let value: Value = match serde_json::from_str(&body) {
            Ok(value) => value,
            Err(err) => {
                errors.push(format!("{id}: body is not JSON ({err}): {body}"));
                continue;
            }
        };
        validate(&spec, schema, &value, id, &mut errors);
        if id.contains("Secret") && body.contains("s3cr3t") {
            errors.push(format!(
                "{id}: a secret value appears in the response: {body}"
            ));
        }
    }
    println!(
        "conformance: {} operations checked against {}",
        operations.len(),
        test_support::spec_path().display()
    );
    assert!(
        errors.is_empty(),
        "{} conformance errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
