//! What partners read: the OpenAPI description of `/api/v1` and a docs page.

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Value};

fn problem_responses(codes: &[(&str, &str)]) -> Value {
    let mut map = serde_json::Map::new();
    for (code, why) in codes {
        map.insert(
            code.to_string(),
            json!({ "description": why, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }),
        );
    }
    Value::Object(map)
}

/// A 422 that is a problem document or, for a batch of events none of which could be
/// recorded, the per-item report.
fn merge_422(mut responses: Value) -> Value {
    if let Some(content) = responses.pointer_mut("/422/content").and_then(Value::as_object_mut) {
        content.insert("application/json".into(), json!({ "schema": { "$ref": "#/components/schemas/EventsReport" } }));
    }
    responses
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// A character the server does not trim away: not Unicode `White_Space`, which is
/// ECMAScript's `\s` (the document's regexes) with U+0085 and without U+FEFF.
const NOT_BLANK: &str = "[^\\s\\u0085]|\\ufeff";

pub fn openapi() -> Value {
    let auth_errors = [
        ("401", "No key, a malformed key, or an unknown, revoked or expired one."),
        ("403", "The key lacks the scope this endpoint needs."),
        ("429", "Over the key's rate limit or the partner's daily quota; see Retry-After."),
    ];
    let idempotency_key = json!({ "name": "Idempotency-Key", "in": "header", "required": false,
        "description": "Makes a retry safe: the first answer is stored and sent again to a retry with the same key. One key names one request: one endpoint, one body.",
        "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$" } });
    let body_errors = [
        ("413", "The body is larger than the endpoint takes."),
        ("415", "The body is not sent as `application/json`."),
    ];
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Carnet partner API",
            "version": "1",
            "description": "Check whether addresses are already known to the brand, submit new leads (recorded and billed only when new), download the hashed suppression list, and send engagement events; and, for the brand's own shop and site, customers' personal links, profile completion and contacts. Authenticate with `Authorization: Bearer <key>`; errors are RFC 9457 problem documents."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/suppression/check": { "post": {
                "summary": "Which of these addresses or hashes are already known (scope `check`)",
                "description": "Send exactly one list of up to 10,000 values. Emails are trimmed and lowercased before hashing; in `emails`, a 32- or 64-character hex value is taken as an MD5 or SHA-256. Hashes are accepted in either case. Each value counts against the daily quota.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CheckRequest" } } } },
                "responses": merge(json!({
                    "200": { "description": "The submitted values that are known, as submitted.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CheckResponse" } } } }
                }), problem_responses(&[auth_errors[0], auth_errors[1], ("413", "More than 10,000 values, or a body over 2 MB."), body_errors[1], ("422", "Not one list of strings, or a value that is not what its list says (the detail names it)."), auth_errors[2]]))
            } },
            "/api/v1/suppression/check/stream": { "post": {
                "summary": "Scrub a long list, streamed (scope `check`)",
                "description": "A text body of one value per line (emails, MD5s or SHA-256s, mixed). The known values come back one per line as they are found; input and output both stream, so millions of lines need no more memory than a few. Lines that are neither an address nor a hash are skipped. Every line counts against the daily quota; when it runs out mid-stream the response is cut off.",
                "requestBody": { "required": false, "description": "Sent as `text/plain`, or `application/octet-stream` as `curl -T` does; an empty body checks nothing.", "content": { "text/plain": { "schema": { "type": "string" } }, "application/octet-stream": { "schema": { "type": "string" } } } },
                "responses": merge(json!({
                    "200": { "description": "The known values, as sent, one per line.", "content": { "text/plain": { "schema": { "type": "string" } } } }
                }), problem_responses(&[auth_errors[0], auth_errors[1], ("415", "Neither `text/plain` nor `application/octet-stream`."), auth_errors[2]]))
            } },
            "/api/v1/leads": { "post": {
                "summary": "Submit a new lead (scope `submit`)",
                "description": "Recorded and billed at the partner's price only if the address is new. Send an `Idempotency-Key` header to make retries safe: a retry gets the first answer again and is never billed twice. A key names one request: reused on another endpoint or with another body it is refused (422), and while its first request runs a retry gets 409.",
                "parameters": [idempotency_key.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Lead" } } } },
                "responses": merge(json!({
                    "201": { "description": "Accepted and billed.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LeadAccepted" } } } }
                }), problem_responses(&[auth_errors[0], auth_errors[1], ("409", "Already known (not recorded, not billed), or a request with this Idempotency-Key is still running (retry after Retry-After)."), body_errors[0], body_errors[1], ("422", "Invalid (not recorded, not billed; the detail names the field), or the Idempotency-Key was used for another endpoint or body."), auth_errors[2]]))
            } },
            "/api/v1/events": { "post": {
                "summary": "Record interactions and other events (scope `events`)",
                "description": "Point an email service's webhooks here, or send events from a shop or a call centre. Send one event, or an array of up to 10,000. Each event names its contact by `email` (normalised) or `contact_id`, a `type`, and `occurred_at` (RFC 3339; not before 2000, at most a day ahead). Opens, clicks, purchases, visits, replies, form submissions and profile updates are interactions and move the contact's engagement status; hard bounces and complaints suppress the address; unsubscribes, hard bounces and complaints end every subscription. Each event is recorded whole or not at all, and a batch in one transaction: the answer comes once the events are durable, and they reach the contacts' timelines and statuses within about a second (a few seconds behind under a sustained flood). An array is answered per item: 200 when every event was recorded, 207 when some were (the others say why), 422 when none was. With `?atomic=true`, one bad event refuses the whole batch (422, nothing recorded). Send an `Idempotency-Key` header to make a webhook's retries safe. A key sends only the event kinds it was made for (a shop's key cannot send complaints): one event of another kind is refused with 403, and in a batch that event is reported and not recorded. Each event counts toward the partner's daily quota as a check does (it tells whether an address is a contact); a request the quota cannot take whole is refused with 429 and records nothing.",
                "parameters": [
                    { "name": "atomic", "in": "query", "required": false, "description": "`true`: one bad event refuses the whole batch.", "schema": { "type": "string", "enum": ["true", "false"] } },
                    idempotency_key.clone()
                ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "oneOf": [
                    { "$ref": "#/components/schemas/Event" },
                    { "type": "array", "minItems": 1, "maxItems": 10000, "items": { "$ref": "#/components/schemas/Event" } } ] } } } },
                "responses": merge(json!({
                    "201": { "description": "One event, recorded.", "content": { "application/json": { "schema": { "type": "object", "properties": { "status": { "type": "string" }, "contact_id": { "type": "integer" } } } } } },
                    "200": { "description": "A batch, every event recorded.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EventsReport" } } } },
                    "207": { "description": "A batch, some events recorded; the others are reported per item with the reason.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EventsReport" } } } }
                }), merge_422(problem_responses(&[auth_errors[0], ("403", "The key lacks the `events` scope, or (one event) was not made for its kind."), ("409", "A request with this Idempotency-Key is still running."), ("413", "More than 10,000 events, or a body over 16 MB."), body_errors[1], ("422", "One event that cannot be recorded (unknown contact, unknown type, bad date — the detail says which), a batch where none could be, an atomic batch with a bad event (then the body is the per-item report), or an Idempotency-Key used for another endpoint or body."), auth_errors[2]])))
            } },
            "/api/v1/redemptions": { "post": {
                "summary": "Record that an incentive code was used (scope `redeem`)",
                "description": "Call this from a shop's checkout when a customer uses a code Carnet gave them for completing their profile. Body: `{\"code\": \"THANKS-…\", \"redeemed_at\": RFC 3339, optional}`.",
                "parameters": [idempotency_key.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["code"], "additionalProperties": false, "properties": {
                    "code": { "type": "string", "description": "1 to 100 characters, no spaces inside (surrounding spaces are trimmed).", "pattern": "^[\\s\\u0085]*[^\\s\\x00-\\x1f\\x7f-\\x9f]{1,100}[\\s\\u0085]*$" },
                    "redeemed_at": { "type": "string", "format": "date-time" } } } } } },
                "responses": merge(json!({
                    "200": { "description": "Recorded now.", "content": { "application/json": { "schema": { "type": "object", "properties": { "status": { "type": "string" }, "incentive_id": { "type": "integer" } } } } } }
                }), problem_responses(&[auth_errors[0], auth_errors[1], ("404", "No code spelled so was given to anyone."), ("409", "Used before (the detail says when), or a request with this Idempotency-Key is still running."), body_errors[0], body_errors[1], ("422", "A bad body or date, or the Idempotency-Key was used for another endpoint or body."), auth_errors[2]]))
            } },
            "/api/v1/suppression/export": { "get": {
                "summary": "The hashed suppression list (scope `export`)",
                "description": "One lowercase hex value per line, streamed; gzip-compressed with `Accept-Encoding: gzip`. With `since`, only addresses added or changed since then.",
                "parameters": [
                    { "name": "format", "in": "query", "required": true, "schema": { "type": "string", "enum": ["md5", "sha256"] } },
                    { "name": "since", "in": "query", "required": false, "schema": { "type": "string", "format": "date-time" } }
                ],
                "responses": merge(json!({
                    "200": { "description": "The list.", "content": { "text/plain": { "schema": { "type": "string" } } } }
                }), problem_responses(&[auth_errors[0], auth_errors[1], ("422", "Unknown format or a bad date."), auth_errors[2]]))
            } }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "carnet_ + 32 base62 characters + a 6-character checksum" } },
            "schemas": {
                "Problem": { "type": "object", "properties": {
                    "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" } } },
                "CheckRequest": { "type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1, "properties": {
                    "emails": { "type": "array", "maxItems": 10000, "items": { "type": "string", "anyOf": [
                        { "format": "email", "maxLength": 254 },
                        { "pattern": "^\\s*[0-9a-fA-F]{32}\\s*$" },
                        { "pattern": "^\\s*[0-9a-fA-F]{64}\\s*$" } ] } },
                    "md5": { "type": "array", "maxItems": 10000, "items": { "type": "string", "pattern": "^\\s*[0-9a-fA-F]{32}\\s*$" } },
                    "sha256": { "type": "array", "maxItems": 10000, "items": { "type": "string", "pattern": "^\\s*[0-9a-fA-F]{64}\\s*$" } } } },
                "CheckResponse": { "type": "object", "required": ["checked", "known"], "properties": {
                    "checked": { "type": "integer" }, "known": { "type": "array", "items": { "type": "string" } } } },
                "Lead": { "type": "object", "required": ["email", "consent"], "additionalProperties": false, "properties": {
                    "email": { "type": "string", "format": "email", "maxLength": 254 },
                    "first_name": { "type": "string", "maxLength": 100 }, "last_name": { "type": "string", "maxLength": 100 },
                    "phone": { "type": "string", "description": "6 to 15 digits, with an optional leading + and spaces, dots, dashes or brackets.", "pattern": "^\\s*(\\+?[ ().-]*([0-9][ ().-]*){6,15})?\\s*$" },
                    "birth_date": { "type": "string", "anyOf": [{ "format": "date" }, { "maxLength": 0 }] },
                    "company": { "type": "string", "maxLength": 100 }, "job_title": { "type": "string", "maxLength": 100 },
                    "postal_code": { "type": "string", "maxLength": 20 }, "city": { "type": "string", "maxLength": 100 }, "country": { "type": "string", "maxLength": 100 },
                    "source": { "type": "string", "maxLength": 96, "description": "Your campaign or site, recorded with the lead." },
                    "consent": { "type": "object", "required": ["text", "form"], "additionalProperties": false, "properties": {
                        "text": { "type": "string", "minLength": 1, "maxLength": 2000, "pattern": NOT_BLANK, "description": "The exact words the person agreed to." },
                        "form": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK, "description": "The form or site, with its version." },
                        "at": { "type": "string", "format": "date-time", "description": "When; defaults to now." },
                        "newsletters": { "type": "array", "items": { "type": "string" }, "description": "Newsletters subscribed to, by name." } } } } },
                "Event": { "type": "object", "required": ["type", "occurred_at"], "additionalProperties": false,
                    "oneOf": [{ "required": ["email"] }, { "required": ["contact_id"] }], "properties": {
                    "email": { "type": "string", "format": "email", "maxLength": 254, "description": "The contact's address; or give contact_id." },
                    "contact_id": { "type": "integer", "minimum": 1, "maximum": 9223372036854775807i64 },
                    "type": { "type": "string", "enum": ["open", "click", "purchase", "visit", "reply", "form_submission", "profile_update", "soft_bounce", "hard_bounce", "complaint", "unsubscribe"] },
                    "occurred_at": { "type": "string", "format": "date-time" },
                    "campaign": { "type": ["string", "null"], "maxLength": 200 },
                    "meta": { "type": ["object", "null"], "description": "Anything else worth keeping (at most 4 KB)." } } },
                "EventsReport": { "type": "object", "properties": {
                    "recorded": { "type": "integer" }, "failed": { "type": "integer" },
                    "results": { "type": "array", "items": { "type": "object", "properties": {
                        "index": { "type": "integer" },
                        "status": { "type": "string", "enum": ["recorded", "error", "not_recorded"] },
                        "contact_id": { "type": "integer" },
                        "error": { "type": "string" } } } } } },
                "LeadAccepted": { "type": "object", "properties": { "lead_id": { "type": "integer" }, "billed_cents": { "type": "integer" } } }
            }
        }
    });
    // The brand's own shop and site, in a macro call of their own (one would be too deep).
    let (paths, schemas) = shop(&auth_errors, &body_errors, &idempotency_key);
    if let (Some(all), Value::Object(more)) = (doc["paths"].as_object_mut(), paths) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) = (doc["components"]["schemas"].as_object_mut(), schemas) {
        all.extend(more);
    }
    doc
}

