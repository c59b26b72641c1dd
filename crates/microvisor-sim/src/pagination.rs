//! Page slicing in the vendor's style. `PageToken` is `PA<sid>` ("the page after this item")
//! or `PB<sid>` ("the page before this item"). Order is creation order, which never changes,
//! so following tokens neither skips nor repeats an item, whatever is updated in between.

use microvisor_api::{ListMeta, PageQuery};

/// Where a page starts and ends in the full ordered list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageWindow {
    pub start: usize,
    pub end: usize,
    pub page: u32,
    pub page_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadToken(pub String);

/// Resolves `query` against a list of `len` items whose SIDs `position_of` can find.
pub fn window(
    query: &PageQuery,
    len: usize,
    position_of: impl Fn(&str) -> Option<usize>,
) -> Result<PageWindow, BadToken> {
    let page_size = query.page_size_or_default();
    let size = page_size as usize;
    let page = query.page_or_first();
    let (start, end) = match query.page_token.as_deref() {
        None => {
            let start = (page as usize).saturating_mul(size).min(len);
            (start, start.saturating_add(size).min(len))
        }
        Some(token) => {
            let bad = || BadToken(token.to_owned());
            let (direction, sid) = (
                token.get(..2).ok_or_else(bad)?,
                token.get(2..).ok_or_else(bad)?,
            );
            let anchor = position_of(sid).ok_or_else(bad)?;
            match direction {
                "PA" => {
                    let start = anchor + 1;
                    (start, start.saturating_add(size).min(len))
                }
                "PB" => (anchor.saturating_sub(size), anchor),
                _ => return Err(bad()),
            }
        }
    };
    Ok(PageWindow {
        start,
        end,
        page,
        page_size,
    })
}

/// The `meta` object for a window, with absolute URLs under `list_url`
/// (e.g. `http://127.0.0.1:8080/v1/Devices`). `sid_at` gives the SID at a position.
pub fn meta(
    window: &PageWindow,
    len: usize,
    list_url: &str,
    key: &str,
    query: &PageQuery,
    sid_at: impl Fn(usize) -> String,
) -> ListMeta {
    let url_with = |page: u32, token: Option<String>| {
        let query = PageQuery {
            page_size: Some(window.page_size),
            page: Some(page),
            page_token: token,
        };
        format!("{list_url}?{query}")
    };
    let next_page_url = (window.end < len && window.end > window.start).then(|| {
        url_with(
            window.page + 1,
            Some(format!("PA{}", sid_at(window.end - 1))),
        )
    });
    let previous_page_url = (window.start > 0 && window.start < len).then(|| {
        url_with(
            window.page.saturating_sub(1),
            Some(format!("PB{}", sid_at(window.start))),
        )
    });
    ListMeta {
        page: Some(i64::from(window.page)),
        page_size: Some(i64::from(window.page_size)),
        first_page_url: Some(url_with(0, None)),
        previous_page_url,
        url: Some(url_with(window.page, query.page_token.clone())),
        next_page_url,
        key: Some(key.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("UV{i:032}")).collect()
    }

    fn pos(list: &[String]) -> impl Fn(&str) -> Option<usize> + '_ {
        move |sid| list.iter().position(|s| s == sid)
    }

    #[test]
    fn tokens_walk_forward_and_back_without_gaps() {
        let list = sids(7);
        let mut query = PageQuery::first(3);
        let mut seen = Vec::new();
        let mut metas = Vec::new();
        loop {
            let w = window(&query, list.len(), pos(&list)).unwrap();
            seen.extend_from_slice(&list[w.start..w.end]);
            let m = meta(
                &w,
                list.len(),
                "http://h/v1/Devices",
                "devices",
                &query,
                |i| list[i].clone(),
            );
            metas.push(m.clone());
            match m.next_page_url {
                Some(next) => {
                    query = PageQuery::parse(microvisor_api::url::query_of(&next)).unwrap()
                }
                None => break,
            }
        }
        assert_eq!(seen, list);
        assert_eq!(metas.len(), 3);
        // Back from the last page lands on the middle page exactly.
        let prev = metas[2].previous_page_url.clone().unwrap();
        let back = PageQuery::parse(microvisor_api::url::query_of(&prev)).unwrap();
        let w = window(&back, list.len(), pos(&list)).unwrap();
        assert_eq!((w.start, w.end, w.page), (3, 6, 1));
        assert_eq!(metas[0].previous_page_url, None);
        assert_eq!(
            metas[1].url.as_deref(),
            Some(
                format!(
                    "http://h/v1/Devices?PageSize=3&Page=1&PageToken=PA{}",
                    list[2]
                )
                .as_str()
            )
        );
        assert_eq!(
            metas[0].first_page_url.as_deref(),
            Some("http://h/v1/Devices?PageSize=3&Page=0")
        );
    }

    #[test]
    fn unknown_tokens_are_refused() {
        let list = sids(3);
        for token in [
            "PAUVnope",
            "XX",
            "P",
            "PC",
            "ZZ00000000000000000000000000000000000",
        ] {
            let query = PageQuery {
                page_token: Some(token.into()),
                ..PageQuery::first(2)
            };
            assert!(window(&query, list.len(), pos(&list)).is_err(), "{token}");
        }
    }

    #[test]
    fn page_numbers_without_tokens_and_past_the_end() {
        let list = sids(5);
        let query = PageQuery {
            page: Some(9),
            ..PageQuery::first(2)
        };
        let w = window(&query, list.len(), pos(&list)).unwrap();
        assert_eq!((w.start, w.end), (5, 5));
        let m = meta(&w, list.len(), "u", "devices", &query, |i| list[i].clone());
        assert_eq!(m.next_page_url, None);
        assert_eq!(m.previous_page_url, None);
    }
}
