use crate::auth::{whoami, CurrentUser, Logout};
use crate::error::AppError;
use crate::model::Permission;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// The staff app's frame: a sidebar with the sections this role may use, and the page.
/// The signed-in user is provided as context to every page below it.
/// The signed-in user, as a resource every staff page can await. It is provided at the
/// top of the shell (not inside a suspense) so server and browser see the same context.
#[derive(Clone, Copy)]
pub struct Me(pub Resource<Result<Option<CurrentUser>, AppError>>);

impl Me {
    /// Whether the signed-in user may do this (false when signed out).
    pub async fn allows(self, permission: Permission) -> bool {
        self.0.await.ok().flatten().is_some_and(|u| u.role.allows(permission))
    }
}

/// Whether the current user has `permission`, read from the shell's context.
pub async fn allowed(me: Option<Me>, permission: Permission) -> bool {
    match me {
        Some(me) => me.allows(permission).await,
        None => false,
    }
}

/// Renders its children only for users with `permission`.
#[component]
pub fn IfAllowed(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let me = use_context::<Me>();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move { allowed(me, permission).await.then(|| children()) })
            }}
        </Suspense>
    }
}

#[component]
pub fn StaffShell() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    provide_context(Me(me));
    let location = leptos_router::hooks::use_location();
    // The page (`Outlet`) is not inside the suspense: it renders once, on the server and
    // in the browser alike, and awaits `Me` itself when it needs the role.
    view! {
        <div class="shell">
            <Suspense fallback=|| view! { <nav class="sidebar" aria-label="Main"><span class="brand">"Carnet"</span></nav> }>
                {move || Suspend::new(async move {
                    match me.await {
                        // An admin-set password, a required second factor missing: nothing
                        // else until it is done.
                        Ok(Some(user)) if user.must_act_first().is_some() && location.pathname.get_untracked() != "/account" => {
                            view! { <Redirect path="/account"/> }.into_any()
                        }
                        Ok(Some(user)) => view! { <Sidebar user/> }.into_any(),
                        _ => view! { <Redirect path="/login"/> }.into_any(),
                    }
                })}
            </Suspense>
            <main class="content" id="main"><Outlet/></main>
        </div>
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
                <li><A href="/engagement" exact=true>"Engagement"</A></li>
                <li><A href="/newsletters">"Newsletters"</A></li>
                <li><A href="/incentives">"Incentives"</A></li>
                {can_edit.then(|| view! { <li><A href="/contacts/new">"Add a contact"</A></li> <li><A href="/quick-entry">"Quick entry"</A></li> })}
                {admin.then(|| view! {
                    <li><A href="/partners">"Partners"</A></li>
                    <li><A href="/users">"Staff users"</A></li>
                    <li><A href="/mail">"Mail"</A></li>
                    <li><A href="/settings/self-service">"Self-service"</A></li>
                })}
            </ul>
            <div class="sidebar-footer">
                <p class="whoami">
                    <span class="whoami-email">{user.email.clone()}</span>
                    <span class="badge">{user.role.label()}</span>
                </p>
                <p><A href="/account">"My account"</A></p>
                <ActionForm action=logout>
                    <button type="submit" class="button button-quiet">"Sign out"</button>
                </ActionForm>
            </div>
        </nav>
    }
}
