use crate::auth::{whoami, CurrentUser, Logout};
use crate::model::Permission;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// The staff app's frame: a sidebar with the sections this role may use, and the page.
/// The signed-in user is provided as context to every page below it.
#[component]
pub fn StaffShell() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(user)) => {
                        provide_context(user.clone());
                        view! {
                            <div class="shell">
                                <Sidebar user/>
                                <main class="content" id="main"><Outlet/></main>
                            </div>
                        }
                        .into_any()
                    }
                    _ => view! { <Redirect path="/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Sidebar(user: CurrentUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let admin = user.role.allows(Permission::ManageUsers);
    let can_edit = user.role.allows(Permission::EditContacts);
    view! {
        <nav class="sidebar" aria-label="Main">
            <a class="brand" href="/contacts">"Carnet"</a>
            <ul class="nav">
                <li><A href="/contacts" exact=true>"Contacts"</A></li>
                {can_edit.then(|| view! { <li><A href="/contacts/new">"Add a contact"</A></li> })}
                {admin.then(|| view! { <li><A href="/users">"Staff users"</A></li> })}
            </ul>
            <div class="sidebar-footer">
                <p class="whoami">
                    <span class="whoami-email">{user.email.clone()}</span>
                    <span class="badge">{user.role.label()}</span>
                </p>
                <ActionForm action=logout>
                    <button type="submit" class="button button-quiet">"Sign out"</button>
                </ActionForm>
            </div>
        </nav>
    }
}
