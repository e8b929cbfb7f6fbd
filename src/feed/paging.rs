//! RFC 5005 paged feeds: `feed.xml` holds the newest page, `feed-2.xml`, `feed-3.xml`… the older
//! ones, each linked to the others with `atom:link rel="first" / "last" / "next" / "previous"`.
//! Apps such as gPodder follow the links; a large back catalogue stays cheap to poll.

use std::num::NonZeroUsize;

use serde::Serialize;

use super::{Channel, Feed, Item};

/// RFC 5005 links of a paged feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paging {
    /// First page.
    pub first: String,
    /// Last page.
    pub last: String,
    /// Next (older) page.
    pub next: Option<String>,
    /// Previous (newer) page.
    pub prev: Option<String>,
}

/// The file name of page `n` (from 1): `feed.xml`, then `feed-2.xml`, `feed-3.xml`…
///
/// ```
/// use podmark::feed::paging::page_name;
/// assert_eq!(page_name(1), "feed.xml");
/// assert_eq!(page_name(3), "feed-3.xml");
/// ```
pub fn page_name(n: usize) -> String {
    if n == 1 { "feed.xml".to_owned() } else { format!("feed-{n}.xml") }
}

/// Splits `items` (in feed order) into pages of `page_size` (`None`: one page with all of them),
/// served from `base_url` (ending in `/`). Returns each page's file name and feed. A single page
/// is `channel` as given; with several, each page's `self_url` is its own URL and it carries
/// [`Paging`] links. No items still make one (empty) page.
pub fn paginate(
    channel: &Channel,
    items: &[Item],
    page_size: Option<NonZeroUsize>,
    base_url: &str,
) -> Vec<(String, Feed)> {
    let page_size = page_size.map_or(items.len().max(1), NonZeroUsize::get);
    let pages: Vec<&[Item]> = if items.is_empty() { vec![items] } else { items.chunks(page_size).collect() };
    let page_url = |n: usize| format!("{base_url}{}", page_name(n));
    let count = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(i, page)| {
            let n = i + 1;
            let mut channel = channel.clone();
            if count > 1 {
                channel.self_url = page_url(n);
                channel.paging = Some(Paging {
                    first: page_url(1),
                    last: page_url(count),
                    next: (n < count).then(|| page_url(n + 1)),
                    prev: (n > 1).then(|| page_url(n - 1)),
                });
            }
            (page_name(n), Feed { channel, items: page.to_vec() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Enclosure;
    use crate::sources::show::Category;

    fn items(n: usize) -> Vec<Item> {
        let date = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00+00:00").unwrap_or_default();
        (1..=n)
            .map(|i| {
                let audio =
                    Enclosure { url: format!("https://e.example/{i}.mp3"), length: 1, mime: "audio/mpeg".into() };
                Item::new(format!("E{i}"), format!("g{i}"), date, audio, 1)
            })
            .collect()
    }

    fn channel() -> Channel {
        let category = Category::new("Technology", None).unwrap();
        Channel::new("T", "https://e.example/", "D", "en", "https://e.example/feed.xml", category, "A")
    }

    #[test]
    fn one_page_is_the_channel_as_given() {
        let pages = paginate(&channel(), &items(3), None, "https://e.example/");
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].0, "feed.xml");
        assert_eq!(pages[0].1.channel, channel());
        assert_eq!(pages[0].1.items.len(), 3);
        let empty = paginate(&channel(), &[], NonZeroUsize::new(2), "https://e.example/");
        assert_eq!((empty.len(), empty[0].1.items.len()), (1, 0));
    }

    #[test]
    fn pages_link_to_first_last_next_and_previous() {
        let pages = paginate(&channel(), &items(5), NonZeroUsize::new(2), "https://e.example/");
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["feed.xml", "feed-2.xml", "feed-3.xml"]);
        let middle = &pages[1].1.channel;
        assert_eq!(middle.self_url, "https://e.example/feed-2.xml");
        assert_eq!(
            middle.paging,
            Some(Paging {
                first: "https://e.example/feed.xml".into(),
                last: "https://e.example/feed-3.xml".into(),
                next: Some("https://e.example/feed-3.xml".into()),
                prev: Some("https://e.example/feed.xml".into()),
            })
        );
        assert_eq!(pages[0].1.channel.paging.as_ref().and_then(|p| p.prev.clone()), None);
        assert_eq!(pages[2].1.items.len(), 1);
    }
}
