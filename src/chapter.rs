//! The chapter model: [`Chapter`] and [`Chapters`], a list that is valid by construction.

use std::fmt;

use serde::Serialize;

use crate::Timestamp;

/// One chapter: where it starts, what it is called, and optional extras.
///
/// A lone `Chapter` is plain data; the rules that relate chapters to each other (order, overlap,
/// the audio's length) are kept by [`Chapters`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Chapter {
    /// Where the chapter starts.
    pub start: Timestamp,
    /// Where it ends, if the source said so. [`Chapters::end_of`] fills the gap from the next
    /// chapter's start or the audio duration.
    pub end: Option<Timestamp>,
    /// The title, exactly as written in the source (trimmed of surrounding white space).
    pub title: String,
    /// A link for the chapter (JSON `url`, PSC `href`, ID3 `WXXX`).
    pub url: Option<String>,
    /// A chapter image: a path relative to the source file, or a URL.
    pub image: Option<String>,
    /// A longer description (ID3 `TIT3`).
    pub description: Option<String>,
    /// A hidden chapter is a marker that is not listed in the table of contents (JSON
    /// `"toc": false`, an ID3 `CHAP` left out of the `CTOC`).
    pub hidden: bool,
}

impl Chapter {
    /// A visible chapter with a start and a title, and nothing else.
    ///
    /// ```
    /// # use podmark::{Chapter, Timestamp};
    /// let c = Chapter::new(Timestamp::ZERO, "Intro").with_url("https://example.com");
    /// assert_eq!(c.url.as_deref(), Some("https://example.com"));
    /// ```
    pub fn new(start: Timestamp, title: impl Into<String>) -> Self {
        Chapter { start, end: None, title: title.into(), url: None, image: None, description: None, hidden: false }
    }

    /// Sets the explicit end.
    #[must_use]
    pub fn with_end(mut self, end: Timestamp) -> Self {
        self.end = Some(end);
        self
    }

    /// Sets the URL.
    #[must_use]
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the image.
    #[must_use]
    pub fn with_image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }

    /// Marks the chapter hidden (not in the table of contents).
    #[must_use]
    pub fn hidden(mut self, hidden: bool) -> Self {
        self.hidden = hidden;
        self
    }
}

/// A list of chapters that is valid by construction.
///
/// Every `Chapters` value holds:
/// - starts strictly increasing (no two chapters start at the same time);
/// - every explicit end after its own start and not after the next chapter's start (no overlaps);
/// - when the audio duration is known, every start before it and every end at or before it.
///
/// ```
/// # use podmark::{Chapter, Chapters, Timestamp};
/// let t = |s: &str| s.parse::<Timestamp>().unwrap();
/// let chapters = Chapters::new(vec![Chapter::new(t("0"), "Intro"), Chapter::new(t("1:00"), "Talk")])?
///     .with_duration(t("10:00"))?;
/// assert_eq!(chapters.end_of(0), Some(t("1:00")));
/// assert_eq!(chapters.end_of(1), Some(t("10:00")));
/// assert!(Chapters::new(vec![Chapter::new(t("1:00"), "B"), Chapter::new(t("0"), "A")]).is_err());
/// # Ok::<(), podmark::ChaptersError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Chapters {
    list: Vec<Chapter>,
    duration: Option<Timestamp>,
}

impl Chapters {
    /// An empty list (used to strip chapters).
    pub const fn empty() -> Self {
        Chapters { list: Vec::new(), duration: None }
    }

    /// Checks the list and wraps it; the error lists **every** problem found, not only the first.
    pub fn new(list: Vec<Chapter>) -> Result<Self, ChaptersError> {
        let problems = problems(&list, None);
        if problems.is_empty() { Ok(Chapters { list, duration: None }) } else { Err(ChaptersError { problems }) }
    }

    /// Sorts by start first, then checks (for formats whose spec says readers must sort, like PSC).
    pub fn sorted(mut list: Vec<Chapter>) -> Result<Self, ChaptersError> {
        list.sort_by_key(|c| c.start);
        Chapters::new(list)
    }

    /// Records the audio duration, checking the chapters against it.
    pub fn with_duration(self, duration: Timestamp) -> Result<Self, ChaptersError> {
        let problems = problems(&self.list, Some(duration));
        if problems.is_empty() {
            Ok(Chapters { list: self.list, duration: Some(duration) })
        } else {
            Err(ChaptersError { problems })
        }
    }

    /// The audio duration, when known.
    pub fn duration(&self) -> Option<Timestamp> {
        self.duration
    }

    /// The chapters in time order.
    pub fn as_slice(&self) -> &[Chapter] {
        &self.list
    }

    /// Iterates in time order.
    pub fn iter(&self) -> std::slice::Iter<'_, Chapter> {
        self.list.iter()
    }

    /// Number of chapters.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when there are no chapters.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The end of chapter `i`: its explicit end, else the next chapter's start, else the audio
    /// duration; `None` for the last chapter when nothing says where it ends.
    pub fn end_of(&self, i: usize) -> Option<Timestamp> {
        let c = self.list.get(i)?;
        c.end.or_else(|| self.list.get(i + 1).map(|n| n.start)).or(self.duration)
    }

    /// Each chapter with its resolved end (see [`Chapters::end_of`]).
    pub fn spans(&self) -> impl Iterator<Item = (&Chapter, Option<Timestamp>)> + '_ {
        self.list.iter().enumerate().map(|(i, c)| (c, self.end_of(i)))
    }

    /// Gives the list back.
    pub fn into_vec(self) -> Vec<Chapter> {
        self.list
    }
}

