//! The comment port's contract: what the SQLite and the DynamoDB comment stores must
//! both do, including exactly-once storage under concurrency.

use lambdapress::domain::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, Slug, Website,
};
use lambdapress::ports::{CommentStore, Inserted, Throttle};
use std::collections::HashSet;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// A comment on `post` by `who` at `at`, with a fingerprint of its own.
pub fn comment(post: &str, who: &str, at: OffsetDateTime, status: CommentStatus) -> Comment {
    let id = CommentId::generate();
    Comment {
        id: id.clone(),
        post: Slug::parse(post).unwrap(),
        parent: None,
        author: AuthorName::parse(&format!("{who} “Ünïcode” <b>")).unwrap(),
        email: CommentEmail::parse(&format!("{who}@example.com")).unwrap(),
        website: Some(Website::parse("https://example.com/a?b=1&c=2").unwrap()),
        body: CommentBody::parse(&format!("Hello from {who}, *déjà vu*")).unwrap(),
        body_html: format!("<p>Hello from {who}, <em>déjà vu</em></p>"),
        status,
        created_at: at,
        client_hash: "c1ient".into(),
        fingerprint: format!("fp-{id}"),
    }
}

fn ids(comments: &[Comment]) -> Vec<&str> {
    comments.iter().map(|c| c.id.as_str()).collect()
}

pub async fn comment_store(store: &dyn CommentStore) {
    let t = datetime!(2024-03-12 09:00:00.123 UTC);
    let post_a = Slug::parse("post-a").unwrap();
    let post_b = Slug::parse("post-b").unwrap();
    let mut first = comment("post-a", "ann", t, CommentStatus::Approved);
    first.parent = None;
    let mut reply = comment(
        "post-a",
        "bob",
        t + Duration::minutes(5),
        CommentStatus::Approved,
    );
    reply.parent = Some(first.id.clone());
    reply.website = None;
    let held = comment(
        "post-a",
        "cat",
        t + Duration::minutes(1),
        CommentStatus::Pending,
    );
    let spam = comment(
        "post-a",
        "dan",
        t + Duration::minutes(2),
        CommentStatus::Spam,
    );
    let other = comment(
        "post-b",
        "eve",
        t + Duration::hours(1),
        CommentStatus::Approved,
    );
    for c in [&reply, &held, &other, &spam, &first] {
        assert_eq!(store.insert(c).await.unwrap(), Inserted::Stored);
    }

    assert_eq!(
        store.get(&reply.id).await.unwrap().as_ref(),
        Some(&reply),
        "reads back whole"
    );
    assert_eq!(store.get(&CommentId::generate()).await.unwrap(), None);

    assert_eq!(
        ids(&store.approved_for_post(&post_a).await.unwrap()),
        ids(&[first.clone(), reply.clone()]),
        "approved only, oldest first"
    );
    assert_eq!(
        ids(&store.approved_for_post(&post_b).await.unwrap()),
        [other.id.as_str()]
    );
    assert!(store
        .approved_for_post(&Slug::parse("post-c").unwrap())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        ids(&store.newest_approved(2).await.unwrap()),
        [other.id.as_str(), reply.id.as_str()],
        "site-wide, newest first, limited"
    );
    assert_eq!(store.newest_approved(10).await.unwrap().len(), 3);
    assert_eq!(ids(&store.pending(10).await.unwrap()), [held.id.as_str()]);

    // No duplicates: the same fingerprint (or id) is refused, whatever else differs.
    let mut repeat = comment(
        "post-a",
        "cat",
        t + Duration::minutes(9),
        CommentStatus::Pending,
    );
    repeat.fingerprint = held.fingerprint.clone();
    assert_eq!(store.insert(&repeat).await.unwrap(), Inserted::Duplicate);
    // The same comment sent again (an SDK retry) never makes a second copy.
    store.insert(&held).await.unwrap();
    assert_eq!(
        store.get(&repeat.id).await.unwrap(),
        None,
        "a refused repeat leaves nothing"
    );
    assert_eq!(store.pending(10).await.unwrap().len(), 1);
    assert!(store.is_repeat(&held.fingerprint).await.unwrap());
    assert!(!store.is_repeat("fp-never").await.unwrap());

    // First-time commenters: an address with an approved comment is known.
    assert!(store
        .has_approved_from(&CommentEmail::parse("ANN@example.com").unwrap())
        .await
        .unwrap());
    assert!(!store.has_approved_from(&held.email).await.unwrap());

    let approved = store.approve(&held.id).await.unwrap().expect("exists");
    assert_eq!(approved.status, CommentStatus::Approved);
    assert_eq!(approved.body, held.body);
    assert!(store.has_approved_from(&held.email).await.unwrap());
    assert!(store.pending(10).await.unwrap().is_empty());
    assert_eq!(
        ids(&store.approved_for_post(&post_a).await.unwrap()),
        [first.id.as_str(), held.id.as_str(), reply.id.as_str()],
        "an approved comment takes its place in time order"
    );

    let spammed = store.mark_spam(&reply.id).await.unwrap().unwrap();
    assert_eq!(spammed.status, CommentStatus::Spam);
    assert_eq!(
        store.get(&reply.id).await.unwrap().unwrap().status,
        CommentStatus::Spam
    );
    assert_eq!(store.approved_for_post(&post_a).await.unwrap().len(), 2);

    assert!(store.delete(&first.id).await.unwrap());
    assert!(!store.delete(&first.id).await.unwrap());
    assert_eq!(store.get(&first.id).await.unwrap(), None);
    assert_eq!(
        store
            .set_status(&first.id, CommentStatus::Approved)
            .await
            .unwrap(),
        None,
        "no status change brings back a deleted comment"
    );
    assert_eq!(
        ids(&store.approved_for_post(&post_a).await.unwrap()),
        [held.id.as_str()]
    );
    assert!(!store.is_repeat(&first.fingerprint).await.unwrap());
}

