//! The CloudFront functions on `/media/*` (template.yaml) give every file the headers the site function gives it.
//!
//! With CloudFront on, media never reaches the site function: the distribution reads the
//! bucket through origin access control, and two CloudFront Functions stand in for
//! `site::media::MediaType` (refuse active documents; set the type, the sandbox and the
//! disposition from the allow-list, whatever the object was uploaded with). This runs
//! both functions' code, cut from template.yaml, under node, and holds their answers to
//! `MediaType` for every extension either side knows. Needs `node`; under
//! `LAMBDAPRESS_REQUIRE_NODE` (CI) a missing one fails instead of skipping.

use lambdapress::http::security::SANDBOX_CSP;
use lambdapress::ports::MediaKey;
use lambdapress::site::media::MediaType;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

const TEMPLATE: &str = include_str!("../template.yaml");

/// The block literal under `FunctionCode: |` of the resource `name`, dedented.
fn function_code(name: &str) -> String {
    let start = TEMPLATE
        .find(&format!("\n  {name}:\n"))
        .unwrap_or_else(|| panic!("template.yaml has no resource {name}"));
    let rest = &TEMPLATE[start..];
    let code_at = rest
        .find("FunctionCode: |\n")
        .unwrap_or_else(|| panic!("{name} has no inline FunctionCode"));
    let mut code = String::new();
    for line in rest[code_at..].lines().skip(1) {
        if line.trim().is_empty() {
            code.push('\n');
            continue;
        }
        match line.strip_prefix("        ") {
            Some(body) => {
                code.push_str(body);
                code.push('\n');
            }
            None => break,
        }
    }
    assert!(code.contains("function handler"), "{name}: {code}");
    code
}

/// Every quoted or bare key of the JS tables: the extensions the functions know.
fn extensions_in(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines().filter(|l| !l.contains("function")) {
        for part in line.split([',', '{', '[', ' ', ':']) {
            let word = part.trim_matches(|c| c == '"' || c == ';' || c == ']' || c == '}');
            if !word.is_empty()
                && word.len() <= 5
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && !["var", "image", "audio", "video", "text"].contains(&word)
            {
                out.push(word.to_string());
            }
        }
    }
    out
}

fn node() -> Option<&'static str> {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    match (found, std::env::var_os("LAMBDAPRESS_REQUIRE_NODE")) {
        (true, _) => Some("node"),
        (false, Some(_)) => panic!("LAMBDAPRESS_REQUIRE_NODE is set but node is not installed"),
        (false, None) => {
            eprintln!("skipped: node is not installed (apt-get install nodejs)");
            None
        }
    }
}

/// Runs the viewer-request function, then (when it lets the request through) the
/// viewer-response function on an S3 answer stored as `stored_type`, for each URI.
fn edge_answers(node: &str, cases: &[(String, &str)]) -> Vec<Value> {
    let script = format!(
        "var onRequest = (function () {{\n{}\nreturn handler; }})();\n\
         var onResponse = (function () {{\n{}\nreturn handler; }})();\n\
         var cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n\
         var out = cases.map(function (c) {{\n\
           var request = {{ method: 'GET', uri: c.uri, querystring: {{}}, headers: {{}}, cookies: {{}} }};\n\
           var r = onRequest({{ version: '1.0', context: {{ eventType: 'viewer-request' }}, request: request }});\n\
           if (r.statusCode) {{ return {{ status: r.statusCode }}; }}\n\
           var response = {{ statusCode: 200, headers: {{\n\
             'content-type': {{ value: c.stored }}, 'content-disposition': {{ value: 'inline' }} }} }};\n\
           var s = onResponse({{ version: '1.0', context: {{ eventType: 'viewer-response' }},\n\
             request: r, response: response }});\n\
           var h = {{}};\n\
           for (var k in s.headers) {{ h[k] = s.headers[k].value; }}\n\
           return {{ status: s.statusCode, headers: h }};\n\
         }});\n\
         process.stdout.write(JSON.stringify(out));\n",
        function_code("CdnMediaRequest"),
        function_code("CdnMediaResponse"),
    );
    let input: Vec<Value> = cases
        .iter()
        .map(|(uri, stored)| json!({ "uri": uri, "stored": stored }))
        .collect();
    let mut child = Command::new(node)
        .arg("-e")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the functions answer JSON")
}

