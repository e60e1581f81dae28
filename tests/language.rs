//! The site in Spanish, one setting away: with `language = "es"` in site.toml, the pages,
//! the 404 page, the comment form's errors and the subscribe confirmation mail speak
//! Spanish (through API Gateway events, on the sample site's embedded adapters).

use lambdapress::http::HttpFunction;
use lambdapress::subscribe::{site_chrome, Subscribe, SubscribeOptions};
use lambdapress_tests::comments::{CommentSite, ARTICLE, VISITOR_IP};
use lambdapress_tests::fixtures::{body_text, http_api, http_api_with_body};
use lambdapress_tests::mail::RecordingMailer;
use lambdapress_tests::sample::EmbeddedSite;
use lambdapress_tests::subscribers_contract::test_secret;
use std::path::Path;
use std::sync::Arc;

/// The sample's one language line, switched to `language`.
fn speak(content: &Path, language: &str) {
    let path = content.join("site.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("language = "))
        .expect("the sample writes its language out")
        .to_owned();
    let switched = text.replacen(&line, &format!("language = \"{language}\""), 1);
    assert_ne!(switched, text);
    std::fs::write(path, switched).unwrap();
}

async fn spanish_site() -> EmbeddedSite {
    let site = EmbeddedSite::start().await;
    speak(&site.dir.0.join("content"), "es");
    site
}

async fn get(site: &EmbeddedSite, path: &str) -> (u16, String) {
    let response = site.site.handle(&http_api("GET", path, &[])).await;
    (response.status().as_u16(), body_text(&response))
}

#[tokio::test]
async fn the_spanish_article_matches_its_snapshot() {
    let site = spanish_site().await;
    let (status, html) = get(&site, ARTICLE).await;
    assert_eq!(status, 200);
    insta::assert_snapshot!("sample_article_page_es", html);
}

#[tokio::test]
async fn the_spanish_contact_page_matches_its_snapshot() {
    let site = spanish_site().await;
    let (status, html) = get(&site, "/contact").await;
    assert_eq!(status, 200);
    insta::assert_snapshot!("sample_contact_page_es", html);
}

#[tokio::test]
async fn one_setting_switches_the_pages_and_their_dates() {
    let site = EmbeddedSite::start().await;
    let (_, english) = get(&site, ARTICLE).await;
    assert!(english.contains(r#"<html lang="en-US">"#));
    assert!(english.contains("Like what you read? Subscribe below!"));
    assert!(english.contains(">March 12, 2024</time>"), "{english}");
    speak(&site.dir.0.join("content"), "es");
    let (_, spanish) = get(&site, ARTICLE).await;
    assert!(spanish.contains(r#"<html lang="es">"#));
    assert!(spanish.contains("¿Le ha gustado? ¡Suscríbase aquí abajo!"));
    assert!(spanish.contains("Deje un comentario"));
    // The visible date is Spanish; the machine-readable one is unchanged.
    assert!(
        spanish.contains(r#"<time datetime="2024-03-12T09:00:00Z">12 de marzo de 2024</time>"#),
        "{spanish}"
    );
    for english_only in [
        "Subscribe below",
        "Leave a comment",
        "Skip to content",
        "Posts RSS",
    ] {
        assert!(
            !spanish.contains(english_only),
            "{english_only} left in Spanish"
        );
    }
    let (status, month) = get(&site, "/archive/2024/03").await;
    assert_eq!(status, 200);
    assert!(
        month.contains("<h1 class=\"list-heading\">Artículos de marzo de 2024</h1>"),
        "{month}"
    );
    assert!(month.contains(">12 de marzo de 2024</time>"), "{month}");
    let (_, archive) = get(&site, "/archive").await;
    assert!(archive.contains("<h1 class=\"list-heading\">Archivo</h1>"));
    let (_, tags) = get(&site, "/tags").await;
    assert!(
        tags.contains("<title>Temas – Cindy Albon Acupuncture</title>"),
        "{tags}"
    );
    assert!(tags.contains("Todos los artículos por mes"));
    let (_, search) = get(&site, "/search?q=sue%C3%B1o").await;
    assert!(search.contains("<title>Búsqueda: sueño – Cindy Albon Acupuncture</title>"));
    assert!(
        search.contains("La búsqueda aún no está disponible."),
        "{search}"
    );
    let (status, refused) = get(&site, "/search?q=a&page=0").await;
    assert_eq!(status, 400);
    assert!(
        refused.contains("El número de página debe ser un número entero"),
        "{refused}"
    );
}

#[tokio::test]
async fn the_spanish_404_page_is_spanish_and_themed() {
    let site = spanish_site().await;
    let (status, html) = get(&site, "/posts/no-such-post").await;
    assert_eq!(status, 404);
    assert!(html.contains(r#"<html lang="es">"#), "{html}");
    assert!(html.contains("<h1>Página no encontrada</h1>"), "{html}");
    assert!(html.contains("Ir a la página de inicio"));
    assert!(!html.contains("Page not found"));
    // The chrome's head: the built-in, the `[theme]` and the feed links.
    assert!(html.contains(r#"href="/theme/site.css?v="#), "{html}");
    assert!(html.contains("RSS de artículos"));
}

#[tokio::test]
async fn an_unknown_language_is_refused_with_a_clear_error() {
    let site = EmbeddedSite::start().await;
    speak(&site.dir.0.join("content"), "fr");
    let (status, _) = get(&site, ARTICLE).await;
    assert_eq!(status, 503);
    let text = std::fs::read_to_string(site.dir.0.join("content/site.toml")).unwrap();
    let e = lambdapress::domain::SiteSettings::parse(&text).unwrap_err();
    assert!(e.to_string().contains("language `fr`"), "{e}");
}

#[tokio::test]
async fn the_comment_forms_errors_are_spanish() {
    let site = CommentSite::start("").await;
    speak(&site.embedded.dir.0.join("content"), "es");
    let path = format!("{ARTICLE}/comments");
    let response = site
        .post_form(
            &path,
            &[("name", ""), ("email", "no-at-sign"), ("body", "")],
            VISITOR_IP,
        )
        .await;
    assert_eq!(response.status(), 400);
    let html = body_text(&response);
    assert!(html.contains("Escriba su nombre."), "{html}");
    assert!(
        html.contains("Escriba una dirección de correo como nombre@ejemplo.com."),
        "{html}"
    );
    assert!(html.contains("Escriba un comentario."), "{html}");
    assert!(!html.contains("Please enter"), "{html}");
    // Scripts get the same sentences in JSON.
    let response = site
        .post_json(
            &path,
            &serde_json::json!({"name": "Ana", "email": "ana@example.com", "body": ""}),
            VISITOR_IP,
        )
        .await;
    assert_eq!(response.status(), 400);
    let answer: serde_json::Value = serde_json::from_str(&body_text(&response)).unwrap();
    assert_eq!(answer["fields"]["body"], "Escriba un comentario.");
    assert_eq!(answer["error"], "Revise su comentario");
    // A comment held for moderation: the owner is told in the site's language too.
    let response = site
        .post_form(
            &path,
            &[
                ("name", "Ana"),
                ("email", "ana@example.com"),
                ("body", "¡Muy útil!"),
            ],
            VISITOR_IP,
        )
        .await;
    assert_eq!(response.status(), 303);
    let mail = site.mails().pop().expect("the owner is mailed");
    assert!(
        mail.subject.starts_with("Pendiente de moderar: «"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Aprobarlo: "), "{}", mail.text);
    let back = site.page(&format!("{ARTICLE}?moderation=held")).await;
    assert!(back.contains("¡Gracias! Su comentario está pendiente de moderación."));
}

#[tokio::test]
async fn the_subscribe_confirmation_mail_and_pages_are_spanish() {
    let sample = spanish_site().await;
    let chrome = site_chrome(sample.content.as_ref(), Some("https://clinic.example")).await;
    assert!(chrome.is_some(), "the sample's settings load");
    let store = Arc::new(lambdapress::adapters::SqliteSubscribers::in_memory().unwrap());
    let mailer = Arc::new(RecordingMailer::default());
    let subscribe = Subscribe::new(
        store.clone(),
        store,
        mailer.clone(),
        test_secret(),
        SubscribeOptions {
            base_url: Some("https://clinic.example".into()),
            chrome,
            ..SubscribeOptions::default()
        },
    );
    let form = ("content-type", "application/x-www-form-urlencoded");
    let response = subscribe
        .handle(&http_api_with_body(
            "POST",
            "/subscribe",
            &[form],
            "email=ana%40example.com&source=%2F",
        ))
        .await;
    assert_eq!(response.status(), 303);
    let mail = mailer.last();
    assert_eq!(
        mail.subject,
        "Confirme su suscripción a Cindy Albon Acupuncture"
    );
    assert!(mail.text.starts_with("Hola:"), "{}", mail.text);
    assert!(
        mail.text.contains("pulse el botón Confirmar"),
        "{}",
        mail.text
    );
    assert!(mail
        .text
        .contains("Darse de baja: https://clinic.example/unsubscribe?token="));
    // The page it redirects to, and a refused address beside its field.
    let thanks = body_text(
        &subscribe
            .handle(&http_api("GET", "/subscribe/thanks", &[]))
            .await,
    );
    assert!(thanks.contains(r#"<html lang="es">"#));
    assert!(thanks.contains("Casi listo: revise su bandeja de entrada"));
    assert!(thanks.contains(r#"href="/theme/site.css?v="#), "{thanks}");
    let refused = subscribe
        .handle(&http_api_with_body(
            "POST",
            "/subscribe",
            &[form],
            "email=ana.example.com&source=%2F",
        ))
        .await;
    assert_eq!(refused.status(), 400);
    let html = body_text(&refused);
    assert!(html.contains("necesita una @"), "{html}");
    assert!(html.contains("Revise su dirección de correo"));
}
