//! Live updates as the console hears them: `text/event-stream` read a chunk at a time (the
//! browser's stream hands over bytes cut anywhere), and what each event makes a page reload.

use serde::Deserialize;

/// One server-sent event: its id (when it has one), its name, its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
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

/// The fields of a `ConsoleEvent` (console-protocol) that say what went stale, read alone:
/// the page's first load does not carry the decoders of the whole event.
#[derive(Deserialize)]
struct Wire {
    kind: String,
    #[serde(default)]
    changed: Vec<WireDevice>,
    #[serde(default)]
    more: u64,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    firing: Option<u64>,
}

#[derive(Deserialize)]
struct WireDevice {
    sid: String,
}

/// What the event in `data` makes stale; `None` for one this build cannot read.
pub fn stale_of(data: &str) -> Option<Stale> {
    let wire: Wire = serde_json::from_str(data).ok()?;
    Some(match wire.kind.as_str() {
        "devices" => Stale {
            devices: wire.changed.into_iter().map(|d| d.sid).collect(),
            // More than an event names: every page of devices may hold one.
            everything: wire.more > 0,
            ..Stale::default()
        },
        "pass" => Stale {
            fleet: true,
            ..Stale::default()
        },
        "rollout" => Stale {
            rollout: wire.id,
            ..Stale::default()
        },
        "alert" => Stale {
            firing: wire.firing,
            ..Stale::default()
        },
        "resync" => Stale {
            everything: true,
            fleet: true,
            ..Stale::default()
        },
        _ => return None,
    })
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
        use console_protocol::{ConsoleEvent, DeviceChange};
        use fleet_engine::rollout::{Counts, Status};
        // Read from what the server writes, so the two cannot drift apart.
        let of = |event: ConsoleEvent| stale_of(&serde_json::to_string(&event).unwrap()).unwrap();
        let change = DeviceChange {
            sid: "UV1".into(),
            unique_name: String::new(),
            status: "error".into(),
            gone: false,
        };
        let devices = of(ConsoleEvent::Devices {
            changed: vec![change],
            more: 0,
        });
        assert_eq!(devices.devices, ["UV1"]);
        assert!(!devices.everything);
        assert!(
            of(ConsoleEvent::Devices {
                changed: vec![],
                more: 3
            })
            .everything
        );
        assert!(of(ConsoleEvent::Resync).everything);
        assert!(
            of(ConsoleEvent::Pass {
                listed: 1,
                written: 1,
                gone: 0
            })
            .fleet
        );
        let rollout = of(ConsoleEvent::Rollout {
            id: "RO1".into(),
            name: "r".into(),
            status: Status::Running,
            counts: Counts::default(),
        });
        assert_eq!(rollout.rollout.as_deref(), Some("RO1"));
        let alert = of(ConsoleEvent::Alert {
            rule_id: "AR1".into(),
            name: "x".into(),
            transition: None,
            firing: 2,
        });
        assert_eq!(alert.firing, Some(2));
        assert_eq!(stale_of(r#"{"kind":"from-a-newer-server"}"#), None);
    }
}