#[test]
fn cloudfront_media_functions_answer_as_the_site_function_does() {
    let Some(node) = node() else { return };
    let mut extensions = extensions_in(&function_code("CdnMediaRequest"));
    extensions.extend(extensions_in(&function_code("CdnMediaResponse")));
    // Some the functions do not list: they must fall to the download rule on both sides.
    extensions.extend(["zip", "docx", "heic", "md", "css", "exe"].map(String::from));
    extensions.sort();
    extensions.dedup();
    assert!(
        extensions.len() > 40,
        "the tables were not read: {extensions:?}"
    );

    let mut names: Vec<String> = Vec::new();
    for ext in &extensions {
        names.push(format!("clinic/photo.{ext}"));
        names.push(format!("Año Nuevo/Clínica {}.{}", ext, ext.to_uppercase()));
    }
    names.extend(
        [
            "README",
            "x.jpg.html",
            "consent form.pdf",
            "2024/05/niños.Svg",
            "a/b/c/d/e/f/g/h.jpg",
        ]
        .map(String::from),
    );
    // Uploaded as text/html whatever the name: the edge must not trust the stored type.
    let mut cases: Vec<(String, &str)> = names
        .iter()
        .map(|n| {
            let key = MediaKey::parse(n).unwrap_or_else(|| panic!("{n} is a media name"));
            (key.href(), "text/html")
        })
        .collect();
    // Names the site refuses, raw or hidden behind escapes; an encoded dot hides nothing.
    for uri in [
        "/media/.htaccess",
        "/media/clinic/%2Eenv",
        "/media/a/../site.toml",
        "/media/a%2Fb.jpg",
        "/media/a%5Cb.jpg",
        "/media/a%00.jpg",
        "/media/a//b.jpg",
        "/media/",
        "/media/a/b/c/d/e/f/g/h/i.jpg",
        "/media/x%2Ehtml",
        "/media/x%2ehTmL",
        "/media/%FF.jpg",
    ] {
        cases.push((uri.to_string(), "text/html"));
    }
    let long = "a".repeat(256);
    cases.push((format!("/media/{long}.jpg"), "image/jpeg"));

    let answers = edge_answers(node, &cases);
    assert_eq!(answers.len(), cases.len());
    let mut checked = 0;
    for ((uri, _), answer) in cases.iter().zip(&answers) {
        let served = MediaKey::from_url_path(uri).and_then(|key| MediaType::of(key.name()));
        match served {
            None => assert_eq!(answer["status"], 404, "{uri} is not served: {answer}"),
            Some(kind) => {
                let h = &answer["headers"];
                assert_eq!(answer["status"], 200, "{uri}: {answer}");
                assert_eq!(h["content-type"], kind.content_type(), "{uri}: {answer}");
                assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
                let sandboxed = !matches!(kind, MediaType::Raster(_));
                if sandboxed {
                    assert_eq!(h["content-security-policy"], SANDBOX_CSP, "{uri}");
                } else {
                    assert!(h.get("content-security-policy").is_none(), "{uri}: {h}");
                }
                if kind == MediaType::Download {
                    assert_eq!(h["content-disposition"], "attachment", "{uri}");
                } else {
                    assert!(h.get("content-disposition").is_none(), "{uri}: {h}");
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, cases.len());
    // The cases reach every outcome, so none of the branches above is dead.
    let statuses: Vec<i64> = answers
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    for status in [200, 404] {
        assert!(statuses.contains(&status), "no {status} among {statuses:?}");
    }
}

#[test]
fn media_behaviour_reads_the_bucket_through_origin_access_control() {
    // The /media/* behaviour targets the bucket origin, before every other behaviour,
    // with both functions; the bucket policy lets only this distribution read media/*.
    let behaviours = TEMPLATE
        .split("CacheBehaviors:\n")
        .nth(1)
        .expect("the distribution has cache behaviours");
    let first = behaviours
        .split("\n          - PathPattern:")
        .nth(1)
        .expect("at least one behaviour");
    assert!(first.starts_with(" /media/*\n"), "{first}");
    assert!(first.contains("TargetOriginId: media"), "{first}");
    assert!(first.contains("CdnMediaRequest.FunctionMetadata.FunctionARN"));
    assert!(first.contains("CdnMediaResponse.FunctionMetadata.FunctionARN"));
    assert!(first.contains("AllowedMethods: [GET, HEAD]"), "{first}");
    assert!(TEMPLATE.contains("OriginAccessControlId: !GetAtt MediaOriginAccess.Id"));
    let policy = TEMPLATE
        .split("  ContentBucketPolicy:\n")
        .nth(1)
        .expect("a bucket policy");
    let policy = &policy[..policy.find("\n\n").unwrap_or(policy.len())];
    assert!(
        policy.contains("Service: cloudfront.amazonaws.com"),
        "{policy}"
    );
    assert!(policy.contains("/media/*"), "{policy}");
    assert!(policy.contains("distribution/${Cdn}"), "{policy}");
}