/// The paths and schemas of the integrations' endpoints.
fn shop(auth_errors: &[(&str, &str); 3], body_errors: &[(&str, &str); 2], idempotency_key: &Value) -> (Value, Value) {
    let paths = json!({
            "/api/v1/profile-links": { "post": {
                "summary": "A customer's personal link (scope `profile`, the brand's own systems)",
                "description": "For the shop's \"Update my details\" button or an order confirmation: a fresh personal link to the customer's profile page (their data, newsletters and the incentive for completing it). Each call makes a new link; a link works once and expires. Only keys of the brand's own integrations hold this scope.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["email"], "additionalProperties": false, "properties": {
                    "email": { "type": "string", "format": "email", "maxLength": 254 } } } } } },
                "responses": merge(json!({
                    "201": { "description": "A fresh link.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ProfileLink" } } } }
                }), problem_responses(&[auth_errors[0], auth_errors[1], ("404", "No customer has this email address (or their data was erased)."), body_errors[0], body_errors[1], ("422", "Not an email address, or a bad body."), auth_errors[2]]))
            } },
            "/api/v1/contacts/completion": { "get": {
                "summary": "How complete a customer's profile is (scope `profile`, the brand's own systems)",
                "description": "So that the site can say \"your profile is 60% complete — finish it and get 10% off\": the completion of the fields the profile page shows, the empty ones, and the open incentive (the one still to earn, else the one earned).",
                "parameters": [
                    { "name": "email", "in": "query", "required": true, "schema": { "type": "string", "format": "email", "maxLength": 254 } }
                ],
                "responses": merge(json!({
                    "200": { "description": "The completion.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Completion" } } } }
                }), problem_responses(&[auth_errors[0], auth_errors[1], ("404", "No customer has this email address (or their data was erased)."), ("422", "No `email`, or not an email address."), auth_errors[2]]))
            } },
            "/api/v1/contacts": { "put": {
                "summary": "Upsert contacts from the shop (scope `contacts`, the brand's own systems)",
                "description": "Up to 500 customers per request, each checked like the contact form (names up to 100 characters, addresses up to 200, postal codes up to 20) and created or brought up to date: a value given replaces Carnet's, a field left out (or empty) leaves it. An address that is suppressed, erased or on the brand's suppression list is never written (`suppressed`). A subscription needs its consent evidence (`consent`: the words, the form, when, the newsletters). An `order` is recorded as a `purchase` event (it counts as an interaction). Each contact is answered on its own (created, updated, unchanged, suppressed, or refused with the reason); send an `Idempotency-Key` so that a retry does not record its orders twice.",
                "parameters": [idempotency_key.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["contacts"], "additionalProperties": false, "properties": {
                    "contacts": { "type": "array", "maxItems": 500, "items": { "$ref": "#/components/schemas/ShopContact" } } } } } } },
                "responses": merge(json!({
                    "200": { "description": "What became of each contact.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ShopReport" } } } }
                }), problem_responses(&[auth_errors[0], auth_errors[1], ("409", "A request with this Idempotency-Key is still running."), ("413", "More than 500 contacts, or a body over 2 MB."), body_errors[1], ("422", "Not a list of contacts, or the Idempotency-Key was used for another endpoint or body."), auth_errors[2]]))
            } }
    });
    let schemas = json!({
                "ProfileLink": { "type": "object", "required": ["url", "expires_at"], "properties": {
                    "url": { "type": "string", "format": "uri" }, "expires_at": { "type": "string", "format": "date-time" } } },
                "Completion": { "type": "object", "required": ["percent", "missing", "incentive"], "properties": {
                    "percent": { "type": "integer", "minimum": 0, "maximum": 100 },
                    "missing": { "type": "array", "items": { "type": "string" }, "description": "The profile fields still empty (first_name, phone, birth_date, postal_code…)." },
                    "incentive": { "oneOf": [{ "type": "null" }, { "type": "object", "required": ["name", "reward", "threshold", "required_fields", "earned", "valid_until"], "properties": {
                        "name": { "type": "string" }, "reward": { "type": "string" }, "threshold": { "type": "integer" },
                        "required_fields": { "type": "array", "items": { "type": "string" } },
                        "earned": { "type": "boolean" },
                        "valid_until": { "type": ["string", "null"], "format": "date-time" } } }] } } },
                "ShopContact": { "type": "object", "required": ["email"], "additionalProperties": false, "properties": {
                    "email": { "type": "string", "description": "The customer's address (a contact with an invalid one is refused)." },
                    "first_name": { "type": "string" }, "last_name": { "type": "string" },
                    "phone": { "type": "string", "description": "6 to 15 digits, with an optional leading + and spaces, dots, dashes or brackets." },
                    "birth_date": { "type": "string", "description": "YYYY-MM-DD." },
                    "company": { "type": "string" }, "job_title": { "type": "string" },
                    "address_line1": { "type": "string", "description": "The delivery address." }, "address_line2": { "type": "string" },
                    "postal_code": { "type": "string" }, "city": { "type": "string" }, "country": { "type": "string" },
                    "last_order_on": { "type": "string", "description": "YYYY-MM-DD." },
                    "total_spent": { "type": "string", "description": "The customer's total spend, like 129.90." },
                    "order": { "type": ["object", "null"], "required": ["id"], "additionalProperties": false, "properties": {
                        "id": { "type": "string", "description": "The shop's order number (1 to 100 characters)." },
                        "at": { "type": ["string", "null"], "description": "When (RFC 3339); defaults to now." },
                        "amount": { "type": "string", "description": "Like 59.90." } } },
                    "consent": { "type": ["object", "null"], "required": ["text", "form"], "additionalProperties": false, "properties": {
                        "text": { "type": "string", "description": "The exact words the customer agreed to (up to 2,000 characters)." },
                        "form": { "type": "string", "description": "Where: the checkout, with its version (up to 200 characters)." },
                        "at": { "type": ["string", "null"], "description": "When (RFC 3339); defaults to now." },
                        "newsletters": { "type": "array", "items": { "type": "string" }, "description": "Newsletters subscribed to, by name." } } } } },
                "ShopReport": { "type": "object", "required": ["created", "updated", "unchanged", "suppressed", "refused", "results"], "properties": {
                    "created": { "type": "integer" }, "updated": { "type": "integer" }, "unchanged": { "type": "integer" },
                    "suppressed": { "type": "integer" }, "refused": { "type": "integer" },
                    "results": { "type": "array", "items": { "type": "object", "required": ["index", "status"], "properties": {
                        "index": { "type": "integer" },
                        "status": { "type": "string", "enum": ["created", "updated", "unchanged", "suppressed", "refused"] },
                        "contact_id": { "type": "integer" },
                        "error": { "type": "string" } } } } } }
    });
    (paths, schemas)
}

