//! Reads of any method: a resource's `read`, `list`, `search`, `export` or `download` declared with `POST`
//! (a JSON search body, a GraphQL query) is a read in the planner's terms, while a `POST` function and a
//! `POST` create keep their method's meaning.

use super::{mutate, parse};

#[test]
fn a_post_search_is_a_read_and_a_post_function_is_not() {
    let text = mutate(
        "[resources.case.search]\npath = \"/api/v1/search\"\nquery = { nir = \"{{person.nir}}\" }\n",
        "[resources.case.search]\nmethod = \"POST\"\npath = \"/api/v1/search\"\njson = { nir = \"{{person.nir}}\" }\n",
    );
    let profile = parse(&text).expect("valid");
    let search = profile
        .endpoint_by_key("resources.case.search")
        .expect("the search");
    assert_eq!(search.method, reqwest::Method::POST);
    assert!(search.is_read(), "a POST search is a read");
    let surface = profile.surface();
    let safe = |key: &str| surface.endpoint(key).map(|e| e.safe);
    assert_eq!(safe("resources.case.search"), Some(true));
    assert_eq!(safe("resources.case.read"), Some(true));
    // A POST function changes state; a create is a create.
    assert_eq!(safe("functions.decide"), Some(false));
    assert_eq!(safe("resources.document.create"), Some(false));
    let decide = profile
        .endpoint_by_key("functions.decide")
        .expect("the function");
    assert!(!decide.is_read());
}
