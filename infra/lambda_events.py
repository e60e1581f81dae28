#!/usr/bin/env python3
"""One realistic Lambda event per case, built from the test fixtures, and what each
function must answer: the cases infra/deploy-check.sh runs (coldstart --check), and with
--bench DIR one event per function (the first case of each) for infra/coldstart.sh.

    python3 infra/lambda_events.py tests/fixtures > cases.json
    python3 infra/lambda_events.py tests/fixtures --bench DIR   # DIR/<function>.json

`{{run}}` in an event is replaced by the run's number, so every run is a new visitor
(address, email) and the form functions take their full write path.
"""
import base64, copy, json, pathlib, sys

fixtures = pathlib.Path(sys.argv[1])
def load(name):
    return json.loads((fixtures / name).read_text())
v2 = load("apigw-v2-http-api-get.json")
def http(method, path, route, body=None, ctype=None, b64=False, ip="198.51.100.{{run}}"):
    e = copy.deepcopy(v2)
    path, _, query = path.partition("?")
    e["rawPath"], e["rawQueryString"] = path, query
    e["routeKey"] = e["requestContext"]["routeKey"] = f"{method} {route}"
    e["requestContext"]["http"].update(method=method, path=path, sourceIp=ip)
    e["headers"]["x-forwarded-for"] = ip
    # Plain bodies, so markers can be read (compression has its own tests).
    e["headers"].pop("accept-encoding", None)
    e["pathParameters"] = {"slug": path.split("/")[2]} if "{slug}" in route else {}
    if body is not None:
        e["body"] = base64.b64encode(body.encode()).decode() if b64 else body
        e["isBase64Encoded"] = b64
        e["headers"]["content-type"] = ctype
        e["headers"]["content-length"] = str(len(body))
    return e
article = "/posts/what-are-muscle-knots"
form = "application/x-www-form-urlencoded"
cases = [
    # The feeds function first: the site then serves the feed it wrote.
    dict(name="feeds: S3 posts/ event", function="feeds", event=load("s3-object-created.json"),
         marker="feed.xml", log="feeds regenerated"),
    dict(name="feeds: DynamoDB stream batch", function="feeds",
         event=load("dynamodb-stream-modify-approved.json"), marker='"batchItemFailures":[]',
         log="comment feeds regenerated"),
    dict(name="feeds: hourly schedule", function="feeds", event=load("eventbridge-scheduled.json"),
         marker='"written"', log="feeds regenerated"),
    # An upload to media/: the images function writes three JPEG widths and the index.
    dict(name="images: S3 media/ upload", function="images",
         event=load("s3-media-created.json"), marker="Made(3)", log="media change"),
    dict(name="site: article", function="site", event=http("GET", article, "/posts/{slug}"),
         status=200, marker="What Are Muscle Knots and Why Do You Have Them?"),
    dict(name="site: article revalidated", function="site",
         event=http("GET", article, "/posts/{slug}"), status=304, marker="etag",
         if_none_match_from="site: article"),
    dict(name="site: home", function="site", event=http("GET", "/", "/"), status=200,
         marker=article),
    dict(name="site: posts feed", function="site", event=http("GET", "/feed.xml", "/feed.xml"),
         status=200, marker="<rss"),
    dict(name="site: unknown page", function="site", event=http("GET", "/nowhere", "$default"),
         status=404, marker="<!DOCTYPE html>"),
    dict(name="subscribe: base64 form POST", function="subscribe",
         event=http("POST", "/subscribe", "/subscribe",
                    "email=ann{{run}}%40example.com&source=%2Fposts%2Fwhat-are-muscle-knots&website=",
                    form, b64=True), status=303, marker="/subscribe/thanks"),
    dict(name="subscribe: JSON signup", function="subscribe",
         event=http("POST", "/subscribe", "/subscribe", '{"email":"bob{{run}}@example.com","source":"/"}',
                    "application/json"), status=202, marker='"accepted"'),
    dict(name="comment: base64 form POST", function="comment",
         event=http("POST", article + "/comments", "/posts/{slug}/comments",
                    "name=Ann&email=ann{{run}}%40example.com&website=&body=Thank+you+({{run}})%21&parent=",
                    form, b64=True), status=303, marker="moderation=held"),
    dict(name="newsletter: SQS batch", function="newsletter",
         event={"Records": [{"messageId": "6f1c6c0e-0f0d-4e39-9a0e-deploycheck01",
                             "receiptHandle": "AQEB", "eventSource": "aws:sqs",
                             "awsRegion": "us-east-1",
                             "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:NewsletterQueue",
                             "attributes": {"ApproximateReceiveCount": "1"},
                             "messageAttributes": {}, "md5OfBody": "",
                             "body": json.dumps({"slug": "what-are-muscle-knots",
                                                 "recipients": ["reader@example.com"]})}]},
         marker='"batchItemFailures":[]', log="sent: 1"),
    dict(name="newsletter: SES bounce via SNS", function="newsletter",
         event=load("ses-bounce-permanent.json"), marker='"bounced":1'),
]
for c in cases:
    c.setdefault("status", None)
if len(sys.argv) > 3 and sys.argv[2] == "--bench":
    out = pathlib.Path(sys.argv[3])
    # The benchmark's event per function: the article for the site, a form POST for the
    # form functions, a posts/ upload for the feeds, a batch for the newsletter, a media/
    # upload for the images function.
    bench = {"site": "site: article", "subscribe": "subscribe: base64 form POST",
             "comment": "comment: base64 form POST", "feeds": "feeds: S3 posts/ event",
             "newsletter": "newsletter: SQS batch", "images": "images: S3 media/ upload"}
    for function, name in bench.items():
        case = next(c for c in cases if c["name"] == name)
        (out / f"{function}.json").write_text(json.dumps(case["event"]))
else:
    json.dump(cases, sys.stdout)
