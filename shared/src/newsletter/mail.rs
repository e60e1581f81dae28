//! The newsletter mail: HTML and plain text from the post, one-click unsubscribe
//! (RFC 8058) with the recipient's own signed link.

use super::planner::{read_post, read_settings};
use super::ports::Batch;
use crate::domain::{Post, Secret, SiteSettings, Slug, SubscriberEmail};
use crate::ports::{ContentStore, Mail, StoreError};
use crate::render::markdown::render_markdown;
use crate::subscribe::{SubscribeOptions, UNSUBSCRIBE_PURPOSE};
use askama::Template;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "newsletter.html")]
struct HtmlMail<'a> {
    t: &'a crate::i18n::Messages,
    language: &'a str,
    site_title: &'a str,
    title: &'a str,
    summary: &'a str,
    post_url: &'a str,
    base_url: &'a str,
    image: Option<(String, &'a str)>,
    article: Option<&'a str>,
    address: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "newsletter.txt")]
struct TextMail<'a> {
    t: &'a crate::i18n::Messages,
    site_title: &'a str,
    title: &'a str,
    summary: &'a str,
    post_url: &'a str,
    base_url: &'a str,
    article_text: Option<&'a str>,
    address: &'a str,
    unsubscribe_url: &'a str,
}

/// What every recipient's mail of one post shares: rendered once per batch.
pub struct PostMail {
    site: SiteSettings,
    post: Post,
    post_url: String,
    article_html: Option<String>,
}

impl PostMail {
    /// `base_url` overrides the settings' (the deployed or local address).
    pub fn new(mut site: SiteSettings, post: Post, base_url: Option<&str>) -> PostMail {
        if let Some(base) = base_url {
            site.base_url = base.trim_end_matches('/').to_owned();
        }
        let post_url = site.url(&crate::site::routes::post_path(&post.slug));
        let article_html = site
            .newsletter
            .full_article
            .then(|| absolute_links(&render_markdown(&post.body_markdown).html, &site.base_url));
        PostMail {
            site,
            post,
            post_url,
            article_html,
        }
    }

    pub fn unsubscribe_url(
        &self,
        secret: &Secret,
        to: &SubscriberEmail,
        now: OffsetDateTime,
    ) -> String {
        unsubscribe_url(&self.site, secret, to, now)
    }

    /// The mail to one subscriber.
    pub fn to(&self, secret: &Secret, to: &SubscriberEmail, now: OffsetDateTime) -> Mail {
        let unsubscribe_url = self.unsubscribe_url(secret, to, now);
        let front = &self.post.front;
        let address = self.site.address_line();
        let image = front.image.as_ref().map(|i| {
            let src = if i.src.starts_with('/') {
                self.site.url(&i.src)
            } else {
                i.src.clone()
            };
            (src, i.alt.as_str())
        });
        let html = HtmlMail {
            t: self.site.messages(),
            language: &self.site.language,
            site_title: &self.site.title,
            title: &front.title,
            summary: &front.summary,
            post_url: &self.post_url,
            base_url: &self.site.base_url,
            image,
            article: self.article_html.as_deref(),
            address: &address,
            unsubscribe_url: &unsubscribe_url,
        }
        .render()
        .expect("the newsletter template renders");
        let text = TextMail {
            t: self.site.messages(),
            site_title: &self.site.title,
            title: &front.title,
            summary: &front.summary,
            post_url: &self.post_url,
            base_url: &self.site.base_url,
            article_text: self
                .article_html
                .is_some()
                .then_some(self.post.body_markdown.trim()),
            address: &address,
            unsubscribe_url: &unsubscribe_url,
        }
        .render()
        .expect("the newsletter template renders");
        one_click_mail(to, front.title.clone(), text, html, &unsubscribe_url)
    }
}

