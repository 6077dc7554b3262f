//! The hot path of event ingestion, written per backend.
//!
//! Accepting an event appends it to an inbox: sequential writes, so a request is
//! answered as soon as its events are durable. Folding takes the inbox in large
//! batches (SQLite: through a temporary `fold` table; PostgreSQL: one statement)
//! applies each batch set-wise, sorted by contact. Applying events one request at a
//! time touched about 2.7 random pages per event at a million contacts (the timeline
//! index, the engagement rows and their two status indexes); a fold of a few hundred
//! thousand events shares those pages between events, which is where the throughput
//! comes from. Folds run every second (and on demand), so statuses follow the events
//! within about a second.
//!
//! SQLite keeps the inbox in its own file (`<database>.inbox`), attached to the writer
//! connection: appending to it never waits for a fold holding the main file's write
//! lock, and `event_folds` (in the main file, written by the fold's own transaction)
//! says how far it has been applied. PostgreSQL keeps it as a table: a fold deletes the
//! rows it takes in its own transaction, under an advisory lock so that one instance
//! folds at a time.

use app::model::events::EventKind;

/// The engagement row's instants, moved forward by folds.
pub const FORWARD: [&str; 4] = ["last_interaction_at", "last_signal_at", "last_open_at", "last_click_at"];

/// `SET col = the later of the stored and the new value` for each column of `table`,
/// with the new values in `col(i)`.
pub fn forward_set(table: &str, names: &[&str], col: impl Fn(usize) -> String) -> String {
    let sets: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let v = col(i);
            format!("{name} = CASE WHEN {v} IS NOT NULL AND ({table}.{name} IS NULL OR {table}.{name} < {v}) THEN {v} ELSE {table}.{name} END")
        })
        .collect();
    sets.join(", ")
}

/// Moves a mark from $2 to $3 (created at $3 when absent): no row changes when another
/// run of the same work moved it first, and then that run's chunk is refused whole.
pub(crate) const ADVANCE_MARK: &str = "INSERT INTO event_inbox_marks (mark, through) VALUES ($1, $3) \
     ON CONFLICT (mark) DO UPDATE SET through = excluded.through WHERE event_inbox_marks.through = $2";

/// The inbox's columns, in the order `queue` binds them (the timeline's names too).
pub(crate) const INBOX_COLUMNS: &str = "contact_id, kind, interaction, occurred_at, detail, actor, campaign, meta";

/// An event whose consequences are applied one by one (unsubscribes, hard bounces,
/// complaints: few, and each writes consent evidence): contact, kind, instant, sender.
pub type Rare = (app::model::ContactId, EventKind, app::model::Timestamp, String);

/// Contacts deleted or erased since their events were accepted are skipped (an erased
/// contact keeps its row for the hashes, and must not grow a timeline again).
pub(crate) const LIVE: &str = "EXISTS (SELECT 1 FROM engagement e WHERE e.contact_id = f.contact_id \
                    AND (e.suppression_reason IS NULL OR e.suppression_reason <> 'erased'))";

/// The statements of a fold over the batch `src` (a table or a CTE of inbox rows),
/// the same text for both backends but for the day of an instant (`day`). Each
/// instant only moves forward: a late, older event changes nothing.
pub(crate) struct FoldSql {
    pub timeline: String,
    pub instants: String,
    pub purchases: String,
    pub rare: String,
}

impl FoldSql {
    pub fn over(src: &str, day: fn(&str) -> String) -> FoldSql {
        let values = ["v.li", "v.ls", "v.lo", "v.lc"];
        let rare = EventKind::sql_list(|k| k.unsubscribes() || k.suppresses());
        let signals = EventKind::sql_list(EventKind::is_signal);
        FoldSql {
            timeline: format!(
                "INSERT INTO activities ({INBOX_COLUMNS}) SELECT {cols} FROM {src} f WHERE {LIVE} ORDER BY f.contact_id, f.occurred_at",
                cols = INBOX_COLUMNS.split(", ").map(|c| format!("f.{c}")).collect::<Vec<_>>().join(", "),
            ),
            instants: format!(
                "UPDATE engagement SET {set} FROM (SELECT contact_id, MAX(occurred_at) AS li, \
                   MAX(CASE WHEN kind IN ({signals}) THEN occurred_at END) AS ls, \
                   MAX(CASE WHEN kind = 'open' THEN occurred_at END) AS lo, \
                   MAX(CASE WHEN kind = 'click' THEN occurred_at END) AS lc \
                 FROM {src} f WHERE f.interaction AND {LIVE} GROUP BY f.contact_id) AS v \
                 WHERE engagement.contact_id = v.contact_id AND ({moves})",
                set = forward_set("engagement", &FORWARD, |i| values[i].to_string()),
                moves = FORWARD
                    .iter()
                    .zip(values)
                    .map(|(col, v)| format!("{v} > COALESCE(engagement.{col}, -1)"))
                    .collect::<Vec<_>>()
                    .join(" OR "),
            ),
            purchases: format!(
                "UPDATE contacts SET {set}, purchase_count = contacts.purchase_count + v.n \
                 FROM (SELECT f.contact_id, COUNT(*) AS n, {day} AS day FROM {src} f \
                   WHERE f.kind = 'purchase' AND {LIVE} GROUP BY f.contact_id) AS v \
                 WHERE contacts.id = v.contact_id",
                set = forward_set("contacts", &["last_purchase_on"], |_| "v.day".to_string()),
                day = day("MAX(occurred_at)"),
            ),
            rare: format!("FROM {src} f WHERE f.kind IN ({rare}) AND {LIVE}"),
        }
    }
}
