#!/usr/bin/env python3
"""Checks template.yaml against facts cfn-lint cannot know: every managed CloudFront
policy ID it names is one AWS documents, no origin request forwards Host, the
signing secret is retained and never resolved into an environment, and every function
has its own log group with a retention and an error alarm, and every dead-letter queue
a depth alarm.

    python3 infra/check_template.py [template.yaml]   # exit 1 with a reason per problem
"""
import sys

from cfnlint.decode import cfn_yaml

# The managed policies' IDs as the CloudFront Developer Guide lists them
# ("Use managed cache policies", "Use managed origin request policies",
# "Use managed response headers policies"). Only IDs read there are listed (a
# missing one fails safe: add it from the page when the template needs it).
DOCUMENTED = {
    "CachePolicyId": {
        "2e54312d-136d-493c-8eb9-b001f22f67d2": "Amplify",
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": "CachingDisabled",
    },
    "OriginRequestPolicyId": {
        "216adef6-5c7f-47e4-b989-5492eafa07d3": "AllViewer",
        "33f36d7e-f396-46d9-90e0-52428a34d9dc": "AllViewerAndCloudFrontHeaders-2022-06",
    },
    # None used; an ID goes here only once read on the guide's page.
    "ResponseHeadersPolicyId": {},
}
# Managed policies that forward or key on Host, which API Gateway answers with 403.
FORWARDS_HOST = {
    "2e54312d-136d-493c-8eb9-b001f22f67d2",
    "216adef6-5c7f-47e4-b989-5492eafa07d3",
    "33f36d7e-f396-46d9-90e0-52428a34d9dc",
}


def walk(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def problems(template):
    for path, key, value in walk(template):
        if key in DOCUMENTED and isinstance(value, str):
            if value not in DOCUMENTED[key]:
                yield f"{path}/{key}: {value} is not among the managed policy IDs read from the CloudFront guide (DOCUMENTED above)"
            elif value in FORWARDS_HOST:
                yield f"{path}/{key}: {DOCUMENTED[key][value]} sends Host to the origin (API Gateway: 403)"
        if key == "HeadersConfig" and isinstance(value, dict):
            headers = [h.lower() for h in value.get("Headers", []) if isinstance(h, str)]
            if "host" in headers or value.get("HeaderBehavior") in ("allViewer", "allViewerAndWhitelistCloudFront"):
                yield f"{path}/{key}: forwards Host to the origin (API Gateway: 403)"


def secret_problems(template):
    """The signing secret: retained like the table, and never resolved into the template
    (a resolved value lands in a Lambda environment, readable with GetFunctionConfiguration);
    the functions get its ARN and read it at init."""
    site = template.get("Resources", {}).get("SiteSecret", {})
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        if site.get(policy) != "Retain":
            yield f"/Resources/SiteSecret/{policy}: must be Retain (links in inboxes are signed with it)"
    for path, key, value in walk(template):
        if isinstance(value, str) and "resolve:secretsmanager:${SiteSecret}" in value:
            yield f"{path}/{key}: resolves SiteSecret's value into the template; pass its ARN (SECRET_ARN)"


def ref_name(value):
    """The logical id a `!Ref X` or `!GetAtt X.Attr` names, else None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return att[0] if isinstance(att, list) else str(att).split(".")[0]
    return None


def observability_problems(template):
    """Every function: a log group named for it with a retention (else Lambda makes one
    that keeps logs forever) and an alarm on its Errors; every dead-letter queue (a
    redrive target or an on-failure destination): an alarm on its depth."""
    resources = template.get("Resources", {})
    functions = [n for n, r in resources.items() if r.get("Type") == "AWS::Serverless::Function"]
    if not functions:
        yield "/Resources: no AWS::Serverless::Function found"
    logs, error_alarms, depth_alarms = {}, set(), set()
    for name, r in resources.items():
        props = r.get("Properties", {}) or {}
        if r.get("Type") == "AWS::Logs::LogGroup":
            group = props.get("LogGroupName", {})
            sub = group.get("Fn::Sub") if isinstance(group, dict) else None
            if isinstance(sub, str) and sub.startswith("/aws/lambda/${") and sub.endswith("}"):
                logs[sub[len("/aws/lambda/${"):-1]] = (name, props.get("RetentionInDays"))
        if r.get("Type") == "AWS::CloudWatch::Alarm" and props.get("AlarmActions"):
            dims = {d.get("Name"): ref_name(d.get("Value")) for d in props.get("Dimensions", []) or []}
            if props.get("Namespace") == "AWS/Lambda" and props.get("MetricName") == "Errors":
                error_alarms.add(dims.get("FunctionName"))
            if props.get("Namespace") == "AWS/SQS" and props.get("MetricName") == "ApproximateNumberOfMessagesVisible":
                depth_alarms.add(dims.get("QueueName"))
    for f in functions:
        if f not in logs:
            yield f"/Resources/{f}: no AWS::Logs::LogGroup named !Sub /aws/lambda/${{{f}}} (logs would be kept forever)"
        elif logs[f][1] is None:
            yield f"/Resources/{logs[f][0]}: no RetentionInDays"
        if f not in error_alarms:
            yield f"/Resources/{f}: no AWS/Lambda Errors alarm with AlarmActions on FunctionName !Ref {f}"
    dead_letters = {}
    for path, key, value in walk(template):
        if key == "deadLetterTargetArn" or (key == "OnFailure" and isinstance(value, dict)):
            target = ref_name(value if key == "deadLetterTargetArn" else value.get("Destination"))
            if target and resources.get(target, {}).get("Type") == "AWS::SQS::Queue":
                dead_letters.setdefault(target, path)
    for queue, path in sorted(dead_letters.items()):
        if queue not in depth_alarms:
            yield f"{path}: dead-letter queue {queue} has no ApproximateNumberOfMessagesVisible alarm with AlarmActions"


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    with open(name, encoding="utf-8") as f:
        template = cfn_yaml.loads(f.read(), name)
    found = (
        list(problems(template))
        + list(secret_problems(template))
        + list(observability_problems(template))
    )
    for p in found:
        print(f"{name}{p}", file=sys.stderr)
    if not found:
        print(f"{name}: managed policy IDs documented, Host never forwarded, signing secret retained and never resolved, every function with a log group and an error alarm, every dead-letter queue with a depth alarm")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
