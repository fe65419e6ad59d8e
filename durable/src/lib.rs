//! ArgusAI per-PR Durable Object shell.
