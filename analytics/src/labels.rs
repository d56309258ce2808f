//! Many short strings stored end to end: one buffer of text and one offset per string.
//!
//! A column's distinct values (millions of postcodes) and its labels at each level are held
//! for the whole run. As `Vec<String>` each costs a 24-byte header and an allocation besides its
//! text; here each costs its text and 8 bytes. A hierarchy's level-0 labels are its values
//! (`Generalisation::values`), so they are held once.

use std::fmt;
use std::ops::Index;

/// Strings indexed like a slice (`labels[i]` is a `str`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Labels {
    text: String,
    /// `ends[i]`: where string `i` ends in `text` (it starts where string `i - 1` ends).
    ends: Vec<u64>,
}

impl Labels {
    /// No strings, with room for `n` of them.
    pub fn with_capacity(n: usize) -> Self {
        Self::with_capacities(n, 0)
    }

    /// No strings, with room for `n` of them and `text` bytes of text.
    pub fn with_capacities(n: usize, text: usize) -> Self {
        Labels { text: String::with_capacity(text), ends: Vec::with_capacity(n) }
    }

    /// Bytes of text in all the strings.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Appends a string.
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u64);
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there is no string.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end)
    }

    /// The first string, if any.
    pub fn first(&self) -> Option<&str> {
        self.get(0)
    }

    /// The last string, if any.
    pub fn last(&self) -> Option<&str> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The strings in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| &self[i])
    }

    /// Binary search of sorted strings (as [`slice::binary_search`]).
    pub fn binary_search(&self, s: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self[mid].cmp(s) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// The strings as owned `String`s (for tests and small lists).
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

impl Index<usize> for Labels {
    type Output = str;

    /// String `i`; panics past the end, as a slice does.
    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(s) => s,
            None => panic!("index {i} out of range for {} labels", self.len()),
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for Labels {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut l = Labels::with_capacity(iter.size_hint().0);
        for s in iter {
            l.push(s.as_ref());
        }
        // Growing by doubling may have left up to half of the text's buffer unused.
        l.text.shrink_to_fit();
        l
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Labels {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Labels {
    fn eq(&self, other: &[S; N]) -> bool {
        self == other.as_slice()
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Labels {
    fn eq(&self, other: &Vec<S>) -> bool {
        self == other.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_read_back_as_pushed() {
        let words = ["", "a", "", "SW1A 1AA", "é€", "zz"];
        let l: Labels = words.iter().collect();
        assert_eq!(l.len(), 6);
        for (i, w) in words.iter().enumerate() {
            assert_eq!((&l[i], l.get(i)), (*w, Some(*w)));
        }
        assert_eq!(l.get(6), None);
        assert_eq!(l.first(), Some(""));
        assert_eq!(l, words);
        assert_eq!(l.to_vec(), words);
        assert_ne!(l, ["", "a"]);
        assert_eq!(format!("{l:?}"), format!("{words:?}"));
        assert!(Labels::default().is_empty());
        assert_eq!(Labels::default().first(), None);
    }

    #[test]
    fn binary_search_finds_as_a_slice_does() {
        let sorted = ["", "0", "00", "1", "10", "9", "a", "ab", "b"];
        let l: Labels = sorted.iter().collect();
        for probe in ["", "0", "000", "05", "1", "2", "9", "99", "a", "aa", "b", "c"] {
            assert_eq!(l.binary_search(probe), sorted.binary_search(&probe), "{probe:?}");
        }
        assert_eq!(Labels::default().binary_search("x"), Err(0));
    }
}