impl<'a> IntoIterator for &'a Chapters {
    type Item = &'a Chapter;
    type IntoIter = std::slice::Iter<'a, Chapter>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl TryFrom<Vec<Chapter>> for Chapters {
    type Error = ChaptersError;
    fn try_from(list: Vec<Chapter>) -> Result<Self, Self::Error> {
        Chapters::new(list)
    }
}

fn problems(list: &[Chapter], duration: Option<Timestamp>) -> Vec<ChapterProblem> {
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        if let Some(end) = c.end
            && end <= c.start
        {
            out.push(ChapterProblem { index: i, kind: ProblemKind::EndNotAfterStart { start: c.start, end } });
        }
        if let Some(next) = list.get(i + 1) {
            if next.start <= c.start {
                out.push(ChapterProblem {
                    index: i + 1,
                    kind: ProblemKind::NotAfterPrevious { start: next.start, previous: c.start },
                });
            } else if let Some(end) = c.end
                && end > next.start
            {
                out.push(ChapterProblem { index: i, kind: ProblemKind::Overlap { end, next: next.start } });
            }
        }
        if let Some(d) = duration {
            if c.start >= d {
                out.push(ChapterProblem {
                    index: i,
                    kind: ProblemKind::StartsAfterAudio { start: c.start, duration: d },
                });
            } else if let Some(end) = c.end
                && end > d
            {
                out.push(ChapterProblem { index: i, kind: ProblemKind::EndsAfterAudio { end, duration: d } });
            }
        }
    }
    out
}

/// Why a list of chapters is not a valid [`Chapters`]: every problem, each with the index of the
/// chapter concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ChaptersError {
    problems: Vec<ChapterProblem>,
}

impl ChaptersError {
    /// The problems, in list order.
    pub fn problems(&self) -> &[ChapterProblem] {
        &self.problems
    }
}

impl fmt::Display for ChaptersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// One problem in a chapter list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterProblem {
    /// Index (from 0) of the chapter concerned.
    pub index: usize,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for ChapterProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chapter {}: {}", self.index + 1, self.kind)
    }
}

/// The structural problems [`Chapters`] rules out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A start at or before the previous chapter's start (out of order, or a duplicate).
    #[error("starts at {start}, not after the previous chapter's start {previous}")]
    NotAfterPrevious {
        /// This chapter's start.
        start: Timestamp,
        /// The previous chapter's start.
        previous: Timestamp,
    },
    /// An explicit end at or before the start.
    #[error("ends at {end}, not after its start {start}")]
    EndNotAfterStart {
        /// Start.
        start: Timestamp,
        /// End.
        end: Timestamp,
    },
    /// An explicit end after the next chapter's start.
    #[error("ends at {end}, after the next chapter starts at {next}")]
    Overlap {
        /// End.
        end: Timestamp,
        /// Next chapter's start.
        next: Timestamp,
    },
    /// A start at or after the end of the audio.
    #[error("starts at {start}, at or after the end of the audio ({duration})")]
    StartsAfterAudio {
        /// Start.
        start: Timestamp,
        /// Audio duration.
        duration: Timestamp,
    },
    /// An explicit end after the end of the audio.
    #[error("ends at {end}, after the end of the audio ({duration})")]
    EndsAfterAudio {
        /// End.
        end: Timestamp,
        /// Audio duration.
        duration: Timestamp,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms).unwrap_or_default()
    }

    #[test]
    fn reports_every_problem() {
        let list = vec![
            Chapter::new(t(0), "a").with_end(t(5000)),
            Chapter::new(t(4000), "b"),
            Chapter::new(t(4000), "c"),
            Chapter::new(t(9000), "d").with_end(t(8000)),
        ];
        let err = Chapters::new(list).err().map(|e| e.problems().to_vec()).unwrap_or_default();
        assert_eq!(err.len(), 3, "{err:?}");
        assert!(matches!(err[0].kind, ProblemKind::Overlap { .. }));
        assert!(matches!(err[1].kind, ProblemKind::NotAfterPrevious { .. }));
        assert!(matches!(err[2].kind, ProblemKind::EndNotAfterStart { .. }));
    }

    #[test]
    fn ends_chain_to_next_start_then_duration() {
        let c = Chapters::new(vec![Chapter::new(t(0), "a"), Chapter::new(t(1000), "b")])
            .and_then(|c| c.with_duration(t(3000)));
        let c = c.unwrap_or_default();
        let ends: Vec<_> = c.spans().map(|(_, e)| e).collect();
        assert_eq!(ends, vec![Some(t(1000)), Some(t(3000))]);
    }

    #[test]
    fn chapter_past_the_audio_is_rejected() {
        let c = Chapters::new(vec![Chapter::new(t(0), "a"), Chapter::new(t(5000), "b")]).unwrap_or_default();
        let e = c.with_duration(t(5000)).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("chapter 2: starts at 00:00:05.000, at or after the end of the audio (00:00:05.000)")
        );
    }
}