pub async fn throttle(store: &dyn CommentStore) {
    let t = datetime!(2024-03-12 09:00 UTC);
    let window = Duration::seconds(15);
    assert_eq!(
        store.throttle("client-a", t, window).await.unwrap(),
        Throttle::Allowed
    );
    assert_eq!(
        store
            .throttle("client-a", t + Duration::seconds(5), window)
            .await
            .unwrap(),
        Throttle::Wait(t + window),
        "a second attempt inside the window waits until it ends"
    );
    assert_eq!(
        store.throttle("client-b", t, window).await.unwrap(),
        Throttle::Allowed
    );
    assert_eq!(
        store
            .throttle("client-a", t + window, window)
            .await
            .unwrap(),
        Throttle::Allowed,
        "the window ends"
    );
    assert_eq!(
        store
            .throttle("client-a", t + window + Duration::seconds(1), window)
            .await
            .unwrap(),
        Throttle::Wait(t + window + window),
        "the allowed attempt opened a new window"
    );
}

/// 500 comments across 10 posts, each sent twice at once: every comment is stored
/// exactly once and every post lists its 50, in order. `in_flight` requests at a time.
pub async fn concurrent_inserts(store: Arc<dyn CommentStore>, in_flight: usize) {
    use futures::stream::{self, StreamExt};
    let t = datetime!(2024-05-01 12:00 UTC);
    let comments: Vec<Comment> = (0..500)
        .map(|i| {
            comment(
                &format!("busy-post-{}", i % 10),
                &format!("visitor{i}"),
                t + Duration::milliseconds(i as i64 * 7),
                CommentStatus::Approved,
            )
        })
        .collect();
    // Each comment is sent twice, as a double-clicked form would: two ids, one fingerprint.
    let repeats = comments.iter().map(|c| Comment {
        id: CommentId::generate(),
        ..c.clone()
    });
    let attempts: Vec<Comment> = comments.iter().cloned().chain(repeats).collect();
    let outcomes: Vec<Inserted> = stream::iter(attempts)
        .map(|c| {
            let store = store.clone();
            async move {
                tokio::spawn(async move { store.insert(&c).await.unwrap() })
                    .await
                    .unwrap()
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    assert_eq!(
        outcomes.iter().filter(|o| **o == Inserted::Stored).count(),
        500
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Inserted::Duplicate)
            .count(),
        500
    );
    let mut seen = HashSet::new();
    for p in 0..10 {
        let slug = Slug::parse(&format!("busy-post-{p}")).unwrap();
        let listed = store.approved_for_post(&slug).await.unwrap();
        assert_eq!(listed.len(), 50, "post {p}");
        assert!(
            listed
                .windows(2)
                .all(|w| w[0].created_at <= w[1].created_at),
            "oldest first"
        );
        for c in &listed {
            assert!(seen.insert(c.id.clone()), "stored once: {}", c.id);
        }
    }
    assert_eq!(seen.len(), 500);
}

/// "Approved author" follows the comments: it goes when the address's last approved
/// comment is marked as spam or deleted, and not before.
pub async fn approved_author_follows_the_comments(store: &dyn CommentStore) {
    let t = datetime!(2024-03-12 09:00:00 UTC);
    let one = comment("post-a", "eve", t, CommentStatus::Pending);
    let mut two = comment(
        "post-b",
        "eve",
        t + Duration::minutes(1),
        CommentStatus::Pending,
    );
    two.email = one.email.clone();
    assert_eq!(store.insert(&one).await.unwrap(), Inserted::Stored);
    assert_eq!(store.insert(&two).await.unwrap(), Inserted::Stored);
    assert!(!store.has_approved_from(&one.email).await.unwrap());
    store.approve(&one.id).await.unwrap().unwrap();
    store.approve(&two.id).await.unwrap().unwrap();
    assert!(store.has_approved_from(&one.email).await.unwrap());
    store.mark_spam(&one.id).await.unwrap().unwrap();
    assert!(
        store.has_approved_from(&one.email).await.unwrap(),
        "one approved comment is left"
    );
    assert!(store.delete(&two.id).await.unwrap());
    assert!(
        !store.has_approved_from(&one.email).await.unwrap(),
        "no approved comment is left"
    );
    store.approve(&one.id).await.unwrap().unwrap();
    assert!(store.has_approved_from(&one.email).await.unwrap());
    let shown = store.approved_for_post(&one.post).await.unwrap();
    assert_eq!(ids(&shown), vec![one.id.as_str()]);
    assert!(
        !store.is_repeat(&two.fingerprint).await.unwrap(),
        "a deleted comment's claim goes with it"
    );
}

/// A thread of `count` comments, a third approved and long (over 1 MB at 180), with held and spam
/// comments beside it: every approved one is read, in order, and nothing else.
pub async fn long_threads_read_whole(store: &dyn CommentStore, count: usize) {
    let t = datetime!(2024-03-12 09:00:00 UTC);
    let long = "x".repeat(CommentBody::MAX_CHARS - 20);
    let mut approved = Vec::new();
    for i in 0..count {
        let status = match i % 3 {
            0 => CommentStatus::Approved,
            1 => CommentStatus::Pending,
            _ => CommentStatus::Spam,
        };
        let mut c = comment(
            "long-post",
            &format!("w{i}"),
            t + Duration::seconds(i as i64),
            status,
        );
        if status == CommentStatus::Approved {
            c.body = CommentBody::parse(&format!("{i} {long}")).unwrap();
            c.body_html = format!("<p>{i} {long}</p>");
        }
        assert_eq!(store.insert(&c).await.unwrap(), Inserted::Stored);
        if status == CommentStatus::Approved {
            approved.push(c.id.clone());
        }
    }
    let shown = store
        .approved_for_post(&Slug::parse("long-post").unwrap())
        .await
        .unwrap();
    let shown: Vec<_> = shown.into_iter().map(|c| c.id).collect();
    assert_eq!(shown, approved);
}

/// Flood windows are given back only by the attempt that took them.
pub async fn throttle_release(store: &dyn CommentStore) {
    let t = datetime!(2024-03-12 09:00 UTC);
    let window = Duration::seconds(15);
    assert_eq!(
        store.throttle("client-r", t, window).await.unwrap(),
        Throttle::Allowed
    );
    store.release_throttle("client-r", t, window).await.unwrap();
    let later = t + Duration::seconds(1);
    assert_eq!(
        store.throttle("client-r", later, window).await.unwrap(),
        Throttle::Allowed,
        "a released window lets the retry through"
    );
    store.release_throttle("client-r", t, window).await.unwrap();
    assert_eq!(
        store
            .throttle("client-r", later + Duration::seconds(1), window)
            .await
            .unwrap(),
        Throttle::Wait(later + window),
        "an older attempt cannot release a newer window"
    );
}

/// Spam is kept `SPAM_KEPT` from when it was written, on the caller's clock; then it
/// goes with its claim and pointer (the same spam is new again), and nothing else goes.
pub async fn spam_expires_with_its_helpers(store: &dyn CommentStore) {
    use lambdapress::ports::comments::SPAM_KEPT;
    let t = datetime!(2024-03-12 09:00:00 UTC);
    let spam = comment("spam-post", "sam", t, CommentStatus::Spam);
    let held = comment("spam-post", "hal", t, CommentStatus::Pending);
    let kept = comment(
        "spam-post",
        "kim",
        t + Duration::days(2),
        CommentStatus::Spam,
    );
    for c in [&spam, &held, &kept] {
        assert_eq!(store.insert(c).await.unwrap(), Inserted::Stored);
    }
    let almost = t + SPAM_KEPT - Duration::seconds(1);
    assert_eq!(store.expire_spam(almost, 10).await.unwrap(), 0);
    assert!(store.get(&spam.id).await.unwrap().is_some());
    assert!(store.is_repeat(&spam.fingerprint).await.unwrap());
    assert_eq!(
        store
            .expire_spam(t + SPAM_KEPT + Duration::seconds(1), 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.get(&spam.id).await.unwrap(), None, "its pointer went");
    assert!(
        !store.is_repeat(&spam.fingerprint).await.unwrap(),
        "its claim went"
    );
    assert!(store.get(&held.id).await.unwrap().is_some(), "held stays");
    assert!(
        store.get(&kept.id).await.unwrap().is_some(),
        "younger spam stays"
    );
    let again = Comment {
        id: CommentId::generate(),
        ..spam.clone()
    };
    assert_eq!(store.insert(&again).await.unwrap(), Inserted::Stored);
}

fn page_ids(page: &lambdapress::ports::ThreadPage) -> Vec<CommentId> {
    page.comments.iter().map(|c| c.id.clone()).collect()
}

/// A thread of 120 top-level comments and replies is paged 50 top-level comments a
/// page: replies on their parent's page, a late approval on the newest page, a page
/// kept through spam and back, and the newest page by default.
pub async fn thread_pages(store: &dyn CommentStore) {
    use lambdapress::ports::comments::THREAD_PAGE_ROOTS;
    assert_eq!(THREAD_PAGE_ROOTS, 50);
    let post = Slug::parse("paged-post").unwrap();
    let t = datetime!(2024-03-12 09:00:00 UTC);
    // Held first, approved after every other: it lands on the last page.
    let late = comment("paged-post", "late", t, CommentStatus::Pending);
    assert_eq!(store.insert(&late).await.unwrap(), Inserted::Stored);
    let mut roots = Vec::new();
    let mut expected: Vec<Vec<CommentId>> = vec![Vec::new(); 3];
    for i in 0..120 {
        let root = comment(
            "paged-post",
            &format!("r{i}"),
            t + Duration::minutes(i),
            CommentStatus::Approved,
        );
        assert_eq!(store.insert(&root).await.unwrap(), Inserted::Stored);
        expected[i as usize / 50].push(root.id.clone());
        roots.push(root);
    }
    // Replies (and a reply to a reply) arrive later, and stay on their root's page.
    for i in [0usize, 49, 50, 119] {
        let mut reply = comment(
            "paged-post",
            &format!("re{i}"),
            t + Duration::days(1) + Duration::minutes(i as i64),
            CommentStatus::Approved,
        );
        reply.parent = Some(roots[i].id.clone());
        assert_eq!(store.insert(&reply).await.unwrap(), Inserted::Stored);
        expected[i / 50].push(reply.id.clone());
        let mut deeper = comment(
            "paged-post",
            &format!("rere{i}"),
            t + Duration::days(2) + Duration::minutes(i as i64),
            CommentStatus::Pending,
        );
        deeper.parent = Some(reply.id.clone());
        assert_eq!(store.insert(&deeper).await.unwrap(), Inserted::Stored);
        store.approve(&deeper.id).await.unwrap().unwrap();
        expected[i / 50].push(deeper.id.clone());
    }
    store.approve(&late.id).await.unwrap().unwrap();
    expected[2].push(late.id.clone());
    // Spam and back: a top-level comment keeps its page.
    store.mark_spam(&roots[10].id).await.unwrap().unwrap();
    let page1 = store.approved_page(&post, Some(1)).await.unwrap();
    assert!(!page_ids(&page1).contains(&roots[10].id));
    store.approve(&roots[10].id).await.unwrap().unwrap();
    let sorted = |ids: &[CommentId], all: &[Comment]| {
        let mut found: Vec<&Comment> = all.iter().filter(|c| ids.contains(&c.id)).collect();
        found.sort_by_key(|c| c.sort_key());
        found.into_iter().map(|c| c.id.clone()).collect::<Vec<_>>()
    };
    let everything = store.approved_for_post(&post).await.unwrap();
    assert_eq!(
        everything.len(),
        120 + 8 + 1,
        "every approved comment, once"
    );
    // Every page gives the whole thread's count, not its own.
    for page in [Some(1), Some(2), Some(3), None, Some(4)] {
        let shown = store.approved_page(&post, page).await.unwrap();
        assert_eq!(shown.total, 129, "page {page:?}");
    }
    // Each comment's page, read by key; none for a held one, another post's, or spam.
    assert_eq!(store.page_of(&post, &roots[0].id).await.unwrap(), Some(1));
    assert_eq!(store.page_of(&post, &roots[75].id).await.unwrap(), Some(2));
    assert_eq!(store.page_of(&post, &late.id).await.unwrap(), Some(3));
    let other = Slug::parse("other-post").unwrap();
    assert_eq!(store.page_of(&other, &roots[0].id).await.unwrap(), None);
    let held = comment("paged-post", "held", t, CommentStatus::Pending);
    assert_eq!(store.insert(&held).await.unwrap(), Inserted::Stored);
    assert_eq!(store.page_of(&post, &held.id).await.unwrap(), None);
    assert_eq!(
        store.page_of(&post, &CommentId::generate()).await.unwrap(),
        None
    );
    // Spam, a delete and a held comment leave the count; an approval back adds to it.
    store.mark_spam(&roots[60].id).await.unwrap().unwrap();
    assert_eq!(store.page_of(&post, &roots[60].id).await.unwrap(), None);
    assert!(store.delete(&roots[61].id).await.unwrap());
    assert_eq!(
        store.approved_page(&post, Some(1)).await.unwrap().total,
        127
    );
    store.approve(&roots[60].id).await.unwrap().unwrap();
    assert_eq!(store.page_of(&post, &roots[60].id).await.unwrap(), Some(2));
    assert_eq!(store.approved_page(&post, None).await.unwrap().total, 128);
    assert!(store.delete(&held.id).await.unwrap());
    assert_eq!(
        store.approved_page(&post, Some(2)).await.unwrap().total,
        128
    );
    let expected_page2: Vec<CommentId> = expected[1]
        .iter()
        .filter(|id| **id != roots[61].id)
        .cloned()
        .collect();
    expected[1] = expected_page2;
    assert!(
        everything
            .windows(2)
            .all(|w| w[0].sort_key() <= w[1].sort_key()),
        "the whole thread oldest first"
    );
    for (n, want) in expected.iter().enumerate() {
        let page = store
            .approved_page(&post, Some(n as u32 + 1))
            .await
            .unwrap();
        assert_eq!(page.page, n as u32 + 1);
        assert_eq!(page.pages, 3);
        assert_eq!(page_ids(&page), sorted(want, &everything), "page {}", n + 1);
    }
    let newest = store.approved_page(&post, None).await.unwrap();
    assert_eq!((newest.page, newest.pages), (3, 3));
    assert_eq!(page_ids(&newest), sorted(&expected[2], &everything));
    let past = store.approved_page(&post, Some(4)).await.unwrap();
    assert!(past.comments.is_empty());
    assert_eq!(past.pages, 3);
    let huge = store.approved_page(&post, Some(u32::MAX)).await.unwrap();
    assert!(huge.comments.is_empty());
    let none = store
        .approved_page(&Slug::parse("no-comments").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        (none.page, none.pages, none.comments.len(), none.total),
        (1, 1, 0, 0)
    );
}

/// Two moderation changes of one comment from the same status, sent at the same instant
/// (`rounds` times, on fresh comments): exactly one is applied, the other is a
/// `Conflict` that wrote nothing, and the thread's count and the author marker follow
/// the winner.
pub async fn racing_transitions(store: Arc<dyn CommentStore>, rounds: usize) {
    use lambdapress::ports::Transition;
    let post = Slug::parse("raced-post").unwrap();
    let t = datetime!(2024-06-01 10:00 UTC);
    let mut approved = 0;
    for round in 0..rounds {
        let c = comment(
            "raced-post",
            &format!("racer{round}"),
            t + Duration::minutes(round as i64),
            CommentStatus::Pending,
        );
        assert_eq!(store.insert(&c).await.unwrap(), Inserted::Stored);
        let (a, b) = (store.clone(), store.clone());
        let (id_a, id_b) = (c.id.clone(), c.id.clone());
        // Approve against spam, and approve against delete, in turn.
        let approve = tokio::spawn(async move {
            a.move_status(&id_a, CommentStatus::Pending, CommentStatus::Approved)
                .await
                .unwrap()
        });
        let other = tokio::spawn(async move {
            if round % 2 == 0 {
                b.move_status(&id_b, CommentStatus::Pending, CommentStatus::Spam)
                    .await
                    .unwrap()
            } else {
                b.delete_if(&id_b, CommentStatus::Pending).await.unwrap()
            }
        });
        let (approve, other) = (approve.await.unwrap(), other.await.unwrap());
        let done = |t: &Transition| matches!(t, Transition::Done(_));
        assert!(
            done(&approve) != done(&other),
            "round {round}: exactly one applies: {approve:?} / {other:?}"
        );
        let loser = if done(&approve) { &other } else { &approve };
        assert!(
            matches!(loser, Transition::Conflict(_) | Transition::Missing),
            "round {round}: the other is refused: {loser:?}"
        );
        let now = store.get(&c.id).await.unwrap();
        match (done(&approve), round % 2) {
            (true, _) => {
                approved += 1;
                assert_eq!(now.unwrap().status, CommentStatus::Approved);
                assert!(store.has_approved_from(&c.email).await.unwrap());
            }
            (false, 0) => {
                assert_eq!(now.unwrap().status, CommentStatus::Spam);
                assert!(!store.has_approved_from(&c.email).await.unwrap());
            }
            (false, _) => {
                assert!(now.is_none(), "deleted");
                assert!(!store.is_repeat(&c.fingerprint).await.unwrap());
            }
        }
        let thread = store.approved_page(&post, None).await.unwrap();
        assert_eq!(thread.total, approved, "round {round}");
        assert_eq!(thread.comments.len(), approved, "round {round}");
    }
    // A change from a status the comment no longer has writes nothing.
    let c = comment("raced-post", "late", t, CommentStatus::Pending);
    assert_eq!(store.insert(&c).await.unwrap(), Inserted::Stored);
    store.mark_spam(&c.id).await.unwrap().unwrap();
    let refused = store
        .move_status(&c.id, CommentStatus::Pending, CommentStatus::Approved)
        .await
        .unwrap();
    assert!(matches!(refused, Transition::Conflict(ref now) if now.status == CommentStatus::Spam));
    let refused = store
        .delete_if(&c.id, CommentStatus::Approved)
        .await
        .unwrap();
    assert!(matches!(refused, Transition::Conflict(_)));
    assert_eq!(
        store.get(&c.id).await.unwrap().unwrap().status,
        CommentStatus::Spam
    );
    let gone = store
        .move_status(
            &CommentId::generate(),
            CommentStatus::Pending,
            CommentStatus::Spam,
        )
        .await
        .unwrap();
    assert_eq!(gone, Transition::Missing);
}

/// One thread page over 1 MB (50 top-level comments and 10 replies of ~20 KB each) is
/// read whole, in order, and only it.
pub async fn thread_page_over_one_megabyte(store: &dyn CommentStore) {
    let post = Slug::parse("heavy-post").unwrap();
    let t = datetime!(2024-03-12 09:00:00 UTC);
    let long = "y".repeat(CommentBody::MAX_CHARS - 20);
    let mut first_page = Vec::new();
    let mut roots = Vec::new();
    for i in 0..51 {
        let mut c = comment(
            "heavy-post",
            &format!("h{i}"),
            t + Duration::seconds(i),
            CommentStatus::Approved,
        );
        c.body = CommentBody::parse(&format!("{i} {long}")).unwrap();
        c.body_html = format!("<p>{i} {long}</p>");
        assert_eq!(store.insert(&c).await.unwrap(), Inserted::Stored);
        if i < 50 {
            first_page.push(c.id.clone());
        }
        roots.push(c);
    }
    for i in 0..10 {
        let mut c = comment(
            "heavy-post",
            &format!("hr{i}"),
            t + Duration::minutes(5) + Duration::seconds(i),
            CommentStatus::Approved,
        );
        c.parent = Some(roots[i as usize].id.clone());
        c.body = CommentBody::parse(&format!("reply {i} {long}")).unwrap();
        c.body_html = format!("<p>reply {i} {long}</p>");
        assert_eq!(store.insert(&c).await.unwrap(), Inserted::Stored);
        first_page.push(c.id.clone());
    }
    let page = store.approved_page(&post, Some(1)).await.unwrap();
    assert_eq!(page.pages, 2);
    assert_eq!(page_ids(&page), first_page);
    assert!(page.comments.iter().all(|c| c.body.as_str().len() > 9_000));
    let newest = store.approved_page(&post, None).await.unwrap();
    assert_eq!(page_ids(&newest), [roots[50].id.clone()]);
}
