#!/usr/bin/env python3
"""Writes Sources/FinanceServer/Resources/openapi.json, the OpenAPI 3.1 document the server serves.

Edit this file when routes change, run it, and commit both. A server test fails when a registered route
is missing from the document.
"""
import json
import sys, os

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def problem(desc): return {"description": desc, "content": {"application/problem+json": {"schema": ref("Problem")}}}
def ok(desc, schema, code="200"): return {code: {"description": desc, "content": {"application/json": {"schema": schema}}}}
def param(name, where, desc, schema=None, required=None):
    p = {"name": name, "in": where, "description": desc, "schema": schema or {"type": "string"}}
    p["required"] = where == "path" if required is None else required
    return p

SYMBOL_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^(?![.]+$)[A-Za-z0-9._^=-]{1,32}$",
    "description": "1–32 characters from A–Z 0–9 . - _ ^ = (case-insensitive), not only dots"}
SYMBOL = param("symbol", "path", "Symbol, case-insensitive: 1–32 characters from A–Z 0–9 . - _ ^ =, not only dots", SYMBOL_SCHEMA)

# The time rule: an integer below 1e11 in absolute value is seconds, else milliseconds; ISO-8601 text; years 0001–9999.
MIN_MS, MAX_MS = -62135596800000, 253402300799999
def time_ranges(kind):
    if kind == "integer":
        return [{"type": kind, "minimum": MIN_MS, "maximum": -100000000000},
            {"type": kind, "minimum": -62135596800, "maximum": MAX_MS}]
    # A number is rounded to whole milliseconds (seconds × 1000 first below 1e11), so the bounds widen by the rounding.
    return [{"type": kind, "exclusiveMinimum": MIN_MS - 0.5, "maximum": -100000000000},
        {"type": kind, "exclusiveMinimum": -62135596800.0005, "exclusiveMaximum": MAX_MS + 0.5}]
# Text the time rule reads: ISO-8601 (the date's validity, the time's ranges and the years 0001–9999 are checked by
# the server, 422 otherwise) or a decimal number (an integer of seconds or milliseconds, or seconds with a
# fraction or an exponent). Every operation that takes a time relates it to others (`from` ≤ `to`), so the
# contract run expects 422 for schema-valid times there (.ci/schemathesis.toml).
NUMBER_TEXT = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"
ISO_TEXT = "[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?"
TIME_TEXT = {"type": "string", "pattern": f"^({ISO_TEXT}|{NUMBER_TEXT})$",
    "description": "ISO-8601 (a date, or a date and time with an optional zone; no zone is UTC) or epoch seconds or milliseconds as decimal text"}
TIME = {"anyOf": [*time_ranges("integer"), TIME_TEXT],
    "description": "Epoch seconds (|v| < 1e11) or milliseconds, or ISO-8601 text; years 0001–9999"}
TIME_BODY = {"anyOf": [*time_ranges("number"), TIME_TEXT],
    "description": "Epoch seconds (|v| < 1e11, fractions kept) or milliseconds, or ISO-8601 text; years 0001–9999"}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 100000}

def name_list(names):
    """A comma-separated list of `names` with spaces around items and empty items allowed, naming at least one."""
    n = "(" + "|".join(names) + ")"
    item = f"( *{n} *)"
    return {"type": "string", "pattern": f"^(( *|{item}),)*{item}(,( *|{item}))*$"}

PATTERN_TYPES = ["head_and_shoulders", "inverse_head_and_shoulders", "double_top", "double_bottom",
    "ascending_triangle", "descending_triangle", "symmetrical_triangle", "bull_flag", "bear_flag", "bull_pennant",
    "bear_pennant", "rising_wedge", "falling_wedge", "support", "resistance", "trend_line", "channel_up", "channel_down",
    "channel_horizontal", "cup_and_handle"]
ANOMALY_TYPES = ["price_spike", "volume_surge", "gap_up", "gap_down", "volatility_spike", "order_flow_imbalance",
    "unusual_run", "price_volume_divergence"]
