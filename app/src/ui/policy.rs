//! The `Content-Security-Policy` of every page Carnet serves: scripts only from Carnet
//! itself (the proof-of-work script, the hydration module and its wasm), the one inline
//! script Leptos writes to start hydration only with the nonce of its response, nothing
//! else inline, no plugins, no `<base>`, forms posting only back to Carnet.

/// Who may frame a page: no one (every page but one), or any site (the embeddable
/// sign-up form, which brands put in an `<iframe>` on their own site).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    Nobody,
    AnySite,
}

/// The policy for a response. `nonce` is the one Leptos put on its inline scripts in
/// this response (hydrated pages); without it no inline script runs at all.
/// `'wasm-unsafe-eval'` lets the hydration module compile its wasm (and nothing else:
/// it does not allow `eval`).
pub fn content_security_policy(nonce: Option<&str>, framing: Framing) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "'self'".to_string(),
    };
    let ancestors = match framing {
        Framing::Nobody => "'none'",
        Framing::AnySite => "*",
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_nonced_page_runs_an_inline_script() {
        let plain = content_security_policy(None, Framing::Nobody);
        assert!(plain.contains("script-src 'self';"), "{plain}");
        assert!(!plain.contains("unsafe-inline") && !plain.contains("nonce-"), "{plain}");
        assert!(plain.ends_with("frame-ancestors 'none'"));
        let hydrated = content_security_policy(Some("abc"), Framing::Nobody);
        assert!(hydrated.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"), "{hydrated}");
        let embedded = content_security_policy(None, Framing::AnySite);
        assert!(embedded.ends_with("frame-ancestors *"), "{embedded}");
    }
}
