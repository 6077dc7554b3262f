//! Property tests of the public parsers of outside input in the `carnet` library: how a
//! request path is written to the logs (tokens left out) and how a URL from the
//! configuration is (passwords left out). Whatever the text, each answers, fast, and
//! leaves out what it must. (The streaming check's line splitter is private to its
//! module; its property test lives there.)

use carnet::config::redact;
use carnet::http::middleware::loggable_path;
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// The paths whose next segment is a token (personal pages, unsubscribe and tracking
/// links), in the order `loggable_path` tries them.
const TOKEN_PREFIXES: [&str; 5] = ["/p/", "/s/", "/u/", "/t/o/", "/t/c/"];

/// Any text of up to `max` characters, every Unicode scalar value possible.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=max).prop_map(|chars| chars.into_iter().collect::<String>())
}

/// Text of up to `max` characters drawn from `alphabet`.
fn text_of(alphabet: &str, max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 0..=max).prop_map(|chars| chars.into_iter().collect::<String>())
}

fn re(pattern: &str) -> impl Strategy<Value = String> {
    prop::string::string_regex(pattern).expect("a valid pattern")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_token_in_a_path_never_reaches_the_logs(
        prefix in prop::sample::select(TOKEN_PREFIXES.to_vec()),
        token in any_text(80).prop_map(|t| t.replace('/', "")),
        tail in prop::option::of(any_text(60)),
    ) {
        let tail = tail.map(|t| format!("/{t}")).unwrap_or_default();
        prop_assert_eq!(loggable_path(&format!("{prefix}{token}{tail}")), format!("{prefix}…{tail}"));
    }

    #[test]
    fn any_path_is_logged_whole_or_with_its_token_left_out(
        path in prop_oneof![any_text(120), text_of("/ptusoc.…x", 30), text_of("/ptusoc", 12).prop_map(|p| format!("/{p}"))]
    ) {
        let logged = loggable_path(&path);
        match TOKEN_PREFIXES.iter().find(|p| path.starts_with(**p)) {
            None => prop_assert_eq!(logged, path),
            Some(prefix) => {
                let tail = logged.strip_prefix(&format!("{prefix}…")).map(str::to_string);
                let tail = tail.ok_or_else(|| TestCaseError::fail(format!("{logged:?} lost its prefix")))?;
                prop_assert!(path.ends_with(&tail) && (tail.is_empty() || tail.starts_with('/')), "{logged:?}");
                prop_assert!(!path[prefix.len()..path.len() - tail.len()].contains('/'), "{logged:?} kept a segment");
            }
        }
    }

    #[test]
    fn a_password_in_a_url_never_reaches_the_logs(
        scheme in re("[a-z][a-z0-9+.-]{0,10}"),
        user in re("[a-zA-Z0-9_.%-]{0,16}"),
        password in any_text(40),
        host in any_text(60).prop_map(|h| h.replace('@', "")),
    ) {
        let url = format!("{scheme}://{user}:{password}@{host}");
        prop_assert_eq!(redact(&url), format!("{scheme}://{user}:***@{host}"));
        // Without a password there is nothing to hide.
        let plain = format!("{scheme}://{user}@{host}");
        prop_assert_eq!(redact(&plain), plain.clone());
    }

    #[test]
    fn any_url_is_logged_whole_or_with_its_password_left_out(
        url in prop_oneof![any_text(120), text_of("ab:/@*.%", 40)]
    ) {
        let logged = redact(&url);
        if !url.contains('@') || !url.contains("://") {
            prop_assert_eq!(logged, url);
        } else if logged != url {
            prop_assert!(logged.contains(":***@"), "{logged:?}");
        }
    }
}

#[test]
fn large_paths_and_urls_are_read_quickly() {
    let start = Instant::now();
    let path = format!("/t/c/{}/x", "a".repeat(1_000_000));
    assert_eq!(loggable_path(&path), "/t/c/…/x");
    let slashes = "/".repeat(1_000_000);
    assert_eq!(loggable_path(&slashes), slashes);
    let url = format!("postgres://u:{}@db/carnet", "@:".repeat(500_000));
    assert_eq!(redact(&url), "postgres://u:***@db/carnet");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}: linear parsers take milliseconds");
}
