#!/usr/bin/env python3
"""Checks template.yaml against facts cfn-lint cannot know: every managed CloudFront
policy ID it names is one AWS documents, no origin request forwards Host, and the
signing secret is retained and never resolved into an environment.

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


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    with open(name, encoding="utf-8") as f:
        template = cfn_yaml.loads(f.read(), name)
    found = list(problems(template)) + list(secret_problems(template))
    for p in found:
        print(f"{name}{p}", file=sys.stderr)
    if not found:
        print(f"{name}: managed policy IDs documented, Host never forwarded, signing secret retained and never resolved")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
