//! Row selection with checkboxes, as tables do it: a click toggles one row, a Shift-click
//! gives the whole range from the last row clicked the same state.

use std::collections::BTreeSet;

/// Applies a click on `clicked` (with Shift or not) to `selected`. `rows` are the SIDs in the
/// order they are shown; `anchor` is the row clicked before, if any. Returns the new anchor.
pub fn toggle(
    selected: &mut BTreeSet<String>,
    rows: &[&str],
    anchor: Option<&str>,
    clicked: &str,
    shift: bool,
) -> String {
    let position = |wanted: &str| rows.iter().position(|sid| *sid == wanted);
    let range: Vec<&str> = match anchor
        .filter(|_| shift)
        .map(|anchor| (position(anchor), position(clicked)))
    {
        Some((Some(a), Some(b))) => rows[a.min(b)..=a.max(b)].to_vec(),
        _ => vec![clicked],
    };
    let select = !selected.contains(clicked);
    for sid in range {
        if select {
            selected.insert(sid.to_owned());
        } else {
            selected.remove(sid);
        }
    }
    clicked.to_owned()
}

/// How a header checkbox over `rows` shows `selected`: (checked, indeterminate).
pub fn header_state(selected: &BTreeSet<String>, rows: &[&str]) -> (bool, bool) {
    let chosen = rows.iter().filter(|sid| selected.contains(**sid)).count();
    let all = !rows.is_empty() && chosen == rows.len();
    (all, chosen > 0 && !all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: [&str; 5] = ["a", "b", "c", "d", "e"];

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn clicks_toggle_and_shift_clicks_select_ranges_either_way() {
        let mut selected = BTreeSet::new();
        let anchor = toggle(&mut selected, &ROWS, None, "b", false);
        assert_eq!(selected, set(&["b"]));
        let anchor = toggle(&mut selected, &ROWS, Some(&anchor), "d", true);
        assert_eq!(selected, set(&["b", "c", "d"]));
        // Upwards from the new anchor, and Shift on a selected row clears the range.
        let anchor = toggle(&mut selected, &ROWS, Some(&anchor), "c", true);
        assert_eq!(selected, set(&["b"]));
        assert_eq!(anchor, "c");
        // Without Shift only the row changes; an anchor no longer shown selects one row.
        toggle(&mut selected, &ROWS, Some("gone"), "e", true);
        assert_eq!(selected, set(&["b", "e"]));
        toggle(&mut selected, &ROWS, Some("a"), "b", false);
        assert_eq!(selected, set(&["e"]));
    }

    #[test]
    fn the_header_box_is_checked_indeterminate_or_clear() {
        assert_eq!(header_state(&set(&[]), &ROWS), (false, false));
        assert_eq!(header_state(&set(&["a", "z"]), &ROWS), (false, true));
        assert_eq!(header_state(&set(&ROWS), &ROWS), (true, false));
        assert_eq!(header_state(&set(&["a"]), &[]), (false, false));
    }
}
