//! Paging parameters as the API names them: `PageSize`, `Page` and `PageToken`. The same
//! query string is the console's route state, so a console URL and an API URL share it.

use std::fmt;

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The sizes the console offers.
pub const PAGE_SIZE_CHOICES: [u32; 7] = [10, 25, 50, 100, 250, 500, 1000];

/// A remembered page size, if it is one the console offers.
pub fn parse_page_size_choice(text: &str) -> Option<u32> {
    text.trim()
        .parse()
        .ok()
        .filter(|size| PAGE_SIZE_CHOICES.contains(size))
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct PageQuery {
    pub page_size: Option<u32>,
    pub page: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageQueryError {
    #[error("PageSize must be a whole number from 1 to {MAX_PAGE_SIZE}; got '{0}'.")]
    PageSize(String),
    #[error("Page must be a whole number of 0 or more; got '{0}'.")]
    Page(String),
    #[error("PageToken cannot be empty.")]
    EmptyToken,
}

impl PageQueryError {
    /// The parameter at fault, as the API names it.
    pub fn parameter(&self) -> &'static str {
        match self {
            PageQueryError::PageSize(_) => "PageSize",
            PageQueryError::Page(_) => "Page",
            PageQueryError::EmptyToken => "PageToken",
        }
    }
}

impl PageQuery {
    /// Reads the paging parameters from a query string (with or without the leading `?`).
    /// Other parameters are ignored. A value that is present but invalid is an error.
    pub fn parse(query: &str) -> Result<PageQuery, PageQueryError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut out = PageQuery::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "PageSize" => {
                    let size = value
                        .parse::<u32>()
                        .ok()
                        .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
                        .ok_or_else(|| PageQueryError::PageSize(value.clone().into_owned()))?;
                    out.page_size = Some(size);
                }
                "Page" => {
                    let page = value
                        .parse::<u32>()
                        .map_err(|_| PageQueryError::Page(value.clone().into_owned()))?;
                    out.page = Some(page);
                }
                "PageToken" => {
                    if value.is_empty() {
                        return Err(PageQueryError::EmptyToken);
                    }
                    out.page_token = Some(value.into_owned());
                }
                _ => {}
            }
        }
        Ok(out)
    }

    pub fn page_size_or_default(&self) -> u32 {
        self.page_size.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    pub fn page_or_first(&self) -> u32 {
        self.page.unwrap_or(0)
    }

    /// The first page at a given size.
    pub fn first(page_size: u32) -> PageQuery {
        PageQuery {
            page_size: Some(page_size),
            page: Some(0),
            page_token: None,
        }
    }

    /// The query string, without `?`, in the vendor's order: PageSize, Page, PageToken.
    pub fn to_query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if let Some(size) = self.page_size {
            out.append_pair("PageSize", &size.to_string());
        }
        if let Some(page) = self.page {
            out.append_pair("Page", &page.to_string());
        }
        if let Some(token) = &self.page_token {
            out.append_pair("PageToken", token);
        }
        out.finish()
    }
}

impl fmt::Display for PageQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_in_vendor_order() {
        let query = PageQuery::parse("?Page=2&PageToken=PAUV1%2B&PageSize=25&x=1").unwrap();
        assert_eq!(
            query,
            PageQuery {
                page_size: Some(25),
                page: Some(2),
                page_token: Some("PAUV1+".into())
            }
        );
        assert_eq!(
            query.to_query_string(),
            "PageSize=25&Page=2&PageToken=PAUV1%2B"
        );
        assert_eq!(PageQuery::parse(&query.to_query_string()).unwrap(), query);
    }

    #[test]
    fn empty_query_means_defaults() {
        let query = PageQuery::parse("").unwrap();
        assert_eq!(query, PageQuery::default());
        assert_eq!(query.page_size_or_default(), 50);
        assert_eq!(query.to_query_string(), "");
    }

    #[test]
    fn rejects_out_of_range_and_junk() {
        for bad in [
            "PageSize=0",
            "PageSize=1001",
            "PageSize=abc",
            "PageSize=-1",
            "PageSize=",
        ] {
            let err = PageQuery::parse(bad).unwrap_err();
            assert_eq!(err.parameter(), "PageSize", "{bad}");
        }
        assert_eq!(PageQuery::parse("Page=-1").unwrap_err().parameter(), "Page");
        assert_eq!(
            PageQuery::parse("PageToken=").unwrap_err(),
            PageQueryError::EmptyToken
        );
        assert_eq!(
            PageQuery::parse("PageSize=1000").unwrap().page_size,
            Some(1000)
        );
    }

    #[test]
    fn remembered_page_sizes_must_be_offered_ones() {
        assert_eq!(parse_page_size_choice("250"), Some(250));
        assert_eq!(parse_page_size_choice(" 25\n"), Some(25));
        assert_eq!(parse_page_size_choice("26"), None);
        assert_eq!(parse_page_size_choice("lots"), None);
    }
}
