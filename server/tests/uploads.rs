//! App uploads with the real binary: a bundle becomes an app whose manifest the API serves,
//! survives a restart, and is audited; every way a bundle is refused creates nothing; a
//! viewer may not upload; a connection dropped mid-upload leaves nothing behind; the proxy
//! checks a bundle before it forwards it, with the server's credentials.

mod common;

use std::io::{Cursor, Write};

use app_bundle::keys::{SigningKey, build_signed};
use app_bundle::{BuildOptions, build};
use base64::Engine as _;
use common::Server;
use console_protocol::ACCESS_TOKEN_HEADER;
use p256::pkcs8::{EncodePublicKey, LineEnding};

const BOUNDARY: &str = "console-test-boundary-7d1";

/// A flash image of `n` bytes.
fn image(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

fn bundle() -> Vec<u8> {
    build(&image(30_000), &BuildOptions::default()).unwrap()
}

/// A multipart body: the bundle in `File`, and `UniqueName` when given.
fn form(file: &[u8], unique_name: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    write!(
        body,
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"File\"; filename=\"app.zip\"\r\nContent-Type: application/zip\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n");
    if let Some(name) = unique_name {
        write!(
            body,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"UniqueName\"\r\n\r\n{name}\r\n"
        )
        .unwrap();
    }
    write!(body, "--{BOUNDARY}--\r\n").unwrap();
    body
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn upload(server: &Server, body: &[u8], headers: &[&str]) -> (u16, serde_json::Value) {
    let (status, _, answer) =
        server.request_bytes("POST", "/v1/Apps", &content_type(), body, headers);
    (status, serde_json::from_str(&answer).unwrap_or_default())
}

fn app_count(server: &Server, headers: &[&str]) -> usize {
    let (status, _, body) = server.request_with("GET", "/v1/Apps?PageSize=1000", None, headers);
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    page["apps"].as_array().unwrap().len()
}

/// A ZIP of these entries.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, contents) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(contents).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("console-uploads-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn an_uploaded_bundle_becomes_an_app_whose_manifest_the_api_serves_and_the_log_records() {
    let state = temp_file("state.db", b"");
    std::fs::remove_file(&state).unwrap();
    let server = Server::start(&["--devices", "10", "--state", state.to_str().unwrap()]);
    let before = app_count(&server, &[]);
    let bytes = bundle();
    let expected = app_bundle::read(&bytes, Default::default()).unwrap();
    let (status, app) = upload(&server, &form(&bytes, Some("meter-reader-2-1")), &[]);
    assert_eq!(status, 201, "{app}");
    let sid = app["sid"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("KA"), "{app}");
    assert_eq!(app["unique_name"], "meter-reader-2-1");
    assert_eq!(app["hash"], expected.manifest.hash.as_str());
    assert!(
        app["links"]["app_manifests"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/v1/Apps/{sid}/Manifest"))
    );
    assert_eq!(app_count(&server, &[]), before + 1);
    let manifest_of = |server: &Server| {
        let (status, body) = server.get("/v1/Apps/meter-reader-2-1/Manifest");
        assert_eq!(status, 200, "{body}");
        let manifest: serde_json::Value = serde_json::from_str(&body).unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(manifest["encoded_bytes"].as_str().unwrap())
            .unwrap()
    };
    assert_eq!(manifest_of(&server), expected.manifest.bytes);

    // The same unique name again is refused, as a device's is.
    let (status, refusal) = upload(&server, &form(&bytes, Some("meter-reader-2-1")), &[]);
    assert_eq!(status, 400, "{refusal}");
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("already used by app"),
        "{refusal}"
    );
    assert_eq!(app_count(&server, &[]), before + 1);

    // The audit log says who uploaded what, never the bytes.
    let (_, log) = server.get("/console/v1/audit?action=app");
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    let entries = log["entries"].as_array().unwrap();
    let created = entries
        .iter()
        .find(|e| e["status"] == 201)
        .expect("the upload's entry");
    let params = &created["params"];
    assert_eq!(params["File"], "app.zip");
    assert_eq!(params["Size"], bytes.len().to_string());
    assert_eq!(params["Hash"], expected.manifest.hash.as_str());
    assert_eq!(params["Signer"], "unsigned");
    assert_eq!(params["Sid"], sid.as_str());
    assert!(
        entries.iter().any(|e| e["status"] == 400),
        "the refused upload is recorded too"
    );

    // Kept across a kill -9 by the state file.
    server.kill();
    let again = Server::start(&["--state", state.to_str().unwrap()]);
    assert_eq!(app_count(&again, &[]), before + 1);
    assert_eq!(manifest_of(&again), expected.manifest.bytes);
}

#[test]
fn each_bad_bundle_is_refused_with_its_reason_and_nothing_is_created() {
    let server = Server::start(&["--devices", "5", "--max-upload-bytes", "200000"]);
    let before = app_count(&server, &[]);
    let good = bundle();
    let entries: Vec<(String, Vec<u8>)> = {
        let mut archive = zip::ZipArchive::new(Cursor::new(good.clone())).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut entry = archive.by_index(i).unwrap();
                let mut contents = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut contents).unwrap();
                (entry.name().to_owned(), contents)
            })
            .collect()
    };
    let manifest = &entries.iter().find(|(n, _)| n == "manifest").unwrap().1;
    let layer_name = &entries.iter().find(|(n, _)| n != "manifest").unwrap().0;
    let mut changed = image(30_000);
    changed[5] ^= 0xFF;
    let zeros = vec![0u8; 48 * 1024 * 1024];
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "not a ZIP",
            b"just some text, not a zip".to_vec(),
            400,
            "not a ZIP",
        ),
        (
            "no manifest",
            zip_of(&[("readme", b"hi")]),
            400,
            "no 'manifest'",
        ),
        (
            "a missing layer",
            zip_of(&[("manifest", manifest)]),
            400,
            "is not in the archive",
        ),
        (
            "a layer with the wrong hash",
            zip_of(&[("manifest", manifest), (layer_name, &changed)]),
            400,
            "does not match its hash",
        ),
        (
            "a ZIP bomb",
            zip_of(&[("manifest", manifest), ("filler", &zeros)]),
            400,
            "unpacks to more than",
        ),
        (
            "an entry named ../x",
            zip_of(&[("manifest", manifest), ("../x", b"escape")]),
            400,
            "plain file names",
        ),
        (
            "over the size limit",
            vec![b'x'; 300_000],
            413,
            "larger than",
        ),
    ];
    for (what, file, status, says) in cases {
        let (got, answer) = upload(&server, &form(&file, None), &[]);
        assert_eq!(got, status, "{what}: {answer}");
        if status == 400 {
            assert!(
                answer["message"].as_str().unwrap_or("").contains(says),
                "{what}: {answer}"
            );
        }
        assert_eq!(app_count(&server, &[]), before, "{what} created nothing");
    }
    // A form without its File part.
    let empty = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"UniqueName\"\r\n\r\nx\r\n--{BOUNDARY}--\r\n"
    );
    let (status, answer) = upload(&server, empty.as_bytes(), &[]);
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("File"));
    assert_eq!(app_count(&server, &[]), before);
}

