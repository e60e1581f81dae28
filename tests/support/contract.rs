//! Contract suites: what every adapter of a port must do, whatever it is built on.
//! Each runs against the embedded adapter and against the AWS adapter on moto.

use lambdapress::domain::{PostMeta, Slug, Tag};
use lambdapress::ports::{ContentKey, ContentStore, Fetched, PostIndex};
use time::macros::datetime;
use time::OffsetDateTime;

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

/// Reads, conditional reads, writes, deletes and listing of the content store.
pub async fn content_store(store: &dyn ContentStore) {
    let key = ContentKey::generated("feed.xml").unwrap();
    assert_eq!(
        store.get(&key, None).await.unwrap(),
        Fetched::Missing,
        "absent objects are Missing"
    );

    store
        .put(
            &key,
            b"<rss>one & two</rss>".to_vec(),
            "application/rss+xml; charset=utf-8",
            "public, max-age=300",
        )
        .await
        .unwrap();
    let Fetched::Found(first) = store.get(&key, None).await.unwrap() else {
        panic!("a written object reads back")
    };
    assert_eq!(first.bytes, b"<rss>one & two</rss>");
    assert!(
        first.etag.starts_with('"') && first.etag.ends_with('"') && first.etag.len() > 2,
        "quoted etag {}",
        first.etag
    );
    assert_eq!(
        first.content_type.as_deref(),
        Some("application/rss+xml; charset=utf-8")
    );

    assert_eq!(
        store.get(&key, Some(&first.etag)).await.unwrap(),
        Fetched::NotModified,
        "a matching ETag is NotModified"
    );
    assert!(matches!(
        store.get(&key, Some("\"someone-else\"")).await.unwrap(),
        Fetched::Found(_)
    ));

    store
        .put(
            &key,
            b"<rss>three</rss>".to_vec(),
            "application/rss+xml; charset=utf-8",
            "public, max-age=300",
        )
        .await
        .unwrap();
    let Fetched::Found(second) = store.get(&key, Some(&first.etag)).await.unwrap() else {
        panic!("changed bytes are Found despite the old ETag")
    };
    assert_eq!(second.bytes, b"<rss>three</rss>");
    assert_ne!(second.etag, first.etag, "new bytes, new ETag");

    let post = ContentKey::post(&slug("contract-post"));
    store
        .put(&post, b"+++\n".to_vec(), "text/markdown", "no-cache")
        .await
        .unwrap();
    let comments = ContentKey::generated("posts/contract-post/comments.xml").unwrap();
    store
        .put(
            &comments,
            b"<rss/>".to_vec(),
            "application/rss+xml",
            "no-cache",
        )
        .await
        .unwrap();
    let slugs = store.list_post_slugs().await.unwrap();
    assert!(slugs.contains(&slug("contract-post")), "{slugs:?}");
    assert_eq!(
        slugs
            .iter()
            .filter(|s| s.as_str() == "contract-post")
            .count(),
        1
    );
    assert!(
        slugs.iter().all(|s| s.as_str() != "comments"),
        "only posts/<slug>.md keys are posts"
    );

    store.delete(&key).await.unwrap();
    assert_eq!(
        store.get(&key, None).await.unwrap(),
        Fetched::Missing,
        "deleted objects are Missing"
    );
    store.delete(&key).await.unwrap();

    conditional_writes(store).await;
}

/// `put_if`: a write lands only on the version the writer read (none, or its ETag).
async fn conditional_writes(store: &dyn ContentStore) {
    let owned = ContentKey::generated("redirects.toml").unwrap();
    let key = &owned;
    let put = |bytes: &'static [u8], expected: Option<String>| async move {
        store
            .put_if(
                key,
                bytes.to_vec(),
                "application/toml",
                "no-cache",
                expected.as_deref(),
            )
            .await
            .unwrap()
    };
    let read = || async {
        match store.get(key, None).await.unwrap() {
            Fetched::Found(o) => (o.bytes, o.etag),
            other => panic!("{other:?}"),
        }
    };
    assert!(put(b"first", None).await, "created where there was none");
    assert!(!put(b"second", None).await, "\"none\" no longer holds");
    let (bytes, first) = read().await;
    assert_eq!(bytes, b"first");
    assert!(!put(b"stale", Some("\"not-its-etag\"".into())).await);
    assert_eq!(read().await.0, b"first", "a refused write changes nothing");
    assert!(
        put(b"second", Some(first.clone())).await,
        "on the version read"
    );
    let (bytes, second) = read().await;
    assert_eq!(bytes, b"second");
    assert!(
        !put(b"lost", Some(first)).await,
        "the first writer's ETag no longer holds"
    );
    store.delete(key).await.unwrap();
    assert!(
        !put(b"gone", Some(second)).await,
        "an object removed since is not recreated"
    );
    assert_eq!(store.get(key, None).await.unwrap(), Fetched::Missing);
}