# One spec as the parser reads it: a name (any case) and parameters separated by colons, spaces and tabs around
# each part ignored; which names and values are valid is in GET /api/indicators (422 naming the spec otherwise).
_spec = f"[ \\t]*[A-Za-z_]+[ \\t]*(:[ \\t]*{NUMBER_TEXT}[ \\t]*)*"
INDICATOR_SPECS = {"type": "string", "pattern": f"^{_spec}(,{_spec}){{0,49}}$",
    "description": "Comma-separated specs `name[:param...]` (at most 50), e.g. rsi:14,macd:12:26:9; names and parameter ranges in GET /api/indicators (422 naming the spec otherwise)"}
HISTORICAL = param("historical", "query", "true: the batch is history (stored, never streamed, analysed or alerted on); default false (live)",
    {"type": "string", "enum": ["true", "false"]}, False)
INTERVAL = {"type": "string", "enum": ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M"]}
NUM = {"type": "number"}
PRICE = {"type": "number", "minimum": 1e-30, "maximum": 1e30, "description": "a price from 1e-30 to 1e30"}
AMOUNT = {"type": "number", "minimum": 0, "maximum": 1e30, "description": "from 0 to 1e30"}
OPT_AMOUNT = {"type": ["number", "null"], "minimum": 0, "maximum": 1e30, "description": "from 0 to 1e30; null is the same as absent"}
TEXT = {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
    "description": "at most 200 characters, no control characters"}
OPT_TEXT = {**TEXT, "type": ["string", "null"], "description": "at most 200 characters, no control characters; null is the same as absent"}
ASSET_CLASS = {"type": "string", "enum": ["equity", "etf", "crypto", "fx", "index", "unknown"]}
E400 = {"400": problem("The body is not valid JSON")}
E413 = {"413": problem("Body larger than http.maxBodyBytes")}
E422 = {"422": problem("Invalid input: `errors` lists every problem with index, field and JSON pointer")}
E404 = {"404": problem("Unknown symbol")}
E503 = {"503": {"description": "Every provider able to answer failed; `providers` lists each one tried and its outcome",
    "headers": {"Retry-After": {"description": "seconds until a provider may answer again", "schema": {"type": "integer"}}},
    "content": {"application/problem+json": {"schema": ref("Problem")}}}}
PROVIDER = param("name", "path", "Provider name (lower case)", {"type": "string", "enum": ["alphavantage", "coingecko",
    "coinmarketcap", "polygon", "finnhub", "newsapi", "binance", "coinbase"]})
PROVIDER_FROM = param("from", "query", "Inclusive start (ISO-8601 or epoch; default 24 hours before `to`); 422 when after `to`", TIME, False)
PROVIDER_TO = param("to", "query", "Exclusive end (default now)", TIME, False)
def items(name): return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref(name)}}}

