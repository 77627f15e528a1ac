#!/usr/bin/env python3
"""Adds authentication to the OpenAPI document: the security schemes, the public operations, and the 401/403/429
answers of the protected ones. Idempotent: `python3 scripts/openapi_security.py` rewrites openapi.json in place;
scripts/openapi.py applies it too."""
import json
import os
import sys

PUBLIC = {"/health", "/ready", "/docs", "/openapi.json", "/metrics",
          "/api/auth/login", "/api/auth/refresh", "/api/auth/logout"}
WRITES = {("/api/ticks", "post"), ("/api/bars/{symbol}", "post"), ("/api/assets", "post"),
          ("/api/assets/{symbol}", "put"), ("/api/assets/{symbol}", "delete"),
          ("/api/assets/{symbol}/providers", "put")}
ADMIN_PREFIXES = ("/api/admin",)
ADMIN = {("/api/providers/{name}/usage", "get")}


def problem(desc):
    return {"description": desc, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def secure(doc):
    doc.setdefault("components", {})["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                       "description": "An access token from POST /api/auth/login (15 minutes; renew with /api/auth/refresh)"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                   "description": "An API key (`fhk_...`): a service key from `financehub apikey create`, or a personal key from POST /api/auth/keys"},
    }
    doc["security"] = [{"bearerAuth": []}, {"apiKey": []}]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict) or method not in ("get", "head", "post", "put", "delete", "patch", "options"):
                continue
            if path in PUBLIC:
                op["security"] = []
                continue
            if path.startswith("/ws"):
                continue
            responses = op.setdefault("responses", {})
            responses.setdefault("401", problem("No valid access token or API key (WWW-Authenticate: Bearer)"))
            responses.setdefault("429", problem("Over the tier's requests per minute (Retry-After)"))
            if (path, method) in WRITES:
                responses.setdefault("403", problem("Needs the admin role or a service API key"))
            if path.startswith(ADMIN_PREFIXES) or (path, method) in ADMIN:
                responses.setdefault("403", problem("Needs the admin role"))
    return doc


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(__file__), "..", "Sources", "FinanceServer", "Resources", "openapi.json")
    doc = secure(json.load(open(out)))
    with open(out, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(out, file=sys.stderr)
