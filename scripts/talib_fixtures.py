#!/usr/bin/env python3
"""Writes the TA-Lib reference fixtures used by Tests/FinanceCoreTests/Indicators.

Run by hand (not by CI):  pip install -r scripts/requirements-talib.txt && python3 scripts/talib_fixtures.py

For every series NAME it writes, under Tests/Fixtures/indicators/:
  NAME.input.csv     timestamp,open,high,low,close,volume (timestamp in ms since the epoch, UTC)
  NAME.expected.csv  one column per indicator output, named like FinanceCore names them;
                     an empty cell is a missing (warm-up) value; numbers are Python's repr
                     (shortest round-trip).
and specs.txt, the spec string (FinanceCore's IndicatorSpec syntax) the expected columns come from.

Every TA-Lib indicator is computed by TA-Lib itself (C library 0.8.1 as shipped in ta-lib==0.8.2,
default compatibility, unstable period 0). Keltner, Donchian, VWAP and Ichimoku are not in TA-Lib;
their references are computed here with numpy from the standard definitions (Keltner's EMA and ATR are
TA-Lib's EMA and ATR).
"""
import os
import sys

import numpy as np
import talib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "indicators")

SPECS = (
    "sma:20,sma:2,ema:20,ema:5,wma:20,dema:20,tema:10,rsi:14,rsi:3,macd:12:26:9,macd:5:8:3,"
    "bbands:20:2,bbands:10:1.5,stoch:14:3:3,stoch:5:3:3,willr:14,atr:14,atr:1,natr:14,obv,cci:20,cci:5,"
    "adx:14,adx:5,plus_di:14,minus_di:14,mfi:14,roc:10,mom:10,stochrsi:14:5:3,aroon:14,aroon:5,"
    "sar:0.02:0.2,keltner:20:10:2,donchian:20,vwap,ichimoku:9:26:52"
)

T0 = 1_704_153_600_000 + 20 * 3_600_000  # 2024-01-02T20:00Z, so 5-minute series cross midnight


def random_walk(rng, n, scale, vol_scale=1000.0):
    c = scale * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    o = np.empty(n)
    o[0] = scale
    o[1:] = c[:-1]
    h = np.maximum(o, c) * (1 + np.abs(rng.normal(0, 0.004, n)))
    l = np.minimum(o, c) * (1 - np.abs(rng.normal(0, 0.004, n)))
    v = np.round(rng.uniform(0.1, 10.0, n) * vol_scale)
    return o, h, l, c, v


def make_series():
    rng = np.random.RandomState(20240102)
    s = {}
    for name, scale in (("rw_0p001", 0.001), ("rw_1", 1.0), ("rw_100", 100.0), ("rw_1e5", 1e5)):
        s[name] = random_walk(rng, 1000, scale)
    # Tiny prices and volumes (no absolute zero thresholds may bite), and a high price with small
    # moves (a badly conditioned variance for Bollinger Bands).
    s["rw_1e-15"] = random_walk(rng, 500, 1e-15, vol_scale=1e-6)
    o, h, l, c, v = random_walk(rng, 500, 1e5)
    c = 1e5 + (c - 1e5) * 1e-3
    o = np.concatenate(([1e5], c[:-1]))
    h = np.maximum(o, c) + np.abs(rng.normal(0, 0.5, 500))
    l = np.minimum(o, c) - np.abs(rng.normal(0, 0.5, 500))
    s["rw_1e5_calm"] = (o, h, l, c, v)
    n = 300
    flat = np.full(n, 0.3)  # not a binary fraction: running sums are inexact
    s["flat"] = (flat.copy(), flat.copy(), flat.copy(), flat.copy(), np.full(n, 1000.0))
    c = 10.0 + 0.5 * np.arange(n)
    s["rising"] = (c - 0.125, c + 0.25, c - 0.25, c, np.full(n, 500.0))
    o, h, l, c, v = random_walk(rng, 500, 50.0)
    v[rng.uniform(size=500) < 0.3] = 0.0
    v[200:320] = 0.0  # a full day and more without volume
    s["zero_volume"] = (o, h, l, c, v)
    # Prices on a 0.25 grid (many ties), every third bar and a long run with high == low == open == close.
    o, h, l, c, v = random_walk(rng, 500, 40.0)
    q = lambda x: np.round(x * 4.0) / 4.0
    o, h, l, c = q(o), q(h), q(l), q(c)
    for i in range(500):
        if i % 3 == 0 or 150 <= i < 190:
            p = c[i] if i < 150 or i >= 190 else c[149]
            o[i] = h[i] = l[i] = c[i] = p
    h = np.maximum.reduce([o, h, l, c])
    l = np.minimum.reduce([o, h, l, c])
    s["high_eq_low"] = (o, h, l, c, v)
    s["short"] = tuple(x[:12] for x in random_walk(rng, 12, 20.0))
    return s


def nan_if(mask, x):
    x = x.copy()
    x[mask] = np.nan
    return x


def rolling(x, n, fn):
    out = np.full(len(x), np.nan)
    for i in range(n - 1, len(x)):
        out[i] = fn(x[i - n + 1 : i + 1])
    return out


