#!/usr/bin/env python3
"""Independent reference for the certificate log's Merkle tree (tests/log_independent.rs).

Written straight from the recursive definitions of RFC 9162 (MTH §2.1.1, PATH §2.1.3.1,
PROOF/SUBPROOF §2.1.4.1) with hashlib only, sharing nothing with the Rust code, which computes
roots with a compact range and proofs from fetched subtrees.

Usage: log_reference.py N  -- prints JSON with, for the leaves d(i) = b"seconde-vie leaf <i>":
  roots:        MTH(D[n]) for n in 0..=N, hex
  inclusion:    [m, n, PATH(m, D[n])] for 1 <= n <= N, 0 <= m < n
  consistency:  [m, n, PROOF(m, D[n])] for 1 <= m <= n <= N
"""

import hashlib
import json
import sys


def sha256(data):
    return hashlib.sha256(data).digest()


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    if len(d) == 0:
        return sha256(b"")
    if len(d) == 1:
        return sha256(b"\x00" + d[0])
    k = largest_power_of_two_below(len(d))
    return sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m, d):
    if len(d) == 1:
        return []
    k = largest_power_of_two_below(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m, d):
    return subproof(m, d, True)


def main():
    n_max = int(sys.argv[1])
    leaves = [b"seconde-vie leaf %d" % i for i in range(n_max)]
    hexes = lambda hashes: [h.hex() for h in hashes]
    out = {
        "roots": [mth(leaves[:n]).hex() for n in range(n_max + 1)],
        "inclusion": [[m, n, hexes(path(m, leaves[:n]))] for n in range(1, n_max + 1) for m in range(n)],
        "consistency": [
            [m, n, hexes(proof(m, leaves[:n]))] for n in range(1, n_max + 1) for m in range(1, n + 1)
        ],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
