//! The deployment's settings for every entry point, read once per isolate by
//! `argus_settings::Settings::from_vars` (vars and secrets do not change within
//! an isolate: a new deployment or secret starts new ones).

use argus_settings::Settings;
use std::cell::OnceCell;
use std::rc::Rc;
use worker::Env;

/// A var or secret as a string; unset and blank read as `None`. Private: every
/// entry point reads the resolved [`Settings`], never a var of its own.
fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|v| v.to_string())).filter(|v| !v.trim().is_empty())
}

thread_local! {
    static SETTINGS: OnceCell<Rc<Settings>> = const { OnceCell::new() };
}

/// The settings, resolved on first use in this isolate.
pub fn settings(env: &Env) -> Rc<Settings> {
    SETTINGS.with(|cell| cell.get_or_init(|| Rc::new(Settings::from_vars(|name| var(env, name)))).clone())
}
