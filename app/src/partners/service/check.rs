//! The suppression checks: a list of values, or a stream of lines against the in-memory set.

#[allow(unused_imports)]
use super::*;

/// Streams the hashed suppression list (SHA-256 when `sha256`, else MD5; only what
/// changed at or after `since` when given) to `out`, batch by batch.
pub async fn export_hashes(
    state: &AppState,
    sha256: bool,
    since: Option<crate::model::Timestamp>,
    out: &tokio::sync::mpsc::Sender<Vec<String>>,
) -> Result<(), StoreError> {
    state.store.export_hashes(sha256, since, out).await
}

/// One batch of the streaming check: values read as in `emails` (invalid ones skipped),
/// counted against the quota, answered with the known ones.
pub async fn check_lines(
    state: &AppState,
    caller: &PartnerKey,
    lines: &[String],
    now: crate::model::Timestamp,
) -> Result<Vec<String>, ApiError> {
    let lookups: Vec<(usize, Lookup)> =
        lines.iter().enumerate().filter_map(|(i, l)| lookup_of("emails", l).ok().map(|x| (i, x))).collect();
    let day = day_of(now);
    quota_allows(state, caller, lines.len(), now).await?;
    let probes: Vec<&Lookup> = lookups.iter().map(|(_, l)| l).collect();
    let found = state.known_hashes.known(state.store.as_ref(), &probes, now).await?;
    let known: Vec<String> =
        lookups.iter().zip(found).filter(|(_, hit)| *hit).map(|((i, _), _)| lines[*i].clone()).collect();
    state.partner_usage.add(caller.partner.id, &day, lines.len() as i64, known.len() as i64);
    Ok(known)
}

/// Every known address's hashes in memory, for scrubbing long lists (the streaming
/// check): a lookup is a hash-set probe instead of an index probe. Each set holds the
/// first 128 bits of each hash (all of an MD5; for SHA-256, 2^-128 odds of a false
/// match), about 40 MB per million contacts for both. Loaded on first use, then brought
/// up to date from the store (contacts changed since the last refresh, through the
/// `updated_at` index) before each batch when a second has passed.
#[derive(Default)]
pub struct KnownHashes {
    loaded: tokio::sync::Mutex<Option<LoadedHashes>>,
}

struct LoadedHashes {
    md5: std::collections::HashSet<u128>,
    sha256: std::collections::HashSet<u128>,
    refreshed_at: crate::model::Timestamp,
}

pub(super) fn prefix128(hex: &str) -> Option<u128> {
    hex.get(..32).and_then(|h| u128::from_str_radix(h, 16).ok())
}

impl KnownHashes {
    /// Which lookups are known, after refreshing if a second has passed.
    pub async fn known(
        &self,
        store: &dyn crate::store::Store,
        lookups: &[&Lookup],
        now: crate::model::Timestamp,
    ) -> Result<Vec<bool>, StoreError> {
        let mut guard = self.loaded.lock().await;
        let since = match guard.as_ref() {
            None => Some(crate::model::Timestamp::MIN),
            // Overlap by a second: rows written within the second of the last refresh.
            Some(loaded) if now > loaded.refreshed_at => Some(loaded.refreshed_at - 1),
            Some(_) => None,
        };
        if let Some(since) = since {
            let loaded = guard.get_or_insert_with(|| LoadedHashes {
                md5: Default::default(),
                sha256: Default::default(),
                refreshed_at: crate::model::Timestamp::MIN,
            });
            let (md5, sha256) = (&mut loaded.md5, &mut loaded.sha256);
            store
                .for_each_hash_since(since, &mut |m, s| {
                    md5.extend(prefix128(m));
                    sha256.extend(prefix128(s));
                })
                .await?;
            loaded.refreshed_at = now;
        }
        let loaded = guard.as_ref().expect("loaded above");
        Ok(lookups
            .iter()
            .map(|l| {
                let (md5, sha256) = l.hashes();
                md5.and_then(prefix128).is_some_and(|p| loaded.md5.contains(&p))
                    || sha256.and_then(prefix128).is_some_and(|p| loaded.sha256.contains(&p))
            })
            .collect())
    }
}

/// The hashes of some lookups that the store knows (contacts, erased people's kept
/// hashes, the imported suppression list).
pub(super) struct Found {
    md5: std::collections::HashSet<String>,
    sha256: std::collections::HashSet<String>,
}

impl Found {
    pub(super) fn contains(&self, lookup: &Lookup) -> bool {
        let (md5, sha256) = lookup.hashes();
        md5.is_some_and(|h| self.md5.contains(h)) || sha256.is_some_and(|h| self.sha256.contains(h))
    }
}

/// The lookups that are known, in one store round trip per kind.
pub(super) async fn known_of<'a>(
    state: &AppState,
    lookups: impl Iterator<Item = &'a Lookup>,
) -> Result<Found, ApiError> {
    let (mut md5, mut sha) = (Vec::new(), Vec::new());
    for l in lookups {
        let (m, s) = l.hashes();
        md5.extend(m.map(str::to_string));
        sha.extend(s.map(str::to_string));
    }
    Ok(Found {
        md5: state.store.known_md5(&md5).await?.into_iter().collect(),
        sha256: state.store.known_sha256(&sha).await?.into_iter().collect(),
    })
}

/// The suppression check: which of the submitted values Carnet already knows.
pub async fn check(
    state: &AppState,
    caller: &PartnerKey,
    request: CheckRequest,
    now: crate::model::Timestamp,
) -> Result<CheckResponse, ApiError> {
    let (list, values) = match (request.emails, request.md5, request.sha256) {
        (Some(v), None, None) => ("emails", v),
        (None, Some(v), None) => ("md5", v),
        (None, None, Some(v)) => ("sha256", v),
        _ => {
            return Err(ApiError::Invalid("Send exactly one of `emails`, `md5` or `sha256`, a list of strings.".into()))
        }
    };
    if values.len() > MAX_CHECK_VALUES {
        return Err(ApiError::TooManyValues { limit: MAX_CHECK_VALUES });
    }
    let mut lookups = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        lookups.push(lookup_of(list, value).map_err(|why| ApiError::Invalid(format!("`{list}[{i}]` {why}.")))?);
    }
    let day = day_of(now);
    quota_allows(state, caller, values.len(), now).await?;
    let found = known_of(state, lookups.iter()).await?;
    let known: Vec<String> =
        values.iter().zip(&lookups).filter(|(_, l)| found.contains(l)).map(|(v, _)| v.clone()).collect();
    state.partner_usage.add(caller.partner.id, &day, values.len() as i64, known.len() as i64);
    Ok(CheckResponse { checked: values.len(), known })
}
