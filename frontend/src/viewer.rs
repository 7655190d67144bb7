//! Who is looking at a page: the signed-in user (or nobody), the form token
//! every POST form carries, and the path to come back to after signing in.
//! The server builds a [`Viewer`] per request; pages read it from context.

use leptos::prelude::*;

/// The person a page is rendered for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Viewer {
    /// Who is signed in; `None` when nobody is.
    pub user: Option<ViewerUser>,
    /// The anti-forgery token POST forms must send back as `_csrf`.
    pub csrf: String,
    /// The page's own path and query, for "sign in and come back".
    pub path: String,
    /// Actions (not tied to an owned entity) the viewer may take, e.g.
    /// `catalog.location.create`: links to denied ones are not shown.
    pub allowed: Vec<String>,
}

/// A signed-in user as the header shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewerUser {
    /// Display name (profile name, login, or "Guest").
    pub display_name: String,
    /// Their `User` entity's page, when the catalog has one.
    pub entity_href: Option<String>,
    /// Whether this is the local guest identity.
    pub guest: bool,
}

impl Viewer {
    /// The viewer of the page being rendered (nobody outside a render).
    pub fn current() -> Viewer {
        use_context::<Viewer>().unwrap_or_default()
    }

    /// Whether a link to `action` should be offered: anyone not signed in
    /// is offered it (it leads to the sign-in), signed-in viewers only when allowed.
    pub fn offers(&self, action: &str) -> bool {
        self.user.is_none() || self.allowed.iter().any(|a| a == action)
    }

    /// The sign-in link that returns to this page.
    pub fn sign_in_href(&self) -> String {
        format!("/sign-in?returnTo={}", crate::pages::encode_query_value(&self.path))
    }
}

/// The hidden anti-forgery field of a POST form.
#[component]
pub fn CsrfField() -> impl IntoView {
    let token = Viewer::current().csrf;
    view! { <input type="hidden" name="_csrf" value=token /> }
}

/// The header's user area: who is signed in and a sign-out button, or a
/// sign-in link.
#[component]
pub fn UserArea() -> impl IntoView {
    let viewer = Viewer::current();
    match viewer.user.clone() {
        Some(user) => {
            let initial: String = user.display_name.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
            let name = match user.entity_href.clone() {
                Some(href) => view! { <a class="user-name" href=href>{user.display_name.clone()}</a> }.into_any(),
                None => view! { <span class="user-name">{user.display_name.clone()}</span> }.into_any(),
            };
            let audit = viewer.allowed.iter().any(|a| a == "audit.read").then(|| view! { <a class="audit-link" href="/audit">"Audit"</a> });
            view! {
                <div class="user-area" aria-label="Signed in as">
                    {audit}
                    <span class="user-avatar" aria-hidden="true">{initial}</span>
                    {name}
                    <form class="sign-out" method="post" action="/sign-out">
                        <CsrfField />
                        <button type="submit" class="button-link">"Sign out"</button>
                    </form>
                </div>
            }
            .into_any()
        }
        None => view! {
            <div class="user-area">
                <a class="button" href=viewer.sign_in_href()>"Sign in"</a>
            </div>
        }
        .into_any(),
    }
}

/// How the sign-in page offers to sign in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInOptions {
    /// The GitHub sign-in link, when GitHub is configured.
    pub github_href: Option<String>,
    /// Whether "continue as guest" is offered.
    pub guest: bool,
    /// Where to go afterwards (a local path).
    pub return_to: String,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
}

/// `/sign-in`.
#[component]
pub fn SignInPage(
    /// What to offer.
    options: SignInOptions,
) -> impl IntoView {
    let github = options.github_href.clone().map(|href| {
        view! { <p><a class="button button-primary" href=href>"Sign in with GitHub"</a></p> }
    });
    let return_to = options.return_to.clone();
    let guest = options.guest.then(move || {
        view! {
            <form method="post" action="/sign-in/guest">
                <CsrfField />
                <input type="hidden" name="returnTo" value=return_to />
                <button type="submit">"Continue as guest"</button>
                <p class="hint">"The guest identity is for trying Portolan on your own machine."</p>
            </form>
        }
    });
    let none = (options.github_href.is_none() && !options.guest)
        .then(|| view! { <p>"No sign-in method is configured. Set auth.providers.github in portolan.yaml."</p> });
    let error = options.error.clone().map(|e| view! { <p class="error" role="alert">{e}</p> });
    view! {
        <section class="page sign-in">
            <h1>"Sign in to Portolan"</h1>
            {error}
            {github}
            {guest}
            {none}
        </section>
    }
}
