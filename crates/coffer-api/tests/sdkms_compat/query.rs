//! Query strings built by the client's `UrlEncode` and by Py.

use super::*;

/// Parses a query string the two ways the server may: `parse_query` and `serde_urlencoded`.
fn both_parsers<T: DeserializeOwned + PartialEq + std::fmt::Debug>(query: &str) -> T {
    let ours: T = api::parse_query(query).unwrap_or_else(|err| panic!("{err}: {query}"));
    let axum: T = serde_urlencoded::from_str(query).unwrap_or_else(|err| panic!("{err}: {query}"));
    assert_eq!(ours, axum, "{query}");
    ours
}

#[test]
fn rs_query_strings_parse() {
    let query = rs::ListSobjectsParams {
        group_id: Some(id(2)),
        creator: Some(id(10)),
        name: Some("key-1".into()),
        limit: Some(100),
        offset: Some(0),
        sort: rs::SobjectSort::ByName {
            order: rs::Order::Descending,
            start: Some("key-0".into()),
        },
    }
    .encode();
    let params: api::ListSobjectsParams = both_parsers(&query);
    assert_eq!(params.group_id, Some(id(2)));
    assert_eq!(params.creator, Some(id(10)));
    assert_eq!(params.name.as_deref(), Some("key-1"));
    assert_eq!((params.limit, params.offset), (Some(100), Some(0)));
    let sort = params.sort.unwrap();
    assert_eq!(
        (sort.field.as_str(), sort.order),
        ("name", api::SortOrder::Descending)
    );
    assert_eq!(params.start.as_deref(), Some("key-0"));

    let default: api::ListSobjectsParams =
        both_parsers(&rs::ListSobjectsParams::default().encode());
    assert_eq!(default.sort, Some(api::SortSpec::ascending("kid")));
    let empty: api::ListSobjectsParams = both_parsers("");
    assert_eq!(empty, api::ListSobjectsParams::default());

    let apps: api::ListAppsParams = both_parsers(
        &rs::ListAppsParams {
            group_id: Some(id(2)),
            limit: Some(5),
            group_permissions: true,
            ..Default::default()
        }
        .encode(),
    );
    assert_eq!(
        (apps.group_id, apps.limit, apps.group_permissions),
        (Some(id(2)), Some(5), Some(true))
    );
    assert_eq!(apps.sort, Some(api::SortSpec::ascending("app_id")));

    let app: api::GetAppParams = both_parsers(
        &rs::GetAppParams {
            group_permissions: false,
        }
        .encode(),
    );
    assert_eq!(app.group_permissions, Some(false));

    let users: api::ListUsersParams = both_parsers(
        &rs::ListUsersParams {
            acct_id: Some(id(1)),
            offset: Some(10),
            ..Default::default()
        }
        .encode(),
    );
    assert_eq!((users.acct_id, users.offset), (Some(id(1)), Some(10)));
    assert_eq!(users.sort, Some(api::SortSpec::ascending("user_id")));

    let account: api::GetAccountParams =
        both_parsers(&rs::GetAccountParams { with_totals: true }.encode());
    assert_eq!(account.with_totals, Some(true));

    let get: api::GetSobjectParams = both_parsers(
        &rs::GetSobjectParams {
            view: rs::SobjectEncoding::Json,
        }
        .encode(),
    );
    assert_eq!(get.view, Some(api::SobjectEncoding::Json));
}

#[test]
fn py_query_strings_parse() {
    let params: api::ListSobjectsParams =
        both_parsers("name=my+key&limit=100&offset=0&show_destroyed=True&show_deleted=False");
    assert_eq!(params.name.as_deref(), Some("my key"));
    assert_eq!(
        (params.show_destroyed, params.show_deleted),
        (Some(true), Some(false))
    );
    let logs: api::AuditLogsQuery =
        both_parsers("size=1000&range_from=1714564800&range_to=1714568400");
    assert_eq!(
        (logs.size, logs.range_to),
        (Some(1000), Some(1_714_568_400))
    );
}
