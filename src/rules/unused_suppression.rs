//! LL011 unused-suppression.

use crate::lint::Rule;

/// Suppression comments (`# leaselint: ignore[..]`) that silence nothing: a rule named in the
/// comment ran and reported nothing on the comment's line (or, for a comment alone on its line,
/// on the next line); a rule name that does not exist; a blanket `# leaselint: ignore` with no
/// finding there; or a malformed directive. Rules turned off in the run are not reported, since
/// they could not have been used.
///
/// The findings are made by the lint runner after suppressions are applied (`lint::suppress`),
/// so this rule has no `check_*` method.
///
/// Fix (safe): remove the stale names from the comment, or the whole directive when none is
/// left (the whole line when the comment was alone on it).
pub(crate) struct UnusedSuppression;

impl Rule for UnusedSuppression {
    fn code(&self) -> &'static str {
        "LL011"
    }

    fn name(&self) -> &'static str {
        "unused-suppression"
    }
}