def compute(spec, ts, o, h, l, c, v):
    """Returns [(column, values)] for one spec item."""
    parts = spec.split(":")
    key, p = parts[0], parts[1:]
    num = lambda s: float(s)
    it = lambda s: int(s)
    suffix = "_".join(p)
    nm = (lambda base: f"{base}_{suffix}") if p else (lambda base: base)
    if key in ("sma", "ema", "wma", "dema", "tema", "rsi", "cci", "willr", "atr", "natr", "adx", "plus_di",
               "minus_di", "mfi", "roc", "mom"):
        n = it(p[0])
        f = {
            "sma": lambda: talib.SMA(c, n), "ema": lambda: talib.EMA(c, n), "wma": lambda: talib.WMA(c, n),
            "dema": lambda: talib.DEMA(c, n), "tema": lambda: talib.TEMA(c, n), "rsi": lambda: talib.RSI(c, n),
            "cci": lambda: talib.CCI(h, l, c, n), "willr": lambda: talib.WILLR(h, l, c, n),
            "atr": lambda: talib.ATR(h, l, c, n), "natr": lambda: talib.NATR(h, l, c, n),
            "adx": lambda: talib.ADX(h, l, c, n), "plus_di": lambda: talib.PLUS_DI(h, l, c, n),
            "minus_di": lambda: talib.MINUS_DI(h, l, c, n), "mfi": lambda: talib.MFI(h, l, c, v, n),
            "roc": lambda: talib.ROC(c, n), "mom": lambda: talib.MOM(c, n),
        }[key]
        return [(nm(key), f())]
    if key == "obv":
        return [("obv", talib.OBV(c, v))]
    if key == "macd":
        m, s, hh = talib.MACD(c, it(p[0]), it(p[1]), it(p[2]))
        return [(nm("macd"), m), (nm("macd_signal"), s), (nm("macd_hist"), hh)]
    if key == "bbands":
        d = num(p[1])
        u, m, lo = talib.BBANDS(c, it(p[0]), d, d, 0)
        return [(nm("bb_upper"), u), (nm("bb_middle"), m), (nm("bb_lower"), lo)]
    if key == "stoch":
        k, d = talib.STOCH(h, l, c, it(p[0]), it(p[1]), 0, it(p[2]), 0)
        return [(nm("stoch_slowk"), k), (nm("stoch_slowd"), d)]
    if key == "stochrsi":
        k, d = talib.STOCHRSI(c, it(p[0]), it(p[1]), it(p[2]), 0)
        return [(nm("stochrsi_fastk"), k), (nm("stochrsi_fastd"), d)]
    if key == "aroon":
        dn, up = talib.AROON(h, l, it(p[0]))
        return [(nm("aroon_down"), dn), (nm("aroon_up"), up)]
    if key == "sar":
        return [(nm("sar"), talib.SAR(h, l, num(p[0]), num(p[1])))]
    if key == "keltner":
        n, an, mult = it(p[0]), it(p[1]), num(p[2])
        mid = talib.EMA(c, n)
        atr = talib.ATR(h, l, c, an)
        bad = np.isnan(mid) | np.isnan(atr)
        mid = nan_if(bad, mid)
        return [(nm("keltner_upper"), nan_if(bad, mid + mult * atr)), (nm("keltner_middle"), mid),
                (nm("keltner_lower"), nan_if(bad, mid - mult * atr))]
    if key == "donchian":
        n = it(p[0])
        up = rolling(h, n, np.max)
        lo = rolling(l, n, np.min)
        return [(nm("donchian_upper"), up), (nm("donchian_middle"), (up + lo) / 2.0), (nm("donchian_lower"), lo)]
    if key == "vwap":
        out = np.full(len(c), np.nan)
        day = None
        pv = vv = 0.0
        for i in range(len(c)):
            d = ts[i] // 86_400_000
            if d != day:
                day, pv, vv = d, 0.0, 0.0
            tp = (h[i] + l[i] + c[i]) / 3.0
            pv += tp * v[i]
            vv += v[i]
            if vv > 0:
                out[i] = pv / vv
        return [("vwap", out)]
    if key == "ichimoku":
        a, b, s = it(p[0]), it(p[1]), it(p[2])
        mid = lambda n: (rolling(h, n, np.max) + rolling(l, n, np.min)) / 2.0
        tenkan, kijun, span_b = mid(a), mid(b), mid(s)
        return [(nm("ichimoku_tenkan"), tenkan), (nm("ichimoku_kijun"), kijun),
                (nm("ichimoku_span_a"), (tenkan + kijun) / 2.0), (nm("ichimoku_span_b"), span_b)]
    raise SystemExit(f"unknown spec {spec}")


def fmt(x):
    return "" if np.isnan(x) else repr(float(x))


def main():
    print("TA-Lib", talib.__ta_version__, file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "specs.txt"), "w") as f:
        f.write(SPECS + "\n")
    for name, (o, h, l, c, v) in make_series().items():
        o, h, l, c, v = (np.ascontiguousarray(x, dtype=np.float64) for x in (o, h, l, c, v))
        ts = T0 + 300_000 * np.arange(len(c), dtype=np.int64)
        with open(os.path.join(OUT, f"{name}.input.csv"), "w") as f:
            f.write("timestamp,open,high,low,close,volume\n")
            for i in range(len(c)):
                f.write(f"{ts[i]},{fmt(o[i])},{fmt(h[i])},{fmt(l[i])},{fmt(c[i])},{fmt(v[i])}\n")
        cols = []
        for spec in SPECS.split(","):
            cols.extend(compute(spec, ts, o, h, l, c, v))
        with open(os.path.join(OUT, f"{name}.expected.csv"), "w") as f:
            f.write(",".join(n for n, _ in cols) + "\n")
            for i in range(len(c)):
                f.write(",".join(fmt(x[i]) for _, x in cols) + "\n")
        print(name, len(c), "rows,", len(cols), "columns", file=sys.stderr)


if __name__ == "__main__":
    main()
