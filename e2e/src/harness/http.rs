//! HTTP from the test itself (not the browser), for checking servers and emulators directly.

use serde_json::Value;

/// One HTTP/1.1 request from the test itself (not the browser), as a same-origin page would
/// send it: `(status, JSON body or null)`. For checking servers and emulators directly.
pub async fn http_json(method: &str, url: &str, body: Option<&str>) -> (u16, Value) {
    http_json_with(method, url, body, &[]).await
}

/// `http_json` with extra headers (`Name: value`), such as an operator's token.
pub async fn http_json_with(
    method: &str,
    url: &str,
    body: Option<&str>,
    headers: &[&str],
) -> (u16, Value) {
    request(method, url, body, "application/json", headers).await
}

/// A POST of a form, as the Microvisor API takes its writes (`TargetApp=KA…`).
pub async fn http_form(url: &str, form: &str) -> (u16, Value) {
    request(
        "POST",
        url,
        Some(form),
        "application/x-www-form-urlencoded",
        &[],
    )
    .await
}

async fn request(
    method: &str,
    url: &str,
    body: Option<&str>,
    content_type: &str,
    headers: &[&str],
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .unwrap_or_else(|err| panic!("connect to {authority}: {err}"));
    let body = body.unwrap_or("");
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nOrigin: http://{authority}\r\n{extra}\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// `/console/v1/events` read by the test itself, as the console reads it (HTTP/1.0: the
/// answer is the stream, no chunking).
pub struct EventStream {
    reader: tokio::io::BufReader<tokio::net::TcpStream>,
}

/// One server-sent event: its id, its name, its data.
pub type SentEvent = (Option<i64>, String, String);

impl EventStream {
    /// Opens the stream at `base`, resuming after `last_event_id` when given.
    pub async fn open(base: &str, last_event_id: Option<i64>) -> EventStream {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let authority = base.strip_prefix("http://").expect("an http:// URL");
        let mut stream = tokio::net::TcpStream::connect(authority)
            .await
            .unwrap_or_else(|err| panic!("connect to {authority}: {err}"));
        let resume = last_event_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
        let request = format!(
            "GET /console/v1/events HTTP/1.0\r\nHost: {authority}\r\nAccept: text/event-stream\r\n{resume}\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut reader = tokio::io::BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).await.expect("a status line");
        assert!(status.contains(" 200 "), "the event stream: {status}");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.expect("a header");
            if line.trim().is_empty() {
                return EventStream { reader };
            }
        }
    }

    /// The next event (heartbeats skipped), within 60 s.
    pub async fn next(&mut self) -> SentEvent {
        use tokio::io::AsyncBufReadExt;
        let (mut id, mut event, mut data) = (None, String::new(), String::new());
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(
                std::time::Duration::from_secs(60),
                self.reader.read_line(&mut line),
            )
            .await
            .expect("an event within 60 s")
            .expect("the stream reads");
            assert!(read > 0, "the stream ended");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !data.is_empty() {
                    return (id, event, data);
                }
                continue;
            }
            if let Some(value) = line.strip_prefix("id:") {
                id = value.trim().parse().ok();
            } else if let Some(value) = line.strip_prefix("event:") {
                event = value.trim().to_owned();
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.trim_start());
            }
        }
    }
}
