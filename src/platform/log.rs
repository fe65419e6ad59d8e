//! One-line JSON logs with a level threshold from `LOG_LEVEL` (debug, info, warn,
//! error). Fields are passed as JSON so log processors can query them.

use serde_json::Value;

pub use argus_settings::LogLevel as Level;

#[derive(Clone, Copy, Debug)]
pub struct Logger {
    pub threshold: Level,
}

impl Logger {
    pub fn from_env(env: &worker::Env) -> Self {
        Self { threshold: super::config::settings(env).log_level }
    }

    /// Logs `msg` with `fields` (a JSON object) if `level` passes the threshold.
    pub fn log(&self, level: Level, msg: &str, fields: Value) {
        if level < self.threshold {
            return;
        }
        worker::console_log!("{}", render(level, msg, fields));
    }
}

fn render(level: Level, msg: &str, fields: Value) -> String {
    // Level and message first, then the fields, so a human can scan the lines.
    let head = format!(r#"{{"level":"{}","msg":{}"#, level.as_str(), Value::from(msg));
    match fields {
        Value::Object(extra) if !extra.is_empty() => {
            let rest = Value::Object(extra).to_string();
            format!("{head},{}", &rest[1..])
        }
        _ => format!("{head}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_json_line() {
        let line = render(Level::Warn, "webhook", serde_json::json!({"delivery": "d1", "status": 401}));
        assert_eq!(line, r#"{"level":"warn","msg":"webhook","delivery":"d1","status":401}"#);
        assert_eq!(Level::parse(Some("DEBUG")), Level::Debug);
        assert_eq!(Level::parse(None), Level::Info);
    }
}
