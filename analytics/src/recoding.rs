//! A release decision for every combination of quasi-identifier values: the level each
//! quasi-identifier is released at, or suppression. Full-domain (global) generalisation is the
//! special case where every kept combination has the same levels.

/// Per base combination (see [`crate::search::Base`]): the level of each quasi-identifier, or
/// suppressed (every quasi-identifier released as `*`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recoding {
    /// `levels[j][i]`: the level of quasi-identifier `j` for combination `i` (meaningless when
    /// the combination is suppressed).
    pub levels: Vec<Vec<u8>>,
    /// `suppressed[i]`: combination `i` is withheld.
    pub suppressed: Vec<bool>,
}

impl Recoding {
    /// Every combination at `node`, those listed in `suppressed` withheld.
    pub fn uniform(node: &[u8], combinations: usize, suppressed: Vec<bool>) -> Recoding {
        Recoding { levels: node.iter().map(|&l| vec![l; combinations]).collect(), suppressed }
    }
}
