#!/usr/bin/env python3
"""Writes Sources/FinanceServer/Resources/openapi.json, the OpenAPI 3.1 document the server serves.

Edit this file when routes change, run it, and commit both. A server test fails when a registered route
is missing from the document.
"""
import json, os

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def problem(desc): return {"description": desc, "content": {"application/problem+json": {"schema": ref("Problem")}}}
def ok(desc, schema, code="200"): return {code: {"description": desc, "content": {"application/json": {"schema": schema}}}}
def param(name, where, desc, schema=None, required=None):
    p = {"name": name, "in": where, "description": desc, "schema": schema or {"type": "string"}}
    p["required"] = where == "path" if required is None else required
    return p

SYMBOL = param("symbol", "path", "Symbol, case-insensitive: 1–32 characters from A–Z 0–9 . - _ ^ =, not only dots")
TIME = {"oneOf": [{"type": "integer"}, {"type": "string"}]}
INTERVAL = {"type": "string", "enum": ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M"]}
NUM = {"type": "number"}
TEXT = {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
    "description": "at most 200 characters, no control characters"}
E422 = {"422": problem("Invalid input: `errors` lists every problem with index, field and JSON pointer")}
E404 = {"404": problem("Unknown symbol")}

schemas = {
    "Problem": {"type": "object", "description": "RFC 9457 problem details", "required": ["type", "title", "status", "detail"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "correlationId": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": ["integer", "null"]},
                "field": {"type": "string"}, "pointer": {"type": "string"}, "detail": {"type": "string"}}}}}},
    "Asset": {"type": "object", "required": ["symbol", "assetClass"], "properties": {
        "symbol": {"type": "string"}, "name": TEXT,
        "assetClass": {"type": "string", "enum": ["equity", "etf", "crypto", "fx", "index", "unknown"]},
        "exchange": TEXT, "currency": TEXT, "sector": TEXT, "industry": TEXT}},
    "Tick": {"type": "object", "required": ["symbol", "ts", "price"], "additionalProperties": False, "properties": {
        "symbol": {"type": "string"}, "ts": TIME, "price": NUM, "size": NUM, "bid": NUM, "ask": NUM, "bidSize": NUM, "askSize": NUM}},
    "BarInput": {"type": "object", "required": ["ts", "open", "high", "low", "close", "volume"], "additionalProperties": False,
        "properties": {"ts": TIME, "open": NUM, "high": NUM, "low": NUM, "close": NUM, "volume": NUM}},
    "Bar": {"type": "object", "properties": {"ts": {"type": "integer", "description": "bucket start, ms since the epoch"},
        "open": NUM, "high": NUM, "low": NUM, "close": NUM, "volume": NUM}},
    "Bars": {"type": "object", "properties": {"symbol": {"type": "string"}, "interval": INTERVAL,
        "bars": {"type": "array", "items": ref("Bar")}}},
    "Quote": {"type": "object", "properties": {"symbol": {"type": "string"}, "price": NUM, "ts": {"type": "integer"},
        "bid": NUM, "ask": NUM, "open": NUM, "high": NUM, "low": NUM, "volume": NUM, "change": NUM, "changePercent": NUM}},
    "IndicatorInfo": {"type": "object", "properties": {"key": {"type": "string"}, "description": {"type": "string"},
        "inputs": {"type": "array", "items": {"type": "string"}},
        "parameters": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"},
            "kind": {"type": "string", "enum": ["integer", "number"]}, "default": NUM,
            "min": {"type": "number", "description": "smallest accepted value (inclusive)"},
            "max": {"type": "number", "description": "largest accepted value (inclusive)"}}}},
        "outputs": {"type": "array", "items": {"type": "string"}}, "lookback": {"type": "string"}, "streamingCost": {"type": "string"}}},
    "IndicatorValues": {"type": "object", "properties": {"symbol": {"type": "string"}, "interval": INTERVAL,
        "ts": {"type": "array", "items": {"type": "integer"}},
        "values": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": ["number", "null"]}}}}},
    "Pattern": {"type": "object", "properties": {"id": {"type": "string"}, "type": {"type": "string"},
        "direction": {"type": "string", "enum": ["bullish", "bearish", "neutral"]}, "start": {"type": "integer"}, "end": {"type": "integer"},
        "points": {"type": "array", "items": {"type": "object", "properties": {"ts": {"type": "integer"}, "price": NUM}}},
        "breakout": NUM, "target": NUM, "confidence": NUM, "status": {"type": "string", "enum": ["forming", "completed", "confirmed", "failed"]}}},
    "Anomaly": {"type": "object", "properties": {"type": {"type": "string"}, "ts": {"type": "integer"}, "severity": NUM,
        "values": {"type": "object", "additionalProperties": NUM}, "threshold": NUM}},
    "Signal": {"type": "object", "required": ["kind", "symbol", "interval"],
        "description": "A live signal: a final pattern record (completed, confirmed or failed; found by template matching, the default method) or an anomaly of a closed bar",
        "properties": {"kind": {"type": "string", "enum": ["pattern", "anomaly"]}, "symbol": {"type": "string"},
            "interval": INTERVAL, "pattern": ref("Pattern"), "anomaly": ref("Anomaly")}},
    "IngestSummary": {"type": "object", "properties": {"accepted": {"type": "integer"}, "symbols": {"type": "array", "items": {"type": "string"}}}},
}

paths = {
    "/health": {"get": {"summary": "The process is up", "responses": ok("Up", {"type": "object"})},
        "head": {"summary": "As GET, without the body (load balancer checks)", "responses": {"200": {"description": "Up"}}}},
    "/ready": {"get": {"summary": "The store answers and its schema is current",
        "responses": {**ok("Ready", {"type": "object"}), "503": problem("Not ready")}},
        "head": {"summary": "As GET, without the body (load balancer checks)",
            "responses": {"200": {"description": "Ready"}, "503": {"description": "Not ready"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics (text format)", "responses": {"200": {"description": "Metrics",
        "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": ok("OpenAPI 3.1", {"type": "object"})}},
    "/docs": {"get": {"summary": "This document as a page", "responses": {"200": {"description": "HTML",
        "content": {"text/html": {"schema": {"type": "string"}}}}}}},
    "/api/assets": {
        "get": {"summary": "List assets", "responses": ok("Assets", {"type": "object", "properties": {"assets": {"type": "array", "items": ref("Asset")}}})},
        "post": {"summary": "Create an asset", "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Asset")}}},
            "responses": {**ok("Created", ref("Asset"), "201"), "409": problem("The symbol exists"), **E422}}},
    "/api/assets/{symbol}": {
        "get": {"summary": "One asset", "parameters": [SYMBOL], "responses": {**ok("Asset", ref("Asset")), **E404, **E422}},
        "put": {"summary": "Replace an asset's fields", "parameters": [SYMBOL],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Asset")}}},
            "responses": {**ok("Updated", ref("Asset")), **E404, **E422}},
        "delete": {"summary": "Delete an asset with its bars, rollups and ticks", "parameters": [SYMBOL],
            "responses": {"204": {"description": "Deleted"}, **E404, **E422}}},
    "/api/ticks": {"post": {"summary": "Ingest ticks (up to 10,000; all or nothing)",
        "description": "Ticks build 1-minute bars. `ts`: integer (|v| < 1e11 seconds, else milliseconds) or ISO-8601 (no zone = UTC).",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "array", "maxItems": 10000, "items": ref("Tick")}}}},
        "responses": {**ok("Stored", ref("IngestSummary"), "201"), "400": problem("Unparseable JSON"),
            "413": problem("Body larger than http.maxBodyBytes"), **E422}}},
    "/api/bars/{symbol}": {
        "post": {"summary": "Ingest bars for one symbol and interval (upsert; all or nothing)",
            "parameters": [SYMBOL, param("interval", "query", "Interval of the bars (default 1m)", INTERVAL, False)],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "array", "maxItems": 10000, "items": ref("BarInput")}}}},
            "responses": {**ok("Stored", ref("IngestSummary"), "201"), "400": problem("Unparseable JSON"),
                "413": problem("Body larger than http.maxBodyBytes"), **E422}},
        "get": {"summary": "Bars at any interval, time-bucketed from the stored intervals that divide it (per bucket the coarsest with data)",
            "description": "Reads the 1h/1d rollup (continuous aggregate) when one serves; `source=raw` recomputes from stored bars.",
            "parameters": [SYMBOL, param("interval", "query", "Bucket interval (default 1m)", INTERVAL, False),
                param("from", "query", "Inclusive bucket start (ISO-8601 or epoch); 422 when after `to`", TIME, False),
                param("to", "query", "Exclusive bucket start bound (default now)", TIME, False),
                param("limit", "query", "At most this many bars (default 5000, max 100000)", {"type": "integer", "minimum": 1, "maximum": 100000}, False),
                param("source", "query", "auto (rollup when possible) or raw", {"type": "string", "enum": ["auto", "raw"]}, False)],
            "responses": {**ok("Bars, ascending", ref("Bars")), **E404, **E422}}},
    "/api/indicators": {"get": {"summary": "Every indicator with its parameters, defaults, outputs and lookback",
        "responses": ok("Catalog", {"type": "object", "properties": {"indicators": {"type": "array", "items": ref("IndicatorInfo")}}})}},
    "/api/indicators/{symbol}": {"get": {"summary": "Indicator values on stored bars",
        "description": "Computed over the whole history before `to` (its latest 1,000,000 bars when it is longer), so values at `from` equal a computation over all of it. Rows as GET /api/bars: with `from`, the first `limit` from it; without, the latest `limit` before `to`. Column names as the CLI: sma_20, macd_signal_12_26_9, bb_upper_20_2, ...; null during warm-up. Bounded: at most 50 specs, `limit` × columns at most 1,000,000 values, bars read × the specs' cost per bar (a CCI's period, one per output column for the others) at most 200,000,000 (422 naming the parameter otherwise).",
        "parameters": [SYMBOL, param("indicators", "query", "Specs, e.g. rsi:14,macd:12:26:9,bbands:20:2 (at most 50; parameter ranges in GET /api/indicators)", None, True),
            param("interval", "query", "Bar interval (default 1d)", INTERVAL, False),
            param("from", "query", "Inclusive start (ISO-8601 or epoch); 422 when after `to`", TIME, False),
            param("to", "query", "Exclusive end (default now)", TIME, False),
            param("limit", "query", "At most this many rows (default 5000, max 100000; limit × columns at most 1000000)", {"type": "integer", "minimum": 1, "maximum": 100000}, False)],
        "responses": {**ok("Values", ref("IndicatorValues")), **E404, **E422}}},
    "/api/patterns/{symbol}": {"get": {"summary": "Chart patterns detected on stored bars (append-only records)",
        "description": "Records whose end lies in [from, to). See docs/patterns.md for types, statuses and accuracy.",
        "parameters": [SYMBOL, param("interval", "query", "Bar interval (default 1d)", INTERVAL, False),
            param("from", "query", "Inclusive start; 422 when after `to`", TIME, False), param("to", "query", "Exclusive end", TIME, False),
            param("limit", "query", "Bars scanned without from (default 5000)", {"type": "integer"}, False),
            param("types", "query", "Comma-separated pattern types, e.g. double_top,head_and_shoulders (422 for an unknown name or an empty list)", None, False),
            param("status", "query", "Comma-separated statuses: forming, completed, confirmed, failed (422 for an unknown name or an empty list)", None, False),
            param("screen", "query", "With method=rules: true (default): the learned screen holds back shapes that look like the benchmark's false detections; false: every shape the rules accept (docs/patterns.md)", {"type": "string", "enum": ["true", "false"]}, False),
            param("method", "query", "How patterns are found: templates (default; template matching with learned models, for chart patterns and for support, resistance and trend lines) or rules (turning points and shape rules: about 15 times faster and less accurate, for fast screening); docs/patterns.md", {"type": "string", "enum": ["templates", "rules"]}, False)],
        "responses": {**ok("Patterns", {"type": "object", "properties": {"symbol": {"type": "string"}, "interval": INTERVAL,
            "patterns": {"type": "array", "items": ref("Pattern")}}}), **E404, **E422}}},
    "/api/anomalies/{symbol}": {"get": {"summary": "Anomalies detected on stored bars",
        "description": "Price spikes, volume surges, gaps (off for crypto), volatility spikes, unusual runs, price-volume divergence. See docs/anomalies.md.",
        "parameters": [SYMBOL, param("interval", "query", "Bar interval (default 1m)", INTERVAL, False),
            param("from", "query", "Inclusive start; 422 when after `to`", TIME, False), param("to", "query", "Exclusive end", TIME, False),
            param("limit", "query", "Bars scanned without from (default 5000)", {"type": "integer"}, False),
            param("types", "query", "Comma-separated anomaly types (422 for an unknown name or an empty list)", None, False)],
        "responses": {**ok("Anomalies", {"type": "object", "properties": {"symbol": {"type": "string"}, "interval": INTERVAL,
            "anomalies": {"type": "array", "items": ref("Anomaly")}}}), **E404, **E422}}},
    "/api/signals": {"get": {"summary": "The latest live signals of the streaming detectors, newest last",
        "description": "Pattern records that reached completed, confirmed or failed and anomalies, detected live on the market bus at the intervals of `analytics.intervals` (the last 1,000 are kept in memory; empty when live analytics is off). See docs/api.md.",
        "parameters": [param("symbol", "query", "Only this symbol (case-insensitive)", None, False),
            param("interval", "query", "Only this interval", INTERVAL, False),
            param("kind", "query", "Only patterns or only anomalies", {"type": "string", "enum": ["pattern", "anomaly"]}, False),
            param("limit", "query", "At most this many (the newest; default 100, max 1000)", {"type": "integer", "minimum": 1, "maximum": 1000}, False)],
        "responses": {**ok("Signals, oldest first", {"type": "object", "properties": {"signals": {"type": "array", "items": ref("Signal")}}}), **E422}}},
    "/api/quotes/{symbol}": {"get": {"summary": "Latest price with UTC-day statistics", "parameters": [SYMBOL],
        "responses": {**ok("Quote", ref("Quote")), **E404, **E422}}},
}

extra = os.path.join(os.path.dirname(__file__), "openapi_extra.json")
if os.path.exists(extra):
    more = json.load(open(extra))
    paths.update(more.get("paths", {}))
    schemas.update(more.get("schemas", {}))

doc = {"openapi": "3.1.0", "info": {"title": "FinanceHub API", "version": "0.1.0",
        "description": "Self-hosted market-data hub: ingestion, time-series queries, analytics. Errors are application/problem+json (RFC 9457). Times in responses are integer milliseconds since the epoch. Every GET route also answers HEAD (no body); a path that exists with another method is 405 with an Allow header."},
       "paths": paths, "components": {"schemas": schemas}}
out = os.path.join(os.path.dirname(__file__), "..", "Sources", "FinanceServer", "Resources", "openapi.json")
with open(out, "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(out)
