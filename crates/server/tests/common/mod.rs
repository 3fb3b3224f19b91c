//! Helpers shared by the tests that start the `moim` binary.

use moim_testkit::TestApp;

/// The URL of the test app's database, for a child process. The test kit names a PostgreSQL
/// test database after the app's folder (`moim-test-{id}` → `moim_test_{id}`).
pub fn database_url(app: &TestApp) -> String {
    match moim_testkit::postgres_url() {
        None => format!("sqlite://{}", app.dir.join("moim.db").display()),
        Some(admin) => {
            let id = app
                .dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches("moim-test-")
                .to_owned();
            let (base, query) = admin
                .split_once('?')
                .map_or((admin.as_str(), None), |(b, q)| (b, Some(q)));
            let scheme_end = base.find("://").unwrap() + 3;
            let host_end = base[scheme_end..]
                .find('/')
                .map_or(base.len(), |i| i + scheme_end);
            let mut url = format!("{}/moim_test_{id}", &base[..host_end]);
            if let Some(q) = query {
                url.push('?');
                url.push_str(q);
            }
            url
        }
    }
}