/// A mail with both parts and the RFC 8058 one-click unsubscribe headers.
fn one_click_mail(
    to: &SubscriberEmail,
    subject: String,
    text: String,
    html: String,
    unsubscribe_url: &str,
) -> Mail {
    Mail {
        to: to.as_str().to_owned(),
        subject,
        text: text.replace("\r\n", "\n").replace('\n', "\r\n"),
        html: Some(html),
        headers: vec![
            ("List-Unsubscribe".into(), format!("<{unsubscribe_url}>")),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
    }
}

/// The recipient's own signed one-click unsubscribe link.
fn unsubscribe_url(
    site: &SiteSettings,
    secret: &Secret,
    to: &SubscriberEmail,
    now: OffsetDateTime,
) -> String {
    let valid_for = SubscribeOptions::default().unsubscribe_valid_for;
    let token = secret.sign(UNSUBSCRIBE_PURPOSE, to.key(), now + valid_for);
    site.url(&format!("/unsubscribe?token={token}"))
}

/// One post in a digest.
pub struct DigestEntry {
    pub title: String,
    pub summary: String,
    pub url: String,
    pub image: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "newsletter_digest.html")]
struct DigestHtml<'a> {
    t: &'a crate::i18n::Messages,
    language: &'a str,
    site_title: &'a str,
    subject: &'a str,
    posts: &'a [DigestEntry],
    base_url: &'a str,
    address: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "newsletter_digest.txt")]
struct DigestText<'a> {
    t: &'a crate::i18n::Messages,
    site_title: &'a str,
    subject: &'a str,
    posts: &'a [DigestEntry],
    base_url: &'a str,
    address: &'a str,
    unsubscribe_url: &'a str,
}

/// The weekly digest: every post of the period, newest first, each with its summary,
/// lead image and link.
pub struct DigestMail {
    site: SiteSettings,
    subject: String,
    posts: Vec<DigestEntry>,
}

impl DigestMail {
    pub fn new(mut site: SiteSettings, posts: &[Post], base_url: Option<&str>) -> DigestMail {
        if let Some(base) = base_url {
            site.base_url = base.trim_end_matches('/').to_owned();
        }
        let entries = posts
            .iter()
            .map(|post| DigestEntry {
                title: post.front.title.clone(),
                summary: post.front.summary.clone(),
                url: site.url(&crate::site::routes::post_path(&post.slug)),
                image: post.front.image.as_ref().map(|i| {
                    let src = if i.src.starts_with('/') {
                        site.url(&i.src)
                    } else {
                        i.src.clone()
                    };
                    (src, i.alt.clone())
                }),
            })
            .collect();
        let subject = match posts {
            [one] => format!("{}: {}", site.title, one.front.title),
            _ => site.messages().digest_subject(posts.len(), &site.title),
        };
        DigestMail {
            site,
            subject,
            posts: entries,
        }
    }

    pub fn to(&self, secret: &Secret, to: &SubscriberEmail, now: OffsetDateTime) -> Mail {
        let unsubscribe_url = unsubscribe_url(&self.site, secret, to, now);
        let address = self.site.address_line();
        let html = DigestHtml {
            t: self.site.messages(),
            language: &self.site.language,
            site_title: &self.site.title,
            subject: &self.subject,
            posts: &self.posts,
            base_url: &self.site.base_url,
            address: &address,
            unsubscribe_url: &unsubscribe_url,
        }
        .render()
        .expect("the digest template renders");
        let text = DigestText {
            t: self.site.messages(),
            site_title: &self.site.title,
            subject: &self.subject,
            posts: &self.posts,
            base_url: &self.site.base_url,
            address: &address,
            unsubscribe_url: &unsubscribe_url,
        }
        .render()
        .expect("the digest template renders");
        one_click_mail(to, self.subject.clone(), text, html, &unsubscribe_url)
    }
}

/// What a batch mails: one post, or a digest of several.
pub enum NewsletterMail {
    Post(Box<PostMail>),
    Digest(Box<DigestMail>),
}