fn meta(s: &str, date: OffsetDateTime, tags: &[&str]) -> PostMeta {
    PostMeta {
        slug: slug(s),
        title: format!("Title of {s} & “quotes” <b>"),
        summary: format!("Summary of {s}, déjà vu"),
        date,
        updated: None,
        tags: tags.iter().map(|t| Tag::parse(t).unwrap()).collect(),
        comments_open: true,
    }
}

fn slugs(page: &lambdapress::ports::PostPage) -> Vec<&str> {
    page.posts.iter().map(|p| p.slug.as_str()).collect()
}

/// Upserts, removal, newest-first paging and tag listings of the post index.
pub async fn post_index(index: &dyn PostIndex) {
    let now = datetime!(2024-06-01 12:00 UTC);
    let oldest = meta("oldest", datetime!(2024-01-01 09:00 UTC), &["Acupuncture"]);
    let mut middle = meta(
        "middle",
        datetime!(2024-03-12 09:00 UTC),
        &["Acupuncture", "Muscle Pain"],
    );
    middle.updated = Some(datetime!(2024-04-01 08:30 UTC));
    let newest = meta("newest", datetime!(2024-06-01 12:00 UTC), &["Sleep"]);
    let future = meta("future", datetime!(2030-01-01 00:00 UTC), &["Acupuncture"]);
    for m in [&middle, &future, &oldest, &newest] {
        index.upsert(m).await.unwrap();
    }

    assert_eq!(
        index.get(&middle.slug).await.unwrap().as_ref(),
        Some(&middle),
        "entries read back whole"
    );
    assert_eq!(index.get(&slug("absent")).await.unwrap(), None);

    let all = index.newest(now, 0, 10).await.unwrap();
    assert_eq!(
        slugs(&all),
        ["newest", "middle", "oldest"],
        "newest first; future posts (after now) left out"
    );
    assert!(!all.has_more);

    // A month of the archive: its first instant and its last second both count, the
    // month's neighbours do not, and paging works as for `newest`.
    let march = index
        .newest_between(
            datetime!(2024-03-01 00:00 UTC),
            datetime!(2024-03-31 23:59:59 UTC),
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(slugs(&march), ["middle"]);
    let edges = meta("edge-start", datetime!(2024-03-01 00:00 UTC), &[]);
    let edge_end = meta("edge-end", datetime!(2024-03-31 23:59:59 UTC), &[]);
    let april = meta("april", datetime!(2024-04-01 00:00 UTC), &[]);
    for m in [&edges, &edge_end, &april] {
        index.upsert(m).await.unwrap();
    }
    let march = index
        .newest_between(
            datetime!(2024-03-01 00:00 UTC),
            datetime!(2024-03-31 23:59:59 UTC),
            0,
            2,
        )
        .await
        .unwrap();
    assert_eq!(slugs(&march), ["edge-end", "middle"]);
    assert!(march.has_more);
    let rest = index
        .newest_between(
            datetime!(2024-03-01 00:00 UTC),
            datetime!(2024-03-31 23:59:59 UTC),
            2,
            2,
        )
        .await
        .unwrap();
    assert_eq!(slugs(&rest), ["edge-start"]);
    assert!(!rest.has_more);
    for m in [&edges, &edge_end, &april] {
        index.remove(&m.slug).await.unwrap();
    }

    // The archive summary: absent until stored, then read back whole and replaced.
    use lambdapress::domain::archive::ArchiveSummary;
    assert_eq!(index.archive_summary().await.unwrap(), None);
    let summary = ArchiveSummary::of(&all.posts);
    assert_eq!(summary.tags.len(), 3);
    index.put_archive_summary(&summary).await.unwrap();
    assert_eq!(
        index.archive_summary().await.unwrap().as_ref(),
        Some(&summary)
    );
    let smaller = ArchiveSummary::of(&all.posts[..1]);
    index.put_archive_summary(&smaller).await.unwrap();
    assert_eq!(index.archive_summary().await.unwrap(), Some(smaller));

    let first = index.newest(now, 0, 2).await.unwrap();
    assert_eq!(slugs(&first), ["newest", "middle"]);
    assert!(first.has_more);
    let second = index.newest(now, 2, 2).await.unwrap();
    assert_eq!(slugs(&second), ["oldest"]);
    assert!(!second.has_more);
    assert!(index.newest(now, 3, 2).await.unwrap().posts.is_empty());

    let acupuncture = slug("acupuncture");
    assert_eq!(
        slugs(&index.newest_tagged(&acupuncture, now, 0, 10).await.unwrap()),
        ["middle", "oldest"]
    );
    let later = datetime!(2031-01-01 00:00 UTC);
    assert_eq!(
        slugs(
            &index
                .newest_tagged(&acupuncture, later, 0, 10)
                .await
                .unwrap()
        ),
        ["future", "middle", "oldest"]
    );
    let page = index.newest_tagged(&acupuncture, now, 0, 1).await.unwrap();
    assert_eq!((slugs(&page), page.has_more), (vec!["middle"], true));

    // The ETag an entry was read from, for the reconcile pass; a plain upsert forgets it.
    index.upsert_version(&oldest, "\"v1\"").await.unwrap();
    let versions = index.versions().await.unwrap();
    let version = |s: &str| {
        versions
            .iter()
            .find(|(v, _)| v.as_str() == s)
            .map(|(_, e)| e.clone())
    };
    assert_eq!(version("oldest"), Some(Some("\"v1\"".to_owned())));
    assert_eq!(
        version("future"),
        Some(None),
        "every entry, whatever its date"
    );
    assert_eq!(versions.len(), 4);
    index.upsert(&oldest).await.unwrap();
    let versions = index.versions().await.unwrap();
    assert!(versions
        .iter()
        .any(|(v, e)| v.as_str() == "oldest" && e.is_none()));

    // Re-tagging replaces the old tags: no stale tag listing keeps the post.
    let mut retagged = middle.clone();
    retagged.tags = vec![Tag::parse("Sleep").unwrap()];
    retagged.title = "Retitled".into();
    index.upsert(&retagged).await.unwrap();
    assert_eq!(
        slugs(&index.newest_tagged(&acupuncture, now, 0, 10).await.unwrap()),
        ["oldest"]
    );
    assert!(index
        .newest_tagged(&slug("muscle-pain"), now, 0, 10)
        .await
        .unwrap()
        .posts
        .is_empty());
    assert_eq!(
        slugs(
            &index
                .newest_tagged(&slug("sleep"), now, 0, 10)
                .await
                .unwrap()
        ),
        ["newest", "middle"]
    );
    assert_eq!(
        index.get(&middle.slug).await.unwrap().unwrap().title,
        "Retitled"
    );
    assert_eq!(
        index.newest(now, 0, 10).await.unwrap().posts.len(),
        3,
        "an upsert never duplicates"
    );

    index.remove(&retagged.slug).await.unwrap();
    assert_eq!(index.get(&retagged.slug).await.unwrap(), None);
    assert_eq!(
        slugs(&index.newest(now, 0, 10).await.unwrap()),
        ["newest", "oldest"]
    );
    assert!(index
        .newest_tagged(&slug("sleep"), now, 0, 10)
        .await
        .unwrap()
        .posts
        .iter()
        .all(|p| p.slug.as_str() != "middle"));
    index.remove(&retagged.slug).await.unwrap();
}

/// UTF-8 slugs and tags in the post index: stored, read and listed as they are, and a post
/// dated exactly `now` is listed whatever its slug begins with. Keys compare as UTF-8 bytes,
/// so `über-…` and `睡眠` sort above `~`: a listing bound of `<now>#~` would drop them.
pub async fn post_index_utf8(index: &dyn PostIndex) {
    let now = datetime!(2024-06-01 12:00 UTC);
    let como = meta("cómo-dormir", now, &["Niños", "Salud Mental"]);
    let uber = meta("über-schlaf", now, &["Niños"]);
    let cjk = meta("睡眠", now, &["睡眠"]);
    let older = meta("niños-y-sueño", datetime!(2024-05-01 09:00 UTC), &["Niños"]);
    for m in [&como, &uber, &cjk, &older] {
        index.upsert(m).await.unwrap();
    }
    assert_eq!(index.get(&como.slug).await.unwrap().as_ref(), Some(&como));
    assert_eq!(como.tags[0].slug.as_str(), "niños");
    assert_eq!(como.tags[1].slug.as_str(), "salud-mental");

    let all = index.newest(now, 0, 10).await.unwrap();
    assert_eq!(
        slugs(&all),
        ["睡眠", "über-schlaf", "cómo-dormir", "niños-y-sueño"],
        "posts dated `now` are in, whatever their first letter; same date by UTF-8 bytes, descending"
    );
    let ninos = index
        .newest_tagged(&slug("niños"), now, 0, 10)
        .await
        .unwrap();
    assert_eq!(
        slugs(&ninos),
        ["über-schlaf", "cómo-dormir", "niños-y-sueño"]
    );
    let mental = index
        .newest_tagged(&slug("salud-mental"), now, 0, 10)
        .await
        .unwrap();
    assert_eq!(slugs(&mental), ["cómo-dormir"]);
    let cjk_tag = index
        .newest_tagged(&slug("睡眠"), now, 0, 10)
        .await
        .unwrap();
    assert_eq!(slugs(&cjk_tag), ["睡眠"]);
    let june = index
        .newest_between(datetime!(2024-06-01 00:00 UTC), now, 0, 10)
        .await
        .unwrap();
    assert_eq!(slugs(&june), ["睡眠", "über-schlaf", "cómo-dormir"]);
    let mut every = index.slugs().await.unwrap();
    every.sort();
    let mut want = vec![
        older.slug.clone(),
        como.slug.clone(),
        uber.slug.clone(),
        cjk.slug.clone(),
    ];
    want.sort();
    assert_eq!(every, want);

    index.remove(&como.slug).await.unwrap();
    assert_eq!(index.get(&como.slug).await.unwrap(), None);
    let ninos = index
        .newest_tagged(&slug("niños"), now, 0, 10)
        .await
        .unwrap();
    assert_eq!(slugs(&ninos), ["über-schlaf", "niños-y-sueño"]);
}

/// `posts/<utf-8 slug>.md` in the content store: written, read and listed as its slug.
pub async fn content_store_utf8(store: &dyn ContentStore) {
    let como = slug("cómo-dormir");
    let key = ContentKey::post(&como);
    assert_eq!(key.as_str(), "posts/cómo-dormir.md");
    store
        .put(
            &key,
            b"+++\ntitle = \"x\"\n+++\n".to_vec(),
            "text/markdown",
            "no-cache",
        )
        .await
        .unwrap();
    assert!(matches!(
        store.get(&key, None).await.unwrap(),
        Fetched::Found(_)
    ));
    assert!(store.list_post_slugs().await.unwrap().contains(&como));
    let versions = store.list_post_versions().await.unwrap();
    assert!(versions.iter().any(|(s, _)| s == &como), "{versions:?}");
    let feed = ContentKey::post_comments_feed(&como);
    store
        .put(&feed, b"<rss/>".to_vec(), "application/rss+xml", "no-cache")
        .await
        .unwrap();
    assert!(matches!(
        store.get(&feed, None).await.unwrap(),
        Fetched::Found(_)
    ));
    store.delete(&key).await.unwrap();
    store.delete(&feed).await.unwrap();
    assert!(!store.list_post_slugs().await.unwrap().contains(&como));
}
