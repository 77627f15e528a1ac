#!/usr/bin/env python3
"""Times TA-Lib on an OHLCV CSV and compares with FinanceHub's indicator benchmark.

usage: python3 scripts/talib_bench.py --input FILE.csv [--financehub-output BENCH.txt] [--repetitions 5]

FILE.csv has the header timestamp,open,high,low,close,volume (scripts/make_ohlcv.py writes one).
BENCH.txt holds the output of `financehub bench indicators --input FILE.csv`: lines `<key> <ns> ns/bar`.
TA-Lib runs each indicator with the same parameters as IndicatorBenchmark (best of N, ns per bar,
including the allocation of the output arrays, as in FinanceHub's numbers), prints
`<key> <ns> ns/bar` lines and `sum10`, and with --financehub-output a ratio table (FinanceHub / TA-Lib;
below 1 means FinanceHub is faster).
"""
import argparse
import time

import numpy as np
import talib

CORE = ["sma", "ema", "rsi", "macd", "bbands", "stoch", "willr", "atr", "obv", "cci"]


def functions(o, h, l, c, v):
    return {
        "sma": lambda: talib.SMA(c, 20),
        "ema": lambda: talib.EMA(c, 20),
        "rsi": lambda: talib.RSI(c, 14),
        "macd": lambda: talib.MACD(c, 12, 26, 9),
        "bbands": lambda: talib.BBANDS(c, 20, 2.0, 2.0, 0),
        "stoch": lambda: talib.STOCH(h, l, c, 14, 3, 0, 3, 0),
        "willr": lambda: talib.WILLR(h, l, c, 14),
        "atr": lambda: talib.ATR(h, l, c, 14),
        "obv": lambda: talib.OBV(c, v),
        "cci": lambda: talib.CCI(h, l, c, 20),
        "wma": lambda: talib.WMA(c, 20),
        "dema": lambda: talib.DEMA(c, 20),
        "tema": lambda: talib.TEMA(c, 20),
        "adx": lambda: talib.ADX(h, l, c, 14),
        "plus_di": lambda: talib.PLUS_DI(h, l, c, 14),
        "minus_di": lambda: talib.MINUS_DI(h, l, c, 14),
        "mfi": lambda: talib.MFI(h, l, c, v, 14),
        "roc": lambda: talib.ROC(c, 10),
        "mom": lambda: talib.MOM(c, 10),
        "stochrsi": lambda: talib.STOCHRSI(c, 14, 5, 3, 0),
        "natr": lambda: talib.NATR(h, l, c, 14),
        "aroon": lambda: talib.AROON(h, l, 14),
        "sar": lambda: talib.SAR(h, l, 0.02, 0.2),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--financehub-output")
    ap.add_argument("--repetitions", type=int, default=5)
    args = ap.parse_args()
    data = np.loadtxt(args.input, delimiter=",", skiprows=1, dtype=np.float64)
    o, h, l, c, v = (np.ascontiguousarray(data[:, i]) for i in range(1, 6))
    n = len(c)
    talib_ns = {}
    for key, fn in functions(o, h, l, c, v).items():
        best = None
        for _ in range(args.repetitions):
            t0 = time.perf_counter_ns()
            fn()
            dt = time.perf_counter_ns() - t0
            best = dt if best is None else min(best, dt)
        talib_ns[key] = best / n
        print(f"{key} {talib_ns[key]:.2f} ns/bar")
    talib_sum = sum(talib_ns[k] for k in CORE)
    print(f"sum10 {talib_sum:.2f} ns/bar")
    if args.financehub_output:
        ours = {}
        with open(args.financehub_output) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2:
                    try:
                        ours[parts[0]] = float(parts[1])
                    except ValueError:
                        pass
        print()
        print(f"{'indicator':<10} {'financehub':>11} {'ta-lib':>9} {'ratio':>7}")
        for key in list(talib_ns) + ["sum10"]:
            t = talib_sum if key == "sum10" else talib_ns[key]
            if key in ours:
                flag = "" if key == "sum10" or ours[key] <= 1.5 * t else "  > 1.5x"
                if key == "sum10" and ours[key] > t:
                    flag = "  > TA-Lib"
                print(f"{key:<10} {ours[key]:>11.2f} {t:>9.2f} {ours[key] / t:>7.2f}{flag}")
        for key in ours:
            if key not in talib_ns and key != "sum10":
                print(f"{key:<10} {ours[key]:>11.2f} {'-':>9} {'-':>7}  (no TA-Lib equivalent)")


if __name__ == "__main__":
    main()
