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
