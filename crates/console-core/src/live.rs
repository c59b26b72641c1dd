//! Live updates as the console hears them: `text/event-stream` read a chunk at a time (the
//! browser's stream hands over bytes cut anywhere), each event decoded into a
//! `ConsoleEvent`, and what a page should reload because of it.

use console_protocol::ConsoleEvent;

/// One server-sent event: its id (when it has one), its name, its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl SseEvent {
    /// The console event it carries; `None` for one this build does not know.
    pub fn decode(&self) -> Option<ConsoleEvent> {
        serde_json::from_str(&self.data).ok()
    }
}

/// The event-stream format, fed bytes as they arrive.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes after the last line end: a line (and a UTF-8 character) may be cut anywhere.
    partial: Vec<u8>,
    /// A `\r` ended the last chunk: a `\n` starting the next belongs to it.
    after_cr: bool,
    id: Option<String>,
    event: String,
    data: Vec<String>,
    /// The last id the stream gave: sent back as `Last-Event-ID` when it reconnects.
    pub last_id: Option<String>,
}

impl SseParser {
    /// Takes the next bytes; the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in bytes {
            if std::mem::take(&mut self.after_cr) && byte == b'\n' {
                continue;
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line =
                        String::from_utf8_lossy(&std::mem::take(&mut self.partial)).into_owned();
                    if let Some(event) = self.line(&line) {
                        events.push(event);
                    }
                }
                _ => self.partial.push(byte),
            }
        }
        events
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            let id = self.id.take();
            let event = std::mem::take(&mut self.event);
            if self.data.is_empty() {
                return None;
            }
            let data = std::mem::take(&mut self.data).join("\n");
            if id.is_some() {
                self.last_id.clone_from(&id);
            }
            return Some(SseEvent {
                id,
                event: if event.is_empty() {
                    "message".to_owned()
                } else {
                    event
                },
                data,
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            "event" => value.clone_into(&mut self.event),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
        None
    }
}

/// What an event asks an open page to reload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stale {
    /// Every view of devices, whichever they show (a resync).
    pub everything: bool,
    /// These devices changed.
    pub devices: Vec<String>,
    /// The index ended a pass: counts and summaries.
    pub fleet: bool,
    /// This rollout moved.
    pub rollout: Option<String>,
    /// Rules firing now, when an alert moved.
    pub firing: Option<u64>,
}

/// What `event` makes stale.
pub fn stale(event: &ConsoleEvent) -> Stale {
    match event {
        ConsoleEvent::Devices { changed, .. } => Stale {
            devices: changed.iter().map(|d| d.sid.clone()).collect(),
            // More than an event names: every page of devices may hold one.
            everything: matches!(event, ConsoleEvent::Devices { more, .. } if *more > 0),
            ..Stale::default()
        },
        ConsoleEvent::Pass { .. } => Stale {
            fleet: true,
            ..Stale::default()
        },
        ConsoleEvent::Rollout { id, .. } => Stale {
            rollout: Some(id.clone()),
            ..Stale::default()
        },
        ConsoleEvent::Alert { firing, .. } => Stale {
            firing: Some(*firing),
            ..Stale::default()
        },
        ConsoleEvent::Resync => Stale {
            everything: true,
            fleet: true,
            ..Stale::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_cut_anywhere_come_out_whole() {
        let stream = "retry: 2000\n: heartbeat\nid: 7\nevent: alert\ndata: {\"a\":\r\ndata: \"é\"}\n\nid: 8\r\nevent: pass\r\ndata: x\r\n\r\n";
        let bytes = stream.as_bytes();
        // Every cut, including inside the two-byte é and between \r and \n.
        for cut in 0..bytes.len() {
            let mut parser = SseParser::default();
            let mut events = parser.push(&bytes[..cut]);
            events.extend(parser.push(&bytes[cut..]));
            assert_eq!(
                events,
                vec![
                    SseEvent {
                        id: Some("7".into()),
                        event: "alert".into(),
                        data: "{\"a\":\n\"é\"}".into()
                    },
                    SseEvent {
                        id: Some("8".into()),
                        event: "pass".into(),
                        data: "x".into()
                    },
                ],
                "cut at {cut}"
            );
            assert_eq!(parser.last_id.as_deref(), Some("8"));
        }
    }

    #[test]
    fn a_block_without_data_is_no_event_and_a_nameless_one_is_a_message() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"id: 3\n\n").is_empty());
        assert_eq!(parser.last_id, None);
        let events = parser.push(b"data: hi\n\n");
        assert_eq!(events[0].event, "message");
    }

    #[test]
    fn each_event_says_what_it_makes_stale() {
        let devices: ConsoleEvent = serde_json::from_str(
            r#"{"kind":"devices","changed":[{"sid":"UV1","status":"error"}],"more":0}"#,
        )
        .unwrap();
        assert_eq!(stale(&devices).devices, ["UV1"]);
        assert!(!stale(&devices).everything);
        let many: ConsoleEvent =
            serde_json::from_str(r#"{"kind":"devices","changed":[],"more":3}"#).unwrap();
        assert!(stale(&many).everything);
        assert!(stale(&ConsoleEvent::Resync).everything);
        let alert: ConsoleEvent =
            serde_json::from_str(r#"{"kind":"alert","rule_id":"AR1","name":"x","firing":2}"#)
                .unwrap();
        assert_eq!(stale(&alert).firing, Some(2));
    }
}
