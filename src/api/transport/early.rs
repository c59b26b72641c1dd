//! Answers the page asked for before the console's wasm was ready (`early_request.js`, written
//! into served builds' index.html): a read with the same URL and access token takes one
//! instead of asking again; the first read of the same path with another query (a page size
//! changed meanwhile) lets it go, aborted.

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortController;

/// The loader's script, for the browser tests that check its URLs against the console's.
pub const SCRIPT: &str = include_str!("early_request.js");

/// Where the loader leaves its requests.
const LIST: &str = "consoleEarly";

/// A request the page started: its answer (a `Response` promise) and how to abort it.
pub struct Early {
    pub controller: AbortController,
    pub answer: Promise,
    /// The loader's own record of it, to give back.
    entry: JsValue,
}

impl Early {
    /// Puts a request taken but not waited for back in the list, for the next read of its
    /// URL: a view made and unmade at once (the redirect from `/`) must not waste it.
    pub fn give_back(&self) {
        if let Some(list) = web_sys::window()
            .and_then(|window| Reflect::get(&window, &JsValue::from_str(LIST)).ok())
            .and_then(|list| list.dyn_into::<Array>().ok())
        {
            list.push(&self.entry);
        }
    }
}

fn field(entry: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(entry, &JsValue::from_str(name)).ok()
}

fn path_of(url: &str) -> &str {
    url.split_once('?').map_or(url, |(path, _)| path)
}

/// Takes the early request for `url` asked with `access_token`, if the page made one.
pub fn claim(url: &str, access_token: Option<&str>) -> Option<Early> {
    let window = web_sys::window()?;
    let list = Reflect::get(&window, &JsValue::from_str(LIST))
        .ok()?
        .dyn_into::<Array>()
        .ok()?;
    let mut claimed = None;
    let mut index = 0;
    while index < list.length() {
        let entry = list.get(index);
        let entry_url = field(&entry, "url").and_then(|url| url.as_string());
        let controller = field(&entry, "controller").and_then(|c| c.dyn_into().ok());
        let answer = field(&entry, "answer").and_then(|a| a.dyn_into().ok());
        let (Some(entry_url), Some(controller), Some(answer)) = (entry_url, controller, answer)
        else {
            list.splice_many(index, 1, &[]);
            continue;
        };
        let token = field(&entry, "token").and_then(|token| token.as_string());
        if claimed.is_none() && entry_url == url && token.as_deref() == access_token {
            claimed = Some(Early {
                controller,
                answer,
                entry,
            });
        } else if path_of(&entry_url) == path_of(url) {
            controller.abort();
        } else {
            index += 1;
            continue;
        }
        // Taken or let go: out of the list, and so out of reach of the loader's last call.
        list.splice_many(index, 1, &[]);
    }
    claimed
}