impl NewsletterMail {
    /// The mail of `batch`, rendered once for its recipients; `None` when nothing in it
    /// is published any more (unpublished or deleted since planning: nobody gets it).
    pub async fn for_batch(
        content: &dyn ContentStore,
        batch: &Batch,
        base_url: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Option<NewsletterMail>, StoreError> {
        let settings = read_settings(content).await?;
        if batch.posts.is_empty() {
            let slug =
                Slug::parse(&batch.slug).map_err(|_| StoreError::new("bad slug in a batch"))?;
            let post = read_post(content, &slug)
                .await?
                .filter(|p| p.is_published(now));
            return Ok(post.map(|post| {
                NewsletterMail::Post(Box::new(PostMail::new(settings, post, base_url)))
            }));
        }
        let mut posts = Vec::new();
        for slug in &batch.posts {
            let Ok(slug) = Slug::parse(slug) else {
                continue;
            };
            if let Some(post) = read_post(content, &slug).await? {
                if post.is_published(now) {
                    posts.push(post);
                }
            }
        }
        Ok((!posts.is_empty())
            .then(|| NewsletterMail::Digest(Box::new(DigestMail::new(settings, &posts, base_url)))))
    }

    pub fn to(&self, secret: &Secret, to: &SubscriberEmail, now: OffsetDateTime) -> Mail {
        match self {
            NewsletterMail::Post(mail) => mail.to(secret, to, now),
            NewsletterMail::Digest(mail) => mail.to(secret, to, now),
        }
    }
}

/// Site-relative `href` and `src` made absolute: a mail has no page to be relative to.
/// Protocol-relative (`//host`) and absolute links are left alone.
pub fn absolute_links(html: &str, base_url: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("=\"/") {
        let (head, tail) = rest.split_at(i + 2);
        out.push_str(head);
        let attribute = head.ends_with("href=\"") || head.ends_with("src=\"");
        if attribute && !tail.starts_with("//") {
            out.push_str(base_url);
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spanish_site() -> SiteSettings {
        let toml = include_str!("../../../infra/sample-content/site.toml");
        let line = toml.lines().find(|l| l.starts_with("language = ")).unwrap();
        SiteSettings::parse(&toml.replacen(line, "language = \"es\"", 1)).unwrap()
    }

    fn sample_post(slug: &str, source: &str) -> Post {
        Post::parse(Slug::parse(slug).unwrap(), source).unwrap()
    }

    /// The newsletter and the digest speak the site's language around the owner's text.
    #[test]
    fn the_mails_speak_the_sites_language() {
        let knots = sample_post(
            "what-are-muscle-knots",
            include_str!("../../../infra/sample-content/posts/what-are-muscle-knots.md"),
        );
        let sleep = sample_post(
            "acupuncture-for-better-sleep",
            include_str!("../../../infra/sample-content/posts/acupuncture-for-better-sleep.md"),
        );
        let secret = Secret::new(b"newsletter-language-test-secret-0123456789".to_vec()).unwrap();
        let to = SubscriberEmail::parse("ana@example.com").unwrap();
        let now = time::macros::datetime!(2026-12-02 09:00 UTC);
        let mail = PostMail::new(spanish_site(), knots.clone(), None).to(&secret, &to, now);
        let html = mail.html.unwrap();
        assert!(html.contains("<html lang=\"es\">"), "{html}");
        assert!(html.contains("Leer en el sitio"), "{html}");
        assert!(
            html.contains("Recibe este correo porque se suscribió"),
            "{html}"
        );
        assert!(html.contains(">Darse de baja</a> con un clic."), "{html}");
        assert!(mail.text.contains("\r\nDarse de baja: "), "{}", mail.text);
        assert!(!mail.text.contains("Unsubscribe"), "{}", mail.text);
        let digest = DigestMail::new(spanish_site(), &[knots, sleep], None).to(&secret, &to, now);
        assert_eq!(
            digest.subject,
            "Cindy Albon Acupuncture: 2 artículos nuevos"
        );
        assert!(
            digest.text.contains("\r\nDarse de baja: "),
            "{}",
            digest.text
        );
        assert!(digest.html.unwrap().contains("Leer en el sitio &rarr;"));
    }

    #[test]
    fn site_links_become_absolute_and_others_stay() {
        let html = r#"<a href="/posts/a">a</a><img src="/media/x.svg"><a href="//cdn.example/x">c</a><a href="https://other.example/">o</a>"#;
        assert_eq!(
            absolute_links(html, "https://clinic.example"),
            r#"<a href="https://clinic.example/posts/a">a</a><img src="https://clinic.example/media/x.svg"><a href="//cdn.example/x">c</a><a href="https://other.example/">o</a>"#
        );
    }
}
