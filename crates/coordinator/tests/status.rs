//! The status view maintainers see: its JSON shape (snapshot) and the HTML page.

use crate::sim::*;
use argus_coordinator::StatusView;
use argus_coordinator::machine::Reply;
use argus_coordinator::protocol::HeadReply;
use argus_coordinator::{Config, Coordinator};
use argus_core::error::ErrorClass;
use argus_core::event::PrAction::*;
use argus_core::ids::UnixMillis;

fn scenario() -> Sim {
    let mut s = Sim::new(Config::default());
    s.send(review("delivery-1", Opened, "h0"));
    let j = s.last_job();
    let lease = s.lease(&j).unwrap();
    s.advance(2_000);
    s.send(review("delivery-2", Synchronize, "h1"));
    s.send(review("delivery-3", Synchronize, "h2"));
    assert!(matches!(s.head_check(&j, &lease), Reply::Head(HeadReply::Stale { .. })));
    s.finish(&j, &lease, false);
    s.advance(10_000);
    let j = s.last_job();
    let lease = s.lease(&j).unwrap();
    s.fail(&j, &lease, ErrorClass::Retryable { after_secs: None }, "model <b>rate</b> limited");
    // A reply in a review thread waits behind the job in flight.
    s.send(thread_reply("delivery-4", 11, 10, argus_core::signal::ReplyIntent::Plain));
    s.advance(10_000);
    s
}

#[test]
fn status_json_shape() {
    let s = scenario();
    let view = StatusView::of(s.m.state(), s.m.next_wakeup(), UnixMillis(s.now)).unwrap();
    insta::assert_json_snapshot!(view);
}

#[test]
fn status_html_is_escaped_and_shows_the_essentials() {
    let s = scenario();
    let html = StatusView::of(s.m.state(), s.m.next_wakeup(), UnixMillis(s.now)).unwrap().to_html();
    for want in [
        "octo-org/hello-world#42",
        "<b>queued</b>",
        "model &lt;b&gt;rate&lt;/b&gt; limited",
        "delivery-3",
        "Superseded",
        "0 posted (0 in the last hour), 1 waiting, 0 on the queue; bounds default per PR, default per hour",
    ] {
        assert!(html.contains(want), "missing {want:?} in {html}");
    }
    assert!(!html.contains("<b>rate"), "error text is escaped");
}

#[test]
fn a_coordinator_that_never_saw_its_pr_has_no_status() {
    let m = Coordinator::new(Config::default());
    assert_eq!(StatusView::of(m.state(), None, UnixMillis(0)), None);
}
