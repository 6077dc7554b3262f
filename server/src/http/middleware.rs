//! Request guards that sit in front of every route.

use app::auth::service::ClientIp;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// Logs method and path only: query strings carry searches, i.e. personal data; and
/// the tokens in the paths of personal, confirmation, unsubscribe and tracking links
/// (which work for days) are left out.
pub fn span_without_query(req: &Request) -> tracing::Span {
    tracing::info_span!("http", method = %req.method(), path = %loggable_path(req.uri().path()))
}

pub fn loggable_path(path: &str) -> String {
    for prefix in ["/p/", "/s/", "/u/", "/t/o/", "/t/c/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            return format!("{prefix}…{tail}");
        }
    }
    path.to_string()
}

/// Records the client address for rate limits. X-Forwarded-For is believed only when
/// Carnet is told it sits behind a proxy it trusts.
pub async fn client_ip(State(trust_proxy): State<bool>, mut req: Request, next: Next) -> Response {
    let forwarded = trust_proxy
        .then(|| req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        // The last hop is the one the trusted proxy added; earlier ones are whatever
        // the client sent.
        .and_then(|v| v.rsplit(',').next())
        .map(|s| s.trim().to_string());
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let ip = forwarded.or(peer).unwrap_or_else(|| "unknown".into());
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// Whether a state-changing request comes from Carnet's own pages. Browsers send
/// `Sec-Fetch-Site` (all current ones) and `Origin` on every POST; a cross-site value of
/// either is refused. Requests with neither are not from a browser (curl, partners'
/// servers) and carry no ambient cookie authority, so they pass.
pub fn same_origin(method: &Method, headers: &axum::http::HeaderMap, public_url: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null")) {
        None => true,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let public = public_url.trim_end_matches('/');
            origin == public || origin == format!("http://{host}") || origin == format!("https://{host}")
        }
    }
}

pub async fn csrf(State(public_url): State<String>, req: Request, next: Next) -> Response {
    // The partner API authenticates with bearer keys, not cookies: nothing to forge. The
    // one-click unsubscribe URL is posted by mail providers from anywhere (RFC 8058); its
    // signed token is its only authority, and it touches no session.
    let path = req.uri().path();
    let cookieless = path.starts_with("/api/v1/") || path.starts_with("/u/");
    if cookieless || same_origin(req.method(), req.headers(), &public_url) {
        next.run(req).await
    } else {
        tracing::warn!(path = %loggable_path(req.uri().path()), "cross-site request refused");
        (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
    }
}

/// The headers every response carries unless it set its own: a
/// `Content-Security-Policy` allowing only Carnet's own scripts (hydrated pages set one
/// with their nonce; the embeddable sign-up form one that lets any site frame it), no
/// framing by another site (clickjacking), no second-guessing of content types, and on
/// https, HSTS.
pub async fn security_headers(State(https): State<bool>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = app::ui::content_security_policy(None, app::ui::Framing::Nobody);
        if let Ok(value) = header::HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    if !headers.get(header::CONTENT_SECURITY_POLICY).is_some_and(|v| v.as_bytes().ends_with(b"frame-ancestors *")) {
        headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Answers that hold personal data or a staff member's view of it are never kept by a
/// browser or a proxy (`Cache-Control: no-store`), unless they said otherwise.
pub fn no_store() -> tower_http::set_header::SetResponseHeaderLayer<header::HeaderValue> {
    tower_http::set_header::SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn link_tokens_stay_out_of_the_logs() {
        assert_eq!(loggable_path("/p/SECRET"), "/p/…");
        assert_eq!(loggable_path("/p/SECRET/resend"), "/p/…/resend");
        assert_eq!(loggable_path("/s/SECRET"), "/s/…");
        assert_eq!(loggable_path("/t/c/SECRET"), "/t/c/…");
        assert_eq!(loggable_path("/contacts/12"), "/contacts/12");
    }

    #[test]
    fn cross_site_posts_are_refused_and_same_site_ones_pass() {
        let public = "https://crm.example.com";
        let post = Method::POST;
        assert!(same_origin(
            &post,
            &headers(&[("host", "crm.example.com"), ("origin", "https://crm.example.com")]),
            public
        ));
        assert!(same_origin(
            &post,
            &headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]),
            public
        ));
        assert!(same_origin(&post, &headers(&[("sec-fetch-site", "same-origin")]), public));
        assert!(same_origin(&post, &headers(&[]), public), "non-browser clients pass");
        assert!(!same_origin(
            &post,
            &headers(&[("host", "crm.example.com"), ("origin", "https://evil.example")]),
            public
        ));
        assert!(!same_origin(&post, &headers(&[("sec-fetch-site", "cross-site")]), public));
        assert!(!same_origin(&post, &headers(&[("sec-fetch-site", "same-site")]), public));
        assert!(!same_origin(&post, &headers(&[("origin", "null")]), public));
        assert!(
            same_origin(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")]), public),
            "GET changes nothing"
        );
    }
}
