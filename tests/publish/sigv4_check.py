#!/usr/bin/env python3
"""Re-verifies SigV4 signatures that chunkbench sent, with botocore (an independent implementation).

Input (argv[1]): JSON {"access_key", "secret_key", "session_token", "region", "requests": [
  {"method", "url", "headers": {name: value, ... as sent, including authorization},
   "body_sha256": hex of the body sent (optional)}]}
Prints one line per request, "OK ..." or "FAIL ...: reason"; exits 1 if any request fails.
"""
import json
import sys
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def parse_authorization(value):
    algo, _, rest = value.partition(" ")
    if algo != "AWS4-HMAC-SHA256":
        raise ValueError(f"algorithm {algo!r}")
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    return parts["Credential"], parts["SignedHeaders"].split(";"), parts["Signature"]


def check(doc, req):
    headers = {k.lower(): v for k, v in req["headers"].items()}
    credential, signed, signature = parse_authorization(headers["authorization"])
    amz_date = headers.get("x-amz-date", "")
    ak, day, region, service, term = credential.split("/")
    if ak != doc["access_key"]:
        return f"access key {ak!r} is not the configured one"
    if (day, region, service, term) != (amz_date[:8], doc["region"], "s3", "aws4_request"):
        return f"credential scope {credential!r} does not match date {amz_date!r} / region {doc['region']!r}"
    if signed != sorted(signed):
        return "SignedHeaders not sorted"
    for needed in ("host", "x-amz-date", "x-amz-content-sha256"):
        if needed not in signed:
            return f"{needed} is not signed"
    if doc.get("session_token"):
        if "x-amz-security-token" not in signed or headers.get("x-amz-security-token") != doc["session_token"]:
            return "session token not sent and signed"
    payload = headers.get("x-amz-content-sha256", "")
    if payload != "UNSIGNED-PAYLOAD" and "body_sha256" in req and payload != req["body_sha256"]:
        return f"x-amz-content-sha256 {payload} is not the SHA-256 of the body sent ({req['body_sha256']})"
    parts = urlsplit(req["url"])
    if quote(unquote(parts.path), safe="/~") != parts.path:
        return f"path {parts.path!r} is not in canonical URI encoding"
    params = parse_qsl(parts.query, keep_blank_values=True)
    if parts.query and "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params)) != parts.query:
        return f"query {parts.query!r} is not in canonical form"
    to_sign = {}
    for name in signed:
        if name == "host" and "host" not in headers:
            to_sign["host"] = parts.netloc
        elif name not in headers:
            return f"signed header {name} was not sent"
        else:
            to_sign[name] = headers[name]
    request = AWSRequest(method=req["method"], url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
                         headers=to_sign)
    request.params = params
    request.context["timestamp"] = amz_date
    auth = S3SigV4Auth(Credentials(doc["access_key"], doc["secret_key"], doc.get("session_token") or None),
                       "s3", doc["region"])
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != signature:
        return f"signature {signature} != botocore's {expected}; botocore's canonical request:\n{canonical}"
    return None


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    failed = 0
    for req in doc["requests"]:
        try:
            why = check(doc, req)
        except Exception as e:  # a malformed Authorization header is a failure, not a crash
            why = f"{type(e).__name__}: {e}"
        if why:
            failed += 1
            print(f"FAIL {req['method']} {req['url']}: {why}")
        else:
            print(f"OK {req['method']} {req['url']}")
    print(f"{len(doc['requests']) - failed} of {len(doc['requests'])} signatures verified by botocore")
    return 1 if failed or not doc["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
