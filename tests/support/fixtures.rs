//! Real API Gateway (HTTP API v2, REST v1) and S3 event JSON from `tests/fixtures/`,
//! adjusted per test and parsed the way the Lambda runtime parses them.

use serde_json::{json, Value};
use std::path::PathBuf;

pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

pub fn load(name: &str) -> Value {
    let text =
        std::fs::read_to_string(path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// An HTTP API (payload v2) request for `method path` with extra headers.
pub fn http_api(method: &str, raw_path: &str, headers: &[(&str, &str)]) -> lambda_http::Request {
    let mut event = load("apigw-v2-http-api-get.json");
    let (path, query) = raw_path.split_once('?').unwrap_or((raw_path, ""));
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!(query);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event["routeKey"] = json!("$default");
    event["requestContext"]["routeKey"] = json!("$default");
    event["pathParameters"] = json!({});
    for (name, value) in headers {
        event["headers"][name.to_ascii_lowercase()] = json!(value);
    }
    parse(&event)
}

/// A REST API (payload v1) request on stage `prod`.
pub fn rest_api(method: &str, path: &str, headers: &[(&str, &str)]) -> lambda_http::Request {
    let mut event = load("apigw-v1-rest-get.json");
    event["path"] = json!(path);
    event["httpMethod"] = json!(method);
    event["requestContext"]["httpMethod"] = json!(method);
    event["requestContext"]["path"] = json!(format!("/prod{path}"));
    for (name, value) in headers {
        event["headers"][*name] = json!(value);
        event["multiValueHeaders"][*name] = json!([value]);
    }
    parse(&event)
}

fn parse(event: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&event.to_string())
        .expect("fixture parses as an API Gateway event")
}

/// An S3 notification from a fixture with its records' keys replaced.
pub fn s3_event(name: &str, keys: &[&str]) -> Value {
    let mut event = load(name);
    let template = event["Records"][0].clone();
    event["Records"] = keys
        .iter()
        .map(|key| {
            let mut record = template.clone();
            record["s3"]["object"]["key"] = json!(key);
            record
        })
        .collect();
    event
}

/// The body as a browser reads it: decoded from its `Content-Encoding` (br, gzip).
pub fn body_text(response: &lambda_http::Response<lambda_http::Body>) -> String {
    let bytes = match response.body() {
        lambda_http::Body::Text(t) => return t.clone(),
        lambda_http::Body::Binary(b) => b.as_slice(),
        _ => return String::new(),
    };
    let mut decoded = Vec::new();
    match header(response, "content-encoding") {
        Some("br") => {
            std::io::Read::read_to_end(&mut brotli::Decompressor::new(bytes, 4096), &mut decoded)
                .expect("a valid br body");
        }
        Some("gzip") => {
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut decoded)
                .expect("a valid gzip body");
        }
        _ => decoded = bytes.to_vec(),
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

pub fn header<'a>(
    response: &'a lambda_http::Response<lambda_http::Body>,
    name: &str,
) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// An HTTP API (payload v2) request with a body, as API Gateway delivers a POST.
pub fn http_api_with_body(
    method: &str,
    raw_path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> lambda_http::Request {
    http_api_from("198.51.100.23", method, raw_path, headers, body)
}

/// Like `http_api_with_body`, from the client address `source_ip` (API Gateway's
/// request context, the only address the handlers trust).
pub fn http_api_from(
    source_ip: &str,
    method: &str,
    raw_path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> lambda_http::Request {
    let mut event = load("apigw-v2-http-api-get.json");
    let (path, query) = raw_path.split_once('?').unwrap_or((raw_path, ""));
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!(query);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["http"]["sourceIp"] = json!(source_ip);
    event["routeKey"] = json!(format!("{method} {path}"));
    event["requestContext"]["routeKey"] = json!(format!("{method} {path}"));
    event["pathParameters"] = json!({});
    event["headers"]["content-length"] = json!(body.len().to_string());
    for (name, value) in headers {
        event["headers"][name.to_ascii_lowercase()] = json!(value);
    }
    event["body"] = json!(body);
    event["isBase64Encoded"] = json!(false);
    parse(&event)
}

/// A DynamoDB stream batch from a fixture with every record moved to the post `slug`.
pub fn dynamodb_stream(name: &str, slug: &str) -> Value {
    let mut event = load(name);
    for record in event["Records"].as_array_mut().expect("Records") {
        let change = &mut record["dynamodb"];
        let pk = json!({ "S": format!("POST#{slug}") });
        change["Keys"]["pk"] = pk.clone();
        for image in ["NewImage", "OldImage"] {
            if change.get(image).is_some() {
                change[image]["pk"] = pk.clone();
                change[image]["post"] = json!({ "S": slug });
            }
        }
    }
    event
}
