//! ArgusAI Worker entry points.
