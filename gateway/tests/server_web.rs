//! The trading page of a running `ringex`: `GET /` answers the embedded page
//! and the files it links; other methods and unknown files are refused.

mod e2e;

#[test]
fn get_root_serves_the_trading_page_and_its_files() {
    let (_dir, srv) = e2e::start_fresh("");
    let page = srv.get("/", None);
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = &page.body;
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("<title>Ringex</title>"), "{html}");
    for linked in ["/web/app.js", "/web/app.css"] {
        assert!(html.contains(linked), "the page links {linked}");
        let r = srv.get(linked, None);
        assert_eq!(r.status, 200, "{linked}: {r:?}");
        assert!(r.body.len() > 1000, "{linked} is the built file");
        assert!(r
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/")));
    }
    // The bundle carries the chart library; its licence is served beside it.
    assert!(srv
        .get("/web/app.js", None)
        .body
        .contains("Lightweight Charts"));
    let lic = srv.get("/web/LICENSE-lightweight-charts.txt", None);
    assert_eq!(lic.status, 200);
    assert!(lic.body.contains("Apache License"));
    assert_eq!(srv.get("/web/missing.js", None).status, 404);
    assert_eq!(srv.post("/", None, "{}").status, 404);
    // The API beside it is untouched.
    assert_eq!(srv.get("/healthz", None).status, 200);
}