schemas = {
    "Problem": {"type": "object", "description": "RFC 9457 problem details", "required": ["type", "title", "status", "detail"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "correlationId": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": ["integer", "null"]},
                "field": {"type": "string"}, "pointer": {"type": "string"}, "detail": {"type": "string"}}}},
            "providers": {"type": "array", "description": "on a 503 from the providers: each provider tried and its outcome",
                "items": {"type": "object", "properties": {"provider": {"type": "string"}, "outcome": {"type": "string"},
                    "detail": {"type": "string"}}}}}},
    "Asset": {"type": "object", "required": ["symbol", "assetClass"], "properties": {
        "symbol": SYMBOL_SCHEMA, "name": TEXT, "assetClass": ASSET_CLASS,
        "exchange": TEXT, "currency": TEXT, "sector": TEXT, "industry": TEXT,
        "marketCap": {**AMOUNT, "description": "market capitalisation; weights the asset in value-weighted sector figures"}}},
    "AssetInput": {"type": "object", "required": ["symbol"], "additionalProperties": False,
        "description": "assetClass defaults to unknown",
        "properties": {"symbol": SYMBOL_SCHEMA, "name": OPT_TEXT, "assetClass": {**ASSET_CLASS, "type": ["string", "null"], "enum": [*ASSET_CLASS["enum"], None]},
            "exchange": OPT_TEXT, "currency": OPT_TEXT, "sector": OPT_TEXT, "industry": OPT_TEXT,
            "marketCap": {**OPT_AMOUNT, "description": "market capitalisation, from 0 to 1e30; null is the same as absent"}}},
    "AssetUpdate": {"type": "object", "additionalProperties": False,
        "description": "The path names the symbol; a body symbol, when present, must equal it (422 otherwise, and for null)",
        "properties": {"symbol": SYMBOL_SCHEMA, "name": OPT_TEXT, "assetClass": {**ASSET_CLASS, "type": ["string", "null"], "enum": [*ASSET_CLASS["enum"], None]},
            "exchange": OPT_TEXT, "currency": OPT_TEXT, "sector": OPT_TEXT, "industry": OPT_TEXT,
            "marketCap": {**OPT_AMOUNT, "description": "market capitalisation, from 0 to 1e30; null is the same as absent"}}},
    "Tick": {"type": "object", "required": ["symbol", "ts", "price"], "additionalProperties": False,
        "description": "bid may not exceed ask (422 otherwise)", "properties": {
        "symbol": SYMBOL_SCHEMA, "ts": TIME_BODY, "price": PRICE, "size": OPT_AMOUNT, "bid": OPT_AMOUNT, "ask": OPT_AMOUNT,
        "bidSize": OPT_AMOUNT, "askSize": OPT_AMOUNT}},
    "BarInput": {"type": "object", "required": ["ts", "open", "high", "low", "close", "volume"], "additionalProperties": False,
        "description": "low ≤ open, close ≤ high; intraday bars start at their interval's bucket (422 otherwise); one bar per time",
        "properties": {"ts": TIME_BODY, "open": PRICE, "high": PRICE, "low": PRICE, "close": PRICE, "volume": AMOUNT}},
    "Bar": {"type": "object", "properties": {"ts": {"type": "integer", "description": "bucket start, ms since the epoch"},
        "open": NUM, "high": NUM, "low": NUM, "close": NUM, "volume": NUM}},
    "Bars": {"type": "object", "properties": {"symbol": {"type": "string"}, "interval": INTERVAL,
        "bars": {"type": "array", "items": ref("Bar")}}},
    "Quote": {"type": "object", "properties": {"symbol": {"type": "string"}, "price": NUM, "ts": {"type": "integer"},
        "bid": NUM, "ask": NUM, "open": NUM, "high": NUM, "low": NUM, "volume": NUM, "change": NUM, "changePercent": NUM,
        "source": {"type": "string", "description": "where the price came from: a provider's name (alphavantage, coingecko, coinmarketcap, polygon, finnhub, binance, coinbase), or simulated, push or import for data fed here"},
        "changeBasis": {"type": "string", "enum": ["utcDay", "24h", "previousClose"], "description": "what change and changePercent compare with: the previous UTC day's close from stored bars (utcDay), the price 24 hours ago (24h, CoinGecko-style) or the previous session's close (previousClose), the last two as the provider reports them"}}},
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
    "ProviderKey": {"type": "object", "required": ["key", "keyId", "unavailable", "budgets"], "description": "One API key, masked: never the secret",
        "properties": {
            "key": {"type": "string", "description": "the key masked: its id and at most its last 2 characters, e.g. `1a2b3c4d (…x9)`; `(no key)` for key-free requests"},
            "keyId": {"type": "string", "description": "the key's id (the first 8 hex characters of FNV-1a over the key), or `public` for key-free requests"},
            "parkedUntil": {"type": "integer", "description": "not used before this time (ms) after a rate-limit or quota reply or a spent budget window; absent when not parked"},
            "disabledReason": {"type": "string", "description": "why the provider rejected the key; absent when it is not disabled"},
            "unavailable": {"type": "array", "description": "capabilities the key's plan does not include", "items": {"type": "string"}},
            "budgets": {"type": "array", "description": "use of each limited budget window now (calendar second, minute, UTC day, month)",
                "items": {"type": "object", "required": ["window", "used", "limit"], "properties": {
                    "window": {"type": "string", "enum": ["second", "minute", "day", "month"]},
                    "used": {"type": "integer", "minimum": 0}, "limit": {"type": "integer"}}}}}},
    "Provider": {"type": "object", "required": ["name", "enabled", "usable", "capabilities", "keys"], "properties": {
        "name": {"type": "string"},
        "enabled": {"type": "boolean", "description": "providers.<name>.enabled"},
        "usable": {"type": "boolean", "description": "enabled and, when the provider needs keys, given some"},
        "reason": {"type": "string", "description": "why the provider is not usable (`disabled by configuration`, `no API key (set providers.<name>.keys)`); absent when usable"},
        "capabilities": {"type": "array", "items": {"type": "string", "enum": ["quote", "barsHistory", "liveTrades", "news", "symbolSearch"]}},
        "health": {"type": "number", "minimum": 0, "maximum": 100, "description": "health score (docs/providers.md); present for the providers the router uses"},
        "circuit": {"type": "object", "required": ["state"], "description": "circuit breaker; present for the providers the router uses",
            "properties": {"state": {"type": "string", "enum": ["closed", "open", "half_open"]},
                "until": {"type": "integer", "description": "when an open circuit lets a probe through (ms)"}}},
        "keys": {"type": "array", "items": ref("ProviderKey")}}},
    "ProviderUsage": {"type": "object", "required": ["ts", "endpoint", "status", "latencyMs", "credits", "cacheHit"],
        "description": "One usage log entry: an upstream request or an answer served from the cache",
        "properties": {"ts": {"type": "integer", "description": "when the request ended (ms)"},
            "keyId": {"type": "string", "description": "the key's id; absent for a cache hit"},
            "endpoint": {"type": "string"},
            "status": {"type": "string", "description": "outcome: success, rejected, rate_limited, auth, timeout, server_error, network, parse, or cache_hit"},
            "latencyMs": {"type": "number", "minimum": 0}, "credits": {"type": "integer", "minimum": 0, "description": "budget units spent (0 for a cache hit)"},
            "cacheHit": {"type": "boolean"}}},
    "ProviderHealthSample": {"type": "object", "required": ["minute", "score", "requests", "failures", "circuit"],
        "description": "A provider's health over one minute",
        "properties": {"minute": {"type": "integer", "description": "start of the minute (ms)"},
            "score": {"type": "number", "minimum": 0, "maximum": 100}, "requests": {"type": "integer", "minimum": 0},
            "failures": {"type": "integer", "minimum": 0},
            "latencyP95Ms": {"type": "number", "minimum": 0, "description": "95th percentile latency of the minute's requests; absent without requests"},
            "circuit": {"type": "string", "enum": ["closed", "open", "half_open"]}}},
    "NewsArticle": {"type": "object", "required": ["title", "url", "source", "publishedAt"],
        "properties": {"title": {"type": "string"}, "url": {"type": "string"}, "source": {"type": "string"},
            "publishedAt": {"type": "integer", "description": "publication time (ms)"},
            "summary": {"type": "string", "description": "absent when the provider gives none"}}},
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
        "post": {"summary": "Create an asset", "requestBody": {"required": True, "content": {"application/json": {"schema": ref("AssetInput")}}},
            "responses": {**ok("Created", ref("Asset"), "201"), **E400, "409": problem("The symbol exists"), **E413, **E422}}},
    "/api/assets/{symbol}": {
        "get": {"summary": "One asset", "parameters": [SYMBOL], "responses": {**ok("Asset", ref("Asset")), **E404, **E422}},
        "put": {"summary": "Replace an asset's fields", "parameters": [SYMBOL],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("AssetUpdate")}}},
            "responses": {**ok("Updated", ref("Asset")), **E400, **E404, **E413, **E422}},
        "delete": {"summary": "Delete an asset with its bars, rollups and ticks", "parameters": [SYMBOL],
            "responses": {"204": {"description": "Deleted"}, **E404, **E422}}},
    "/api/ticks": {"post": {"summary": "Ingest ticks (up to 10,000; all or nothing)",
        "description": "Ticks build 1-minute bars. `ts`: integer (|v| < 1e11 seconds, else milliseconds) or ISO-8601 (no zone = UTC).",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "array", "maxItems": 10000, "items": ref("Tick")}}}},
        "parameters": [HISTORICAL],
        "responses": {**ok("Stored", ref("IngestSummary"), "201"), **E400, **E413, **E422}}},
    "/api/bars/{symbol}": {
        "post": {"summary": "Ingest bars for one symbol and interval (upsert; all or nothing)",
            "parameters": [SYMBOL, param("interval", "query", "Interval of the bars (default 1m)", INTERVAL, False), HISTORICAL],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "array", "maxItems": 10000, "items": ref("BarInput")}}}},
            "responses": {**ok("Stored", ref("IngestSummary"), "201"), **E400, **E413, **E422}},
        "get": {"summary": "Bars at any interval, time-bucketed from the stored intervals that divide it (per bucket the coarsest with data)",
            "description": "Reads the 1h/1d rollup (continuous aggregate) when one serves; `source=raw` recomputes from stored bars. When a provider has keys and providers.backfillOnDemand is on, a range the store does not cover, of a symbol not fed by pushes, the simulated feed or imports, is first fetched from the providers (cached, coalesced, failing over) and stored as history (docs/api.md, \"Bars from the providers\").",
            "parameters": [SYMBOL, param("interval", "query", "Bucket interval (default 1m)", INTERVAL, False),
                param("from", "query", "Inclusive bucket start (ISO-8601 or epoch); 422 when after `to`", TIME, False),
                param("to", "query", "Exclusive bucket start bound (default now)", TIME, False),
                param("limit", "query", "At most this many bars (default 5000, max 100000)", LIMIT, False),
                param("source", "query", "auto (rollup when possible) or raw", {"type": "string", "enum": ["auto", "raw"]}, False)],
            "responses": {**ok("Bars, ascending", ref("Bars")), **E404, **E422,
                "503": {**E503["503"], "description": "The symbol has no asset here and every provider able to backfill the range failed; `providers` lists each one tried and its outcome"}}}},
    "/api/indicators": {"get": {"summary": "Every indicator with its parameters, defaults, outputs and lookback",
        "responses": ok("Catalog", {"type": "object", "properties": {"indicators": {"type": "array", "items": ref("IndicatorInfo")}}})}},
    "/api/indicators/{symbol}": {"get": {"summary": "Indicator values on stored bars",
        "description": "Computed over the whole history before `to` (its latest 1,000,000 bars when it is longer), so values at `from` equal a computation over all of it. Rows as GET /api/bars: with `from`, the first `limit` from it; without, the latest `limit` before `to`. Column names as the CLI: sma_20, macd_signal_12_26_9, bb_upper_20_2, ...; null during warm-up. Bounded: at most 50 specs, `limit` × columns at most 1,000,000 values, bars read × the specs' cost per bar (a CCI's period, one per output column for the others) at most 200,000,000 (422 naming the parameter otherwise).",
        "parameters": [SYMBOL, param("indicators", "query", "Specs, e.g. rsi:14,macd:12:26:9,bbands:20:2 (at most 50; parameter ranges in GET /api/indicators)", INDICATOR_SPECS, True),
            param("interval", "query", "Bar interval (default 1d)", INTERVAL, False),
            param("from", "query", "Inclusive start (ISO-8601 or epoch); 422 when after `to`", TIME, False),
            param("to", "query", "Exclusive end (default now)", TIME, False),
            param("limit", "query", "At most this many rows (default 5000, max 100000; limit × columns at most 1000000)", LIMIT, False)],
        "responses": {**ok("Values", ref("IndicatorValues")), **E404, **E422}}},
    "/api/patterns/{symbol}": {"get": {"summary": "Chart patterns detected on stored bars (append-only records)",
        "description": "Records whose end lies in [from, to). See docs/patterns.md for types, statuses and accuracy.",
        "parameters": [SYMBOL, param("interval", "query", "Bar interval (default 1d)", INTERVAL, False),
            param("from", "query", "Inclusive start; 422 when after `to`", TIME, False), param("to", "query", "Exclusive end", TIME, False),
            param("limit", "query", "Bars scanned without from (default 5000, max 100000)", LIMIT, False),
            param("types", "query", "Comma-separated pattern types, e.g. double_top,head_and_shoulders (422 for an unknown name or an empty list)", name_list(PATTERN_TYPES), False),
            param("status", "query", "Comma-separated statuses: forming, completed, confirmed, failed (422 for an unknown name or an empty list)", name_list(["forming", "completed", "confirmed", "failed"]), False),
            param("screen", "query", "With method=rules: true (default): the learned screen holds back shapes that look like the benchmark's false detections; false: every shape the rules accept (docs/patterns.md)", {"type": "string", "enum": ["true", "false"], "default": "true"}, False),
            param("method", "query", "How patterns are found: templates (default; template matching with learned models, for chart patterns and for support, resistance and trend lines) or rules (turning points and shape rules: about 15 times faster and less accurate, for fast screening); docs/patterns.md", {"type": "string", "enum": ["templates", "rules"], "default": "templates"}, False)],
        "responses": {**ok("Patterns", {"type": "object", "properties": {"symbol": {"type": "string"}, "interval": INTERVAL,
            "patterns": {"type": "array", "items": ref("Pattern")}}}), **E404, **E422}}},
    "/api/anomalies/{symbol}": {"get": {"summary": "Anomalies detected on stored bars",
        "description": "Price spikes, volume surges, gaps (off for crypto), volatility spikes, unusual runs, price-volume divergence. See docs/anomalies.md.",
        "parameters": [SYMBOL, param("interval", "query", "Bar interval (default 1m)", INTERVAL, False),
            param("from", "query", "Inclusive start; 422 when after `to`", TIME, False), param("to", "query", "Exclusive end", TIME, False),
            param("limit", "query", "Bars scanned without from (default 5000, max 100000)", LIMIT, False),
            param("types", "query", "Comma-separated anomaly types (422 for an unknown name or an empty list)", name_list(ANOMALY_TYPES), False)],
        "responses": {**ok("Anomalies", {"type": "object", "properties": {"symbol": {"type": "string"}, "interval": INTERVAL,
            "anomalies": {"type": "array", "items": ref("Anomaly")}}}), **E404, **E422}}},
    "/api/signals": {"get": {"summary": "The latest live signals of the streaming detectors, newest last",
        "description": "Pattern records that reached completed, confirmed or failed and anomalies, detected live on the market bus at the intervals of `analytics.intervals` (the last 1,000 are kept in memory; empty when live analytics is off). See docs/api.md.",
        "parameters": [param("symbol", "query", "Only this symbol (case-insensitive)", SYMBOL_SCHEMA, False),
            param("interval", "query", "Only this interval", INTERVAL, False),
            param("kind", "query", "Only patterns or only anomalies", {"type": "string", "enum": ["pattern", "anomaly"]}, False),
            param("limit", "query", "At most this many (the newest; default 100, max 1000)", {"type": "integer", "minimum": 1, "maximum": 1000}, False)],
        "responses": {**ok("Signals, oldest first", {"type": "object", "properties": {"signals": {"type": "array", "items": ref("Signal")}}}), **E422}}},
    "/api/quotes/{symbol}": {"get": {"summary": "Latest price with UTC-day statistics, or a provider's quote for a symbol not fed here", "parameters": [SYMBOL],
        "responses": {**ok("Quote", ref("Quote")), "404": problem("Unknown symbol: nothing stored and no provider knows it"), **E422, **E503},
        "description": "Symbols fed by pushes, the simulated feed or imports are answered from stored data however old. When a provider has keys, any other symbol without a quote fresher than providers.cache.quoteSeconds is fetched from the providers (cached, coalesced, failing over), stored, and answered with its source and the provider's change figures."}},
    "/api/providers": {"get": {"summary": "Every market-data provider: whether it is used and why not, capabilities, health, circuit, keys masked with their budget use",
        "description": "Lists alphavantage, coingecko, coinmarketcap, polygon, finnhub, newsapi, binance and coinbase, whatever the configuration. Keys appear only masked, never the secret. See docs/providers.md.",
        "responses": ok("Providers", {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("Provider")}}})}},
    "/api/providers/{name}/usage": {"get": {"summary": "A provider's usage log: every upstream request and every answer from the cache, oldest first",
        "description": "Entries with from ≤ ts < to, as written every 5 s by the server.",
        "parameters": [PROVIDER, PROVIDER_FROM, PROVIDER_TO,
            param("limit", "query", "At most this many entries (default 1000, max 100000)", LIMIT, False)],
        "responses": {**ok("Usage log", items("ProviderUsage")), "404": problem("Unknown provider name"), **E422}}},
    "/api/providers/{name}/health": {"get": {"summary": "A provider's per-minute health history, oldest first",
        "description": "Samples with from ≤ minute < to: score, requests, failures, p95 latency and circuit state of each minute.",
        "parameters": [PROVIDER, PROVIDER_FROM, PROVIDER_TO],
        "responses": {**ok("Health history", items("ProviderHealthSample")), "404": problem("Unknown provider name"), **E422}}},
    "/api/news": {"get": {"summary": "The newest news articles about a symbol or a text, from the news providers",
        "description": "Exactly one of `symbol` and `q` (422 otherwise). Asked of the providers offering news (NewsAPI), ranked by health and failing over; cached for providers.cache.newsSeconds (concurrent requests make one upstream call).",
        "parameters": [param("symbol", "query", "Articles about this symbol (case-insensitive)", SYMBOL_SCHEMA, False),
            param("q", "query", "Articles about this text", {"type": "string", "minLength": 1, "maxLength": 200,
                "pattern": TEXT["pattern"], "description": "1 to 200 characters, no control characters"}, False),
            param("limit", "query", "At most this many articles, newest first (default 20, max 100)", {"type": "integer", "minimum": 1, "maximum": 100}, False)],
        "responses": {**ok("Articles, newest first", {"type": "object", "required": ["items", "provider"], "properties": {
                "items": {"type": "array", "items": ref("NewsArticle")}, "provider": {"type": "string", "description": "the provider that answered"}}}),
            "404": problem("No news provider is usable (none has keys)"), **E422, **E503}}},
}

extra = os.path.join(os.path.dirname(__file__), "openapi_extra.json")
if os.path.exists(extra):
    more = json.load(open(extra))
    paths.update(more.get("paths", {}))
    schemas.update(more.get("schemas", {}))

doc = {"openapi": "3.1.0", "info": {"title": "FinanceHub API", "version": "0.1.0",
        "description": "Self-hosted market-data hub: ingestion, time-series queries, analytics. Errors are application/problem+json (RFC 9457). Times in responses are integer milliseconds since the epoch. Every GET route also answers HEAD (no body); a path that exists with another method is 405 with an Allow header."},
       "paths": paths, "components": {"schemas": schemas}}
sys.path.insert(0, os.path.dirname(__file__))
from openapi_security import secure  # noqa: E402
doc = secure(doc)
out = os.path.join(os.path.dirname(__file__), "..", "Sources", "FinanceServer", "Resources", "openapi.json")
with open(out, "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(out)