#[test]
fn with_a_key_configured_only_bundles_it_signed_are_taken() {
    let signer = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let other = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let public = signer
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let key = temp_file("signer.pem", public.as_bytes());
    let server = Server::start(&["--devices", "5", "--bundle-key", key.to_str().unwrap()]);
    let before = app_count(&server, &[]);
    let (status, answer) = upload(&server, &form(&bundle(), None), &[]);
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("not signed"));
    let by_other = build_signed(&image(1000), &BuildOptions::default(), &other).unwrap();
    let (status, answer) = upload(&server, &form(&by_other, None), &[]);
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("signed by signer")
    );
    assert_eq!(app_count(&server, &[]), before);
    let signed = build_signed(&image(1000), &BuildOptions::default(), &signer).unwrap();
    let (status, answer) = upload(&server, &form(&signed, None), &[]);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(app_count(&server, &[]), before + 1);
}

#[test]
fn a_viewer_may_not_upload_and_a_dropped_upload_creates_nothing() {
    let file = std::env::temp_dir().join(format!(
        "console-operators-{}-uploads.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&file);
    let add = |name: &str, role: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_console-server"))
            .args(["operators", "add", name, "--role", role, "--operators"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(output.status.success());
        format!(
            "{ACCESS_TOKEN_HEADER}: {}",
            String::from_utf8(output.stdout).unwrap().trim()
        )
    };
    let (viewer, operator) = (add("vic", "viewer"), add("ana", "operator"));
    let server = Server::start(&["--devices", "5", "--operators", file.to_str().unwrap()]);
    let before = app_count(&server, &[&viewer]);
    let (status, answer) = upload(&server, &form(&bundle(), None), &[&viewer]);
    assert_eq!(status, 403, "{answer}");
    assert_eq!(app_count(&server, &[&viewer]), before);

    // Half the body, then the connection closes: nothing is created, the server goes on.
    let body = form(&bundle(), Some("half-sent"));
    let mut stream = std::net::TcpStream::connect(&server.address).unwrap();
    write!(
        stream,
        "POST /v1/Apps HTTP/1.1\r\nHost: {}\r\n{operator}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
        server.address,
        content_type(),
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    drop(stream);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(app_count(&server, &[&operator]), before);
    assert_eq!(
        server
            .request_with("GET", "/v1/Apps/half-sent", None, &[&operator])
            .0,
        404
    );
    let (status, answer) = upload(&server, &form(&bundle(), None), &[&operator]);
    assert_eq!(status, 201, "{answer}");
}

#[test]
fn the_proxy_checks_a_bundle_then_streams_it_upstream_with_the_server_credentials() {
    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "upload-token";
    let upstream = Server::start(&["--devices", "5", "--auth", &format!("{SID}:{TOKEN}")]);
    let basic = format!(
        "Authorization: Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
    );
    let before = app_count(&upstream, &[&basic]);
    let url = format!("http://{}", upstream.address);
    let proxy = Server::start_with(
        &["--upstream", &url, "--upload-upstream", &url],
        &[("TWILIO_ACCOUNT_SID", SID), ("TWILIO_AUTH_TOKEN", TOKEN)],
        None,
    );
    // Without the server's credentials the upstream refuses an upload.
    assert_eq!(upload(&upstream, &form(&bundle(), None), &[]).0, 401);
    let (status, app) = upload(&proxy, &form(&bundle(), Some("via-proxy")), &[]);
    assert_eq!(status, 201, "{app}");
    assert_eq!(app_count(&upstream, &[&basic]), before + 1);
    assert_eq!(
        upstream
            .request_with("GET", "/v1/Apps/via-proxy", None, &[&basic])
            .0,
        200
    );
    // A broken bundle never leaves the proxy.
    let (status, answer) = upload(&proxy, &form(b"not a zip", None), &[]);
    assert_eq!(status, 400, "{answer}");
    assert_eq!(app_count(&upstream, &[&basic]), before + 1);
}
