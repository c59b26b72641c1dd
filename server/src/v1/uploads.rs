//! App uploads, as the vendor's upload host takes them: `POST /v1/Apps`, multipart, the bundle
//! in the part `File` and an optional `UniqueName`. The bundle is streamed to a temporary file
//! within `--max-upload-bytes` (never held whole in memory), read and checked there (and its
//! signature, with `--bundle-key`), so a bad one is refused before anything is created or
//! forwarded; then the emulator creates the app, or the proxy streams it on to the upload
//! upstream. What was uploaded goes back in the answer's extensions for the audit log: who,
//! the file's name and size, the app's hash and signer; never its bytes.

use std::io::Write as _;

use app_bundle::keys::VerifyingKey;
use app_bundle::{Bundle, BundleError, Limits};
use axum::extract::Request;
use axum::http::header;
use axum::response::Response;
use microvisor_api::error::codes;

use crate::answers::error;

/// The emulator's and the proxy's rules for uploads.
#[derive(Clone)]
pub struct UploadPolicy {
    /// Largest bundle taken; larger is 413.
    pub max_bytes: u64,
    /// When set, only bundles signed by this key are taken.
    pub signed_by: Option<VerifyingKey>,
}

/// What the audit log records of an upload, handed on in the answer's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub file_name: String,
    pub size: u64,
    pub unique_name: Option<String>,
    /// The app's hash and signer, once the bundle read.
    pub hash: Option<String>,
    pub signer: Option<String>,
}

/// Whether a request is an upload.
pub fn is_upload(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST && path == "/v1/Apps"
}

/// A bundle received into a temporary file, deleted when this is dropped.
pub struct Received {
    pub file: tempfile::NamedTempFile,
    pub file_name: String,
    pub size: u64,
    pub unique_name: Option<String>,
}

impl Received {
    pub fn facts(&self, bundle: Option<&Bundle>) -> Uploaded {
        Uploaded {
            file_name: self.file_name.clone(),
            size: self.size,
            unique_name: self.unique_name.clone(),
            hash: bundle.map(|b| b.manifest.hash.clone()),
            signer: bundle.map(|b| b.manifest.signer.describe()),
        }
    }
}

/// A refusal, with what is known of the upload for the audit log.
pub fn refused(status: u16, message: &str, uploaded: Option<Uploaded>) -> Response {
    let mut answer = error(status, codes::INVALID_PARAMETER, message);
    if let Some(uploaded) = uploaded {
        answer.extensions_mut().insert(uploaded);
    }
    answer
}

fn too_large(policy: &UploadPolicy) -> Response {
    error(
        413,
        20413,
        &format!(
            "The bundle is larger than this server takes ({} bytes at most).",
            policy.max_bytes
        ),
    )
}

/// Receives the multipart body: the `File` part streamed to a temporary file, `UniqueName`
/// read as text. A body over the limit is a 413; one that breaks off, or without `File`, a
/// 400; in either case nothing is kept.
pub async fn receive(request: Request, policy: &UploadPolicy) -> Result<Received, Response> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // A little room for the form's own framing and the name.
    let whole = policy.max_bytes + 64 * 1024;
    if declared.is_some_and(|length| length > whole) {
        return Err(too_large(policy));
    }
    let boundary = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| {
            refused(
                400,
                "An upload is multipart/form-data, with the bundle in the part named File.",
                None,
            )
        })?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(whole)
            .for_field("File", policy.max_bytes)
            .for_field("UniqueName", 1024),
    );
    let stream = request.into_body().into_data_stream();
    let mut form = multer::Multipart::with_constraints(stream, boundary, constraints);
    let (mut file, mut file_name, mut size, mut unique_name) = (None, String::new(), 0u64, None);
    let broke = |err: multer::Error| match err {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            too_large(policy)
        }
        other => refused(
            400,
            &format!("The upload did not arrive whole: {other}."),
            None,
        ),
    };
    while let Some(mut field) = form.next_field().await.map_err(broke)? {
        match field.name() {
            Some("File") => {
                file_name = field.file_name().unwrap_or("bundle.zip").to_owned();
                let mut spooled = tempfile::NamedTempFile::new().map_err(|err| {
                    error(
                        500,
                        codes::INTERNAL,
                        &format!("Cannot receive the upload: {err}"),
                    )
                })?;
                while let Some(chunk) = field.chunk().await.map_err(broke)? {
                    size += chunk.len() as u64;
                    spooled.write_all(&chunk).map_err(|err| {
                        error(
                            500,
                            codes::INTERNAL,
                            &format!("Cannot receive the upload: {err}"),
                        )
                    })?;
                }
                file = Some(spooled);
            }
            Some("UniqueName") => {
                let text = field.text().await.map_err(broke)?;
                unique_name = Some(text.trim().to_owned()).filter(|name| !name.is_empty());
            }
            // Other parts are not the API's: read past them.
            _ => while field.chunk().await.map_err(broke)?.is_some() {},
        }
    }
    let file = file.ok_or_else(|| {
        refused(
            400,
            "The upload has no part named File: the bundle goes there.",
            None,
        )
    })?;
    if size == 0 {
        return Err(refused(400, "The uploaded file is empty.", None));
    }
    Ok(Received {
        file,
        file_name,
        size,
        unique_name,
    })
}

/// Bundles checked at once: the work is CPU-bound (inflate and hash), so more than the
/// machine's cores only adds threads, each with its stack and allocator arena.
static CHECKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Reads and checks the received bundle, and its signature when the policy names a key.
pub async fn check(received: &Received, policy: &UploadPolicy) -> Result<Bundle, Response> {
    let _turn = CHECKING
        .acquire()
        .await
        .map_err(|err| error(500, codes::INTERNAL, &err.to_string()))?;
    let path = received.file.path().to_owned();
    let (size, max, key) = (received.size, policy.max_bytes, policy.signed_by);
    let read = tokio::task::spawn_blocking(move || -> Result<Bundle, BundleError> {
        let file = std::fs::File::open(&path).map_err(|err| BundleError::BadEntry {
            name: "the upload".to_owned(),
            reason: err.to_string(),
        })?;
        let limits = Limits {
            archive_bytes: max,
            ..Limits::default()
        };
        let bundle = app_bundle::read_from(std::io::BufReader::new(file), size, limits)?;
        if let Some(key) = key {
            app_bundle::keys::verify(&bundle.manifest, &key)?;
        }
        Ok(bundle)
    })
    .await
    .map_err(|err| error(500, codes::INTERNAL, &err.to_string()))?;
    read.map_err(|err| refused(400, &err.to_string(), Some(received.facts(None))))
}

/// The answer, with what was uploaded for the audit log.
pub fn with_facts(mut answer: Response, uploaded: Uploaded) -> Response {
    answer.extensions_mut().insert(uploaded);
    answer
}

/// The part `File` of a form for the upload upstream, streamed from the received file.
pub async fn file_part(received: &Received) -> std::io::Result<reqwest::multipart::Part> {
    let file = tokio::fs::File::open(received.file.path()).await?;
    let stream = tokio_util::io::ReaderStream::new(file);
    reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), received.size)
        .file_name(received.file_name.clone())
        .mime_str("application/zip")
        .map_err(std::io::Error::other)
}
