//! The browser side: hydrates the server-rendered page, nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A flag end-to-end tests wait for before interacting with a hydrated page.
    let _ = js_sys::Reflect::set(&js_sys::global(), &"__carnet_hydrated".into(), &true.into());
}