pub(super) async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi().to_string()).into_response()
}

/// A readable page generated from the same description, so the two never disagree;
/// rendered by Leptos, which escapes every text taken from it.
pub(super) async fn docs_page() -> Html<String> {
    use leptos::prelude::*;
    let spec = openapi();
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut operations = Vec::new();
    for (path, methods) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in methods.as_object().into_iter().flatten() {
            let codes: Vec<(String, String)> = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(code, r)| (code.clone(), text(&r["description"])))
                .collect();
            operations.push((
                format!("{} {path}", method.to_uppercase()),
                text(&op["summary"]),
                text(&op["description"]),
                codes,
            ));
        }
    }
    let sections = operations
        .into_iter()
        .map(|(title, summary, description, codes)| {
            let rows = codes
                .into_iter()
                .map(|(code, meaning)| view! { <tr><td><code>{code}</code></td><td>{meaning}</td></tr> })
                .collect_view();
            view! {
                <section class="card">
                    <h2><code>{title}</code></h2>
                    <p><strong>{summary}</strong></p>
                    <p>{description}</p>
                    <div class="table-wrap">
                        <table class="table">
                            <thead><tr><th scope="col">"Status"</th><th scope="col">"Meaning"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                </section>
            }
        })
        .collect_view();
    let intro = text(&spec["info"]["description"]);
    Html(
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <title>"Partner API · Carnet"</title>
                    <link rel="stylesheet" href="/pkg/carnet.css"/>
                </head>
                <body>
                    <main class="content" id="main">
                        <header class="page-header">
                            <h1>"Carnet partner API"</h1>
                            <a class="button" href="/api/v1/openapi.json">"OpenAPI description (JSON)"</a>
                        </header>
                        <p>{intro}</p>
                        {sections}
                    </main>
                </body>
            </html>
        }
        .to_html(),
    )
}
