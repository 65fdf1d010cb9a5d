"""HTTP API benchmark: orders per second and latency through the whole pipeline, over HTTP.

    .venv/bin/python -m bench.http_bench                 # the documented run (~1 minute)
    .venv/bin/python -m bench.http_bench --quick         # a smoke run (~15 seconds)
    .venv/bin/python -m bench.http_bench --write         # also update docs/benchmarks.md
    .venv/bin/python -m bench.http_bench --only postgres --trials 5   # the target, 5 more times

For each database (SQLite file, then a throw-away PostgreSQL database on 127.0.0.1:5432) the
benchmark migrates a fresh database, seeds three warehouses and 200 SKUs with ample stock,
starts the real app under uvicorn on a loopback port with as many worker processes as
`ordo serve --workers` would be given (SQLite 1, PostgreSQL 2; `--workers` overrides), and
drives it from this process:

- **ceiling**: `POST /bench/parse` on the same server: the body is parsed and validated into
  `OrderIn` and echoed, nothing else (no auth, no database); the most this server can do;
- **orders**: `POST /v1/orders` with a channel key: a 5-line order (5 distinct SKUs drawn
  from 200 stocked at all three warehouses) is authenticated,
  validated, sourced, reserved atomically, persisted with its shipments, traces, audit entry
  and outbox events, and returned as decided;
- **open loop**: orders offered at a fixed rate whatever the answers (0.25x the ceiling's
  rate, the target; and 60% of the closed loop's order rate), each timed from when it was
  due, so a server that falls behind shows it as latency.

The first two run N concurrent keep-alive clients (closed loop) for a fixed time, against the
same server processes, one after the other, after a warm-up. Throughput is completed requests
per second of wall time; latencies are per request as the client saw them. Every order must
come back 201 and `released`, or the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import os
import platform
import random
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

SECRET = "http-bench-secret-0123456789abcdef0123456789"
# A catalogue of 200 SKUs stocked everywhere; each order draws 5 distinct ones, so concurrent
# orders contend for stock rows the way a real assortment does, not all for the same five.
SKUS = tuple(f"BENCH-{n:03d}" for n in range(200))
LINES = 5
LOCATIONS = (("DAL-01", "75201"), ("RNO-02", "89501"), ("EWR-03", "07114"))
ANALYSIS = """
**Reading the figures.** req/s and latencies are wall-clock on shared cores and move with
whatever else runs; the CPU columns (per request, of the server processes, of PostgreSQL's
backends serving them, and of the load generator) move less, and add up to what one order
costs the two cores. The ceiling's rate is the load generator's as much as the server's: one
Python process running httpx spends about as much CPU per parse-only request as the server
(1.07-1.71 ms against 0.84-1.60 in the twelfth session's hour; until then a missing package
made it spend half as much again, see below), while every order competes with it, and with
PostgreSQL, for the same two cores. The "(CPU)" column leaves the load generator out: the
ceiling's server CPU per request over the orders'. This machine's speed also moves from hour
to hour (a virtual machine with neighbours): the same code measured 5.2 ms of server CPU per
order in the third session's quiet hour and 8.2 ms in the fourth's, 5.4-7.8 ms in the
tenth's, 2.2-2.7 ms in the eleventh's and 4.1-8.6 ms in the twelfth's. Compare runs taken
back to back, not across days.

**Fourteenth session (2026-11-23)**: no change to the order path; one run (`--only
postgres --trials 1`) on a slow hour, for the record. The ceiling read 530 req/s (561 in
the trial); each order cost the server 7.2 ms of CPU, PostgreSQL 3.4 ms and the load
generator 2.5 ms, 1.5-1.8 times the thirteenth session's hour. The closed loop carried
0.220x the ceiling ("(CPU)" 0.198x); offered 0.25x, p99 was 491 ms in the first table and
72.6 ms in the trial, the machine 79% busy. The thirteenth session's budget stands.

**Thirteenth session (2026-11-23)**: the target's rate costs about all of the two cores, so
it is not a question of latency alone. Two runs (`--only postgres`, `--trials 1` and
`--trials 2`), ceiling 883-1,226 req/s: **0 of 5** open-loop runs at the target kept p99
within 50 ms (833-3,158 ms), with the machine 97-98% busy in the trials.
- Each order cost the server 4.0-5.8 ms of CPU, PostgreSQL 2.0-2.8 and the load generator
  1.2-1.7: 7.3-8.7 ms in all, so the target's 221-306 orders per second ask for 1.8-2.3
  cores of the two. For p99 to stay low the cores need room to spare; at three quarters busy
  an order may cost 4.9-6.6 ms in all at these ceilings, which leaves the server and the
  database 30-40% less than they take (the twelfth session's "about a quarter" was its own
  hour's figures). The "(CPU)" column read 0.16-0.19x.
- One PostgreSQL round trip, timed alone (a prepared one-row `SELECT`, 5,000 times, psycopg
  against the server on loopback): 87 µs of the client's CPU and 44 µs of the backend's;
  `BEGIN` and `COMMIT` as their own round trips add 82 and 78 µs. The eight round trips of
  an order are about 1 ms of its 7.3-8.7, so merging any one of them saves about 1.5%.
- py-spy on a server process in the closed loop, sampling only while a thread holds the
  GIL (`--gil`): the request's handler 54% (the Decider 13%, the commit 15%, reading the
  catalogue and stock 9%, the reservations 3%), FastAPI, Starlette and uvicorn around it
  about 17%, the hand-off to and from the thread pool about 5%. No part is large enough
  that removing it would reach the target; it needs an order path several times cheaper,
  not another cut of a few percent.

**Twelfth session (2026-11-23)**: the load generator had been wasting a third of its CPU,
and with that fixed the target is further off than the eleventh session's figures said.
- httpcore's async client imports `sniffio` inside every lock and event it sets up, falling
  back to asyncio when the import fails. anyio stopped installing `sniffio` in 4.11, so in
  this environment the import failed on every request, and a failed import searches
  `sys.path` each time (encode/httpcore#1103): py-spy over the load generator found a
  quarter of its samples in `importlib`. The server never paid this (it does not use httpx's
  async client). `sniffio` is now a development dependency. In the same hour, nine runs
  before it read the ceiling at 360-608 req/s with the load generator at 1.36-1.76 times the
  server's CPU per request; five runs after, 480-858 req/s at 1.01-1.27 times.
- Earlier sessions' figures were most likely taken the same way (each installs the newest
  packages, and anyio 4.11 is from 2025), with a ceiling held down by the load generator,
  and the target's rate with it. With the ceiling read by a load generator that costs about
  what the server does, 0.25x of it is more than two cores carry beside the load generator
  and PostgreSQL with p99 within 50 ms: **0 of 18** open-loop runs at the target in five
  runs (two with `--trials 2`, three with `--trials 3`, the last of them documented above),
  p99 54-3,464 ms, the machine 72-97% busy in the trials. Before the change, in the same
  (slow) hour, 3 of 11 of the first table's runs at the target kept within 50 ms.
- By CPU, the server's cost per order over the ceiling's per request (the "(CPU)" column)
  was 0.19-0.25x in every run this session, with or without the change: an order costs the
  server what four to five of the ceiling's requests do, before PostgreSQL's 2.0-3.8 ms per
  order and the load generator's. The target needs the server's and the database's CPU per
  order cut by about a quarter, so that 0.25x is a load carried with room to spare; no
  single piece measured so far is more than a few percent of an order (see the sessions
  below).
- Two probes of the misses, with the disk's and every process's counters sampled every
  100-200 ms (`/proc/diskstats`, `/proc/PID/stat`): one 114 ms stall came with a 30 MB burst
  of writes to the disk in half a second (1.4 MB in every other half-second), the others
  with the two cores 76-97% busy and, where the disk was sampled, no burst. Flushing the
  page cache (`sync`) before each phase changed nothing (alternating runs, 3 each: 110.7,
  34.1, 129.4 ms at the target without it, 119.9, 33.2, 301.0 ms with it), so the write-back
  of pages a previous phase dirtied is not what the closed loop leaves behind.

**Eleventh session (2026-11-23)**: the load generator, not the server, was behind one kind of
miss, and it had held the ceiling down; the server's connection pool was behind another.
The machine ran about two and a half times as fast as in the tenth session (server CPU per
order 2.2-2.7 ms, PostgreSQL's 1.0-1.3, the ceiling 1,170-1,400 req/s), so the tables then
documented were this session's.
- httpx's connection pool walks every connection it holds on each request and release
  (polling each idle socket), so the load generator's CPU per request grew with the
  connections it had open. In the open loop a stall opened more of them, one for each order
  due meanwhile, and every later request cost more: in the session's first run the phase at
  the target (321 orders/s offered) fell behind to 180/s and a p99 of 15 s with the load
  generator at 4.9 ms of CPU per order, four times its cost in the trials of the same run,
  while the three trials kept p99 within 50 ms. The load generator now gives each
  connection a client of its own, handed out from a free list (`_Connections`), so its cost
  per request no longer depends on how many it holds. The same bookkeeping over the closed
  loop's 8 connections had cost a quarter of the ceiling's client CPU: measured back to back
  on one server, the ceiling read 1,030 and 956 req/s with the shared pool (load generator
  0.93-1.04 ms per request) and 1,349 and 1,258 with a client per connection (0.70-0.71 ms),
  1.3x. The target's rate rose with it, to 85-94% of what the closed loop carries.
- The server's connection pool was a second way to fall behind for good. SQLAlchemy closes
  an overflow connection as soon as it comes back to a full pool, and with 10 connections
  and 20 overflow per process a load hovering above ten orders in flight opened and closed
  PostgreSQL connections by the hundred: 593 new backends in one 12-second phase at the
  target (246 and 700 in two phases of another probe), each a fork and a log-in, and those
  phases carried 267-316 of 323-345 orders/s offered with p99 2.0-3.6 s. One benchmark run
  fell behind so (p99 1.4 s), its database CPU per order reading 0.10 ms because the
  backends it ran on had closed. The pool is now 10 connections and no overflow
  (`database.POOL_SIZE`): a request past it waits for one. Probes at 0.27x the ceiling then
  opened no connection after the first phase and carried all they were offered. The
  warm-up now includes an open loop, so each process fills its pool before anything is
  measured.
- Nine runs after the load generator's change (five with `--trials 5`, four with
  `--trials 3`, the last of them then documented; the last four with the fixed pool): p99
  at the target within 50 ms in 37 of 46 open-loop runs, and none fell behind after the
  pool's change. The misses are not spread evenly: the trials, each measured after a
  ceiling, kept within 50 ms in 35 of 37 (14-49 ms); the first table's run at the target,
  measured straight after the closed loop has saturated the server for 12 seconds, in 2 of
  9 (49 and 21 ms; the misses 52-131 ms and the one that fell behind). A probe timing each
  second of such a phase found its slowest orders in its first seconds (137-146 ms), and a
  5-second pause after the closed loop removed them (2 of 2); no autovacuum or checkpoint
  ran, and the kernel's write-back of 50-60 MB of dirty pages landed about 3 seconds in.
  What the closed loop leaves behind is not pinned down, and the protocol is unchanged.
  The machine was 73-87% busy at the target, which was 85-94% of what the closed loop
  carried. SQLite, with one writer, carries about 270-300 orders/s here, less than a
  quarter of the ceiling as now read, so its runs at the target fall behind.
- Where a server process's CPU goes at 250 orders/s (py-spy, samples of the thread holding
  the GIL, one worker, 20 s): the order's handler 62% (reading what the order is decided
  against and deciding it 23, of which the Decider itself 13; psycopg 17 in all; the commit
  with its one INSERT 15), uvicorn and its HTTP parser 16%, FastAPI's dependency resolution
  5%, the thread-pool hop about 5%. Nothing is a fifth of it.

**Tenth session (2026-11-23)**: the misses taken apart, with the whole machine's CPU
measured in each phase (now the trials table's last two columns, and the pooled p99 under
it). The server's cost per order did not move; the tables then documented were this session's.
- At the target the two cores were about half to four-fifths busy (49-83%). Per order: the
  server 5.4-7.8 ms, PostgreSQL 2.3-3.2 ms, the load generator 2.5-4.1 ms. The load
  generator runs the same code every time, so its 1.6x swing from one 12-second phase to the
  next is the machine's own speed.
- A probe script ran the trials' protocol alone (a ceiling, then a quarter of it offered),
  37 times in seven runs: p99 within 50 ms in 23. Of the 14 that missed, 11 had their slow
  orders (94-279 ms at worst) bunched into one to three seconds of the phase, and 3 fell
  behind for the whole phase: the ceiling was read in a fast moment (460, 486, 571 req/s)
  and a quarter of it (115, 122, 143 orders/s) was more than the next, slower 12 seconds
  could carry. The benchmark itself, run three times: 7 of 12 open-loop runs at the target
  within 50 ms (the documented run 4 of 4, pooled p99 41.6 ms); one fell behind at 149
  orders/s after a ceiling of 598 req/s. Pooled over a run's trials, p99 was 42-94 ms in
  runs where none fell behind, and seconds in runs where one did.
- Not the causes: PostgreSQL's active backends, sampled every ~5 ms, waited on row locks in
  0-5% of samples and on the log flush at commit (`WALSync`) in about a third; the server
  ran no full collection during any phase (young ones took 3-15 ms); the connection pool
  opened 5 connections in the first phase and none after.
- What HTTP costs on this machine, in server CPU per request at 100 requests/s: a raw ASGI
  app echoing the body 0.37-0.46 ms (uvicorn and the kernel); a FastAPI app with only the
  parse route 1.05-1.2 ms as `async def`, 1.5-1.8 ms as `def` (two thread-pool hops: the
  route and its response). In one process with no network the same async route costs
  0.145 ms: at 100 requests a second the framework's code runs cold every time. A bare
  thread-pool hop cost 108-136 µs of CPU this hour (about 60 in the ninth session).
- Tried and not kept: resolving the order route's credentials without FastAPI's two
  security sub-dependencies and its services dependency (380-450 µs of dependency
  resolution per order against 430-590, in one process: about 2% of an order, inside this
  hour's noise, and the OpenAPI security schemes would have had to be written by hand); one
  server process instead of two (the GIL caps it: all 8 trials missed, 5 fell behind).

**Ninth session (2026-11-23)**: the machine ran near the seventh session's speed (server
CPU per order 4.1-6.8 ms, the ceiling 395-585 req/s), and the run then documented was this
session's. Two more causes of the worst p99s were found, neither of them the server's CPU,
and the server's cost per order did not move.
- The load generator's own garbage collector: seeding the database imports the engine into
  it, and a full collection of that heap paused it for 60-85 ms two or three times a run
  (timed with `gc.callbacks` in the load generator). Timed from when each order was due,
  such a pause reads as that much more latency on every order due meanwhile. The load
  generator now leaves what it holds after seeding to the permanent generation
  (`gc.freeze`), and its full collections pause 4-14 ms. The collector stays on, so its
  cost per request, and the ceiling with it, are what they were (switching the collector
  off during phases raised the ceiling by 15-20%, and the target's rate with it).
- The disk. A probe timing an 8 kB `fdatasync` every 10 ms on PostgreSQL's disk, run
  alongside eleven 12-second open-loop phases at 120 orders/s, saw stalls of 75, 85 and
  109 ms in three of them (none over 5 ms in 3,663 at idle). PostgreSQL flushes its log at
  every commit (`synchronous_commit=on`, kept: an acknowledged order must survive a crash),
  so every order committing during a stall waits for it, and those arriving meanwhile queue
  behind: the slowest orders of those phases came at the stalls' moments. Other phases fell
  behind for seconds with no stall, no collection and no other process in sight: the
  virtual machine itself slowed.
- With both in view, five runs with three trials each (the last of them the run then
  documented): p99 at the target within 50 ms in 12 of 20 runs (26-43 ms) and over 100 ms
  in 2, against 8 and 2 of 16 in the eighth session on a machine half as fast.
- Measured and not kept: psycopg's pipeline mode, to send BEGIN with the first read and
  COMMIT with the INSERT (a transaction of four round trips cost 388-435 µs of CPU
  pipelined against 194 µs plain); four threads per server process instead of forty, again
  (p99 within 50 ms in 6 of 15 runs against 5 of 15, both with runs that fell behind);
  orjson for the order's response (17 µs of the response's 53: 0.3% of an order).
- Where the cost is, measured once more. In one process, a sync route's hand-off to the
  thread pool costs about 60 µs measured bare (anyio's `to_thread.run_sync`, against
  46-52 µs for asyncio's own executor: not worth a route of our own). A read through the
  unit of work costs about 300 µs more than the same read on a bare psycopg connection
  (455-480 against 159-189 µs), a third of it the session itself; the rest is SQLAlchemy's
  connection handling and the rows' translation into entities, a few microseconds each. A
  bare transaction costs 92 µs of CPU with a session and 27-39 µs on an SQLAlchemy
  `Connection`: taking the session off an order's path would save about 1%. PostgreSQL's
  own CPU per order (perf, on its backends): a quarter running the one INSERT's CTEs, a
  tenth parsing its JSON (`jsonb_in`), a twelfth starting its executor, 7% the commit, 2%
  compressing traces (TOAST). None of these is the fifth the target needs, and no single
  piece left is: the cost is spread over the framework's work per request, the unit of
  work, the Decider and the database's work per row, a few percent each.

**Eighth session (2026-11-23)**: the worst p99s had a cause besides load, garbage-collection
pauses; small cuts to the server's CPU per order; and a way to ask the target's question more
than once. The machine ran about twice as slow as in the seventh session's documented run for
most of it (server CPU per order 7.6-15 ms against 5.5, the ceiling 145-324 req/s), so its
figures were not written over the seventh session's table.
- Each order leaves about sixty objects in reference cycles (SQLAlchemy's session, its
  transaction and connection, their event dispatchers), which only the garbage collector
  frees, and a young collection pauses its process for as long as finding them takes. At the
  server's threshold of 50,000 allocations, one came every ~800 orders and paused for 80-90 ms
  (one process, 2,500 orders on PostgreSQL, this hour's machine): an open-loop run's p99 by
  itself. At 5,000 (`ordo.bootstrap.SERVER_GC_THRESHOLDS`) one comes every ~70 orders and
  pauses about 5 ms (9 at most), and the collector's total time is no higher. Four alternate
  benchmark runs of each, with three trials each: p99 at the target within 50 ms in 8 of 16
  runs and over 100 ms in 2 (36-123 ms), against 4 of 16 within 50 ms and 8 over 100 ms
  (38-512 ms).
- Authentication resolves in one dependency level instead of three (FastAPI walks every
  level on every request): about 50 µs less per request, measured in one process with the
  two versions interleaved. Rule traces are built as dicts directly instead of as frozen
  records first: 4.8% fewer instructions per traced decision (cachegrind, so not moved by
  the machine). Entity ids cost a quarter of what they did (about ten per order). Together 2-3%
  fewer instructions per order (cachegrind, twice: orders posted to the app in one process on
  SQLite, the client included, 13.4-13.6M -> 13.2M each); the target needs a further fifth.
- `--trials N` measures the ceiling again and offers orders at 0.25x of it N more times on
  the same server, and counts the runs whose p99 meets 50 ms. Before the collector's change,
  over 31 open-loop runs at the target of this and the session's starting code (0334e37),
  alternately and with the settings tried below, p99 was within 50 ms in 8 (31-48 ms) and
  above it in 23 (52-146 ms). The two codes fared alike (the starting code 1 of 8 in two
  alternate runs with three trials each, this code 1 of 4 in the one of its two that nothing
  else disturbed).
- Tried and not kept, each inconclusive at this noise: Python's thread switch interval
  (`sys.setswitchinterval`) at 0.5 ms instead of 5 (p99 54.7 and 31.3 ms against 53.4 and
  57.6), four server processes instead of two (67.3 and 42.8 ms against 51.6 and 60.0),
  three threads per process instead of forty (43.8 and 66.0 ms against 76.8 and 40.3).

**What changed (2026-11-22, seventh session)**: an order makes 8 round trips, not 9, and
PostgreSQL's CPU per order fell by about a quarter, the server's by about a tenth.
- Ordo's sessions set `random_page_cost` to 1.1 (`database.PLANNER_SETTINGS`, sent in the
  connection's start-up packet; a URL that sets it keeps its own). With the default 4,
  which prices a spinning disk, the planner scanned the bench's 600 stock rows whole for an
  order's five SKUs, comparing every row with every SKU, in the stock read and twice in the
  reservation UPDATE, and the 200 products likewise; now it probes the primary keys.
  Measured per statement on the order path without HTTP (each backend's run time from
  /proc/<pid>/schedstat around each statement, 800 orders): stock read 0.48 -> 0.22 ms,
  UPDATE 0.75 -> 0.39, products 0.25 -> 0.19; the database's 3.2 ms per order -> 2.5.
- Products and locations are kept per process (`engine/adapters/catalogue_cache.py`),
  never staler than a read: triggers raise one number in `catalogue_version` on every
  statement that writes them, and each transaction reads that number before using what
  its process kept. The products read becomes that one-row read; the locations read goes.
  Interleaved in one process (the cache switched on and off every 100 orders, 1,600
  orders, twice): the order path's own CPU 0.870x and 0.875x, the database's 0.92x and
  0.96x.
- The one INSERT unpacks its rows with `jsonb_populate_recordset`: from json text, each
  row's nested values (traces' details, events' payloads) were parsed a second time.
Through HTTP, alternately with the session's starting code (95f850b), three pairs of full
runs of this benchmark: PostgreSQL's CPU per order in the closed loop 3.60-4.50 ms against
2.78-3.38 (**0.77x** on the means); the server's, over all three phases with orders,
7.95 ms against 7.13 on the means (**0.90x**; 0.97x in the closed loop alone, where this
hour's swings are largest). Where PostgreSQL's time goes now (2.2 ms per order on the
path without HTTP): the INSERT about half (traces and outbox rows the most of it), the
UPDATE 0.33, COMMIT 0.22, the stock read 0.19, the catalogue number 0.13 (the
transaction's first statement), the day's release counts 0.12, the customer 0.07.

**Sixth session**: an order makes 9 round trips to PostgreSQL,
not 10, and its own Python work is about a sixth cheaper. Measured back to back against the
session's starting code (29e1e47), alternately: the order path without HTTP (the message
bus in one thread, 3 x 400 orders per run, the least of each run) 3.2-3.9 ms of CPU per
order against 3.0-3.6 (0.86x on the means of six pairs); through HTTP at a steady 100
orders/s (two server processes, 15 s, six pairs) server CPU 4.4-5.8 ms per order against
3.9-6.1, 0.92x on the means, 0.89x leaving out the first pair, taken as the machine slowed;
PostgreSQL's CPU per order unchanged (2.2-2.7 ms against 2.2-3.1). What went:
- the pool's pre-ping: a connection is pinged only when it sat idle for over a second
  (`database.PING_AFTER_IDLE_SECONDS`), not on every checkout, so a busy server no longer
  pays a round trip per order to learn that a connection used a moment ago still works;
- an order's reservations are one UPDATE, not a pipeline of one per row: a materialised CTE
  locks the rows in (sku, location) order first, so concurrent orders still cannot deadlock;
  psycopg's pipeline machinery had cost more client CPU than the five UPDATEs;
- the stock rows, products and locations an order is decided against are read for reading
  only (`StockRepository.read_for_skus`, `Repository.read_many`), not held for change
  tracking: each was dumped when read and again at commit to find no change (the products
  and locations came after the comparison above; with the stock rows about 2% of the
  order path's CPU, measured interleaved in one process);
- JSON columns are read by orjson where it reads them as the json module does (long
  integers, NaN and Infinity still go to the json module);
- the outbox rows are written from the events' values as they are, not from a deep copy.

**Fifth session**, measured back to back on PostgreSQL, two
server processes, the code at the start of the session (0b2d795) against this one (10 s
phases, alternately, two runs each): orders 113-115 req/s against 145; server CPU 9.6 ms per
order against 7.1; PostgreSQL's 3.4-3.7 ms against 3.2; closed-loop p99 140-144 ms against
99-103; offered 0.25x the ceiling in the open loop, p99 70-87 ms against 41-64. An order
now makes 10 round trips to PostgreSQL, not 22:
- the rows a commit adds (the order and its lines, reservations, shipments, traces, the audit
  entry, outbox events, the day's release counts) go as one statement
  (`driver.deferred_inserts`): each table's rows are one JSON parameter that PostgreSQL
  unpacks with `json_populate_recordset`, each table's INSERT a data-modifying CTE. It was
  nine INSERTs, each converted by psycopg anew (too long for its cache) with a few hundred
  parameters adapted one by one; the JSON is written by orjson;
- an order's five reservations go in one round trip (psycopg pipelines the conditional
  UPDATEs; the server still runs them in (sku, location) order, so no deadlocks);
- each SELECT is rendered once per shape of its IN lists, not on every read.

Earlier, in the fourth session: multi-row INSERTs instead of one statement per row; the
day's release counts kept per location instead of counted on every order; reads on the
driver's cursor; the Decider a quarter cheaper; the bench analyses the tables it loads.

**Latency, and the target.** With 8 closed-loop clients p99 is queueing at saturation: each
request waits behind the others in its process (p50 is about 8 / req/s). The open-loop rows
are the target's own question. **The target is not met reliably.** In the fifth session,
five of nine runs kept p99 within 50 ms offered 0.25x the ceiling (31-46 ms), four did not
(64-170 ms). In the sixth session's hours the machine's speed moved more than the code did:
the ceiling read 409-712 req/s from one run to the next, and where it was measured in a fast
moment and the orders in a slow one, 0.25x of it was more than the server could carry then
and the open loop fell behind (p99 from 0.2 to 10 s). Of nine runs of the starting code,
four fell behind, four kept p99 at 53-102 ms and one within 50 ms (33 ms); of eight of the
sixth session's code, four fell behind, three kept 58-110 ms and one within 50 ms (31 ms);
the run then documented was 110 ms. In the seventh session's hours the machine was slower
still (the ceiling read 327-531 req/s, server CPU per order 5-9 ms). Offered 0.25x the
ceiling: of nine runs of the code between the planner setting and the catalogue cache, three
kept p99 within 50 ms (22, 39, 40 ms), five did not (51, 55, 123, 155, 203 ms) and one fell
behind (7.1 s); of four runs of the session's final code, one did (30 ms) and three did not
(57 ms, the run then documented; 69, 167 ms); of seven runs of the session's starting code, five of
them alternately with these, three did (39, 44, 48 ms), one kept 78 ms and three fell
behind. With this machine's swings the same code lands on either side of 50 ms from one run
to the next; the starting code did no worse here, though the database's CPU per order was
higher in every pair. The closed loop carried 0.23-0.47x the ceiling (0.26-0.40x in the
seventh session's runs). 0.25x is about 80-85% of what two cores carry with the load
generator and PostgreSQL on them; the target needs the server's cost per order a further
fifth to a quarter lower (about a tenth came off in the sixth session; the seventh about a
quarter of PostgreSQL's share and a tenth of the server's), so that 0.25x is a load carried
with room to spare. (The ceiling moves too: when the machine is faster, the load generator
gets more of the two cores and the ceiling, and with it the target rate, rises.)

**Where the rest goes.** Of the server's CPU per order, about a quarter is HTTP, FastAPI and
pydantic on the event loop and the hand-off to the thread pool (the parse-only ceiling
route alone costs 0.7-1.3 ms); psycopg's own Python is about a sixth (eight round trips:
BEGIN, the catalogue's number, the stock, the customer, the day's release counts, the
reservations, the INSERT, COMMIT); the Decider about a sixth;
loading and building entities, the response, events, traces and audit rows the rest, each
a few percent. PostgreSQL's time per order is mostly the one INSERT statement (half:
about forty rows, thirteen of them outbox events, with their index entries and foreign-key
checks), then the reservations' UPDATE, the COMMIT and the stock read (see the seventh
session above).

**SQLite** has one writer at a time. Its transactions used to queue in SQLite's busy handler,
which sleeps in steps of up to 100 ms while the lock is free most of that time: p99 739 ms at
189 orders/s in a run of the third session. They queue on a lock per file inside the process
(`engine/adapters/database.py`), and p99 is the queue itself.
"""
SECTION = "## HTTP API"
# Issue 5: orders at >= 0.25x the ceiling on PostgreSQL with p99 <= 50 ms.
TARGET = 0.25
TARGET_P99_MS = 50.0
# The open-loop latency probe's load, as a share of the closed loop's order rate.
COMFORTABLE = 0.6
# Server processes per database, as `ordo serve --workers` would be set: SQLite has one
# writer at a time, so a second process gets no more orders through (193 req/s with two,
# 203 with one); PostgreSQL takes a process per core.
WORKERS = {"SQLite": 1, "PostgreSQL": 2}


@dataclass
class Phase:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_seconds: float = 0.0
    # PostgreSQL's backends serving the run (None: SQLite, which runs inside the server).
    database_cpu_seconds: float | None = None
    client_cpu_seconds: float = 0.0  # the load generator's (this process's) own
    # The whole machine's CPU busy during the phase, as a share of all its cores (every
    # process: the server, the database, the load generator and anything else), or None
    # where /proc/stat cannot be read.
    machine_busy: float | None = None

    @property
    def cpu_ms(self) -> float:
        """Server-process CPU per request: what the request costs, whatever else the machine
        is doing (the database server's own CPU is not included)."""
        return self._per_request(self.server_cpu_seconds)

    @property
    def database_cpu_ms(self) -> float | None:
        if self.database_cpu_seconds is None:
            return None
        return self._per_request(self.database_cpu_seconds)

    @property
    def client_cpu_ms(self) -> float:
        return self._per_request(self.client_cpu_seconds)

    def _per_request(self, seconds: float) -> float:
        return seconds * 1000 / self.requests if self.requests else 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# --- the server (child process) -------------------------------------------------------------


def _settings(url: str) -> Any:
    from ordo.settings import load_settings

    return load_settings(
        database_url=url, environment="test", secret_key=SECRET, log_level="WARNING"
    )


def bench_app() -> Any:
    """One server process's app: the real app for $BENCH_DATABASE_URL, plus the parse-only
    ceiling route (uvicorn's factory, in every worker process)."""
    from api.app import create_app
    from api.schemas.orders import OrderIn
    from ordo.bootstrap import build_app_container

    container = build_app_container(_settings(os.environ["BENCH_DATABASE_URL"]))
    app = create_app(container)
    container.warm_up()  # as `ordo serve` does

    def parse_only(body: OrderIn) -> OrderIn:
        return body

    # Real types, not this module's postponed strings, so FastAPI reads `body` as the JSON body.
    parse_only.__annotations__ = {"body": OrderIn, "return": OrderIn}
    app.post("/bench/parse", include_in_schema=False)(parse_only)
    return app


def _start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """uvicorn with `workers` processes on `port`, as `ordo serve --workers` runs it."""
    code = (
        "import uvicorn; uvicorn.run('bench.http_bench:bench_app', factory=True, "
        f"host='127.0.0.1', port={port}, workers={workers}, log_level='warning', "
        # Idle keep-alive connections outlive uvicorn's 5 s default here: in the open loop the
        # client holds hundreds, and one closed by the server as a request went out on it
        # failed that request (a race of the benchmark, not of the server under test).
        "access_log=False, timeout_keep_alive=120)"
    )
    environment = {**os.environ, "BENCH_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=environment)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (uvicorn's worker processes
    are children of its supervisor), from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0  # gone: a worker that exited no longer counts
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(child)) for child in children)


def _database_cpu(url: str) -> dict[int, float] | None:
    """CPU so far of each PostgreSQL backend connected to `url`'s database (the server's
    pooled connections), by process id, from /proc: the database's share of an order's cost.
    None for SQLite, or where those processes cannot be read (another host or user)."""
    if not url.startswith("postgresql"):
        return None
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        pids = [
            int(row[0])
            for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
        ]
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # ended since it was listed
        except OSError:
            return None
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def _machine_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine so far, all cores, from /proc/stat
    (Linux)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user, nice, system, idle, iowait, irq, softirq, steal (guest time is inside user):
    # busy is this machine's own work; steal, the hypervisor running others, is not.
    user, nice, system, idle, iowait, irq, softirq, steal = ticks[:8]
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal


def _measured(pid: int, url: str, run: Callable[[], Phase]) -> Phase:
    before = _cpu_seconds(pid)
    database = _database_cpu(url)
    machine = _machine_ticks()
    client = time.process_time()
    phase = run()
    phase.client_cpu_seconds = time.process_time() - client
    phase.server_cpu_seconds = _cpu_seconds(pid) - before
    machine_now = _machine_ticks()
    if machine is not None and machine_now is not None and machine_now[1] > machine[1]:
        phase.machine_busy = (machine_now[0] - machine[0]) / (machine_now[1] - machine[1])
    after = _database_cpu(url)
    if database is not None and after is not None:
        # Per backend, those alive at the end: one the pool closed during the phase takes
        # its CPU with it (a little under, never a negative figure).
        phase.database_cpu_seconds = sum(
            cpu - database.get(backend, 0.0) for backend, cpu in after.items()
        )
    return phase


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the data -------------------------------------------------------------------------------


def _prepare(url: str) -> str:
    """Migrate, seed, and return a channel key for `url`."""
    from decimal import Decimal

    from engine.adapters.migrations import upgrade
    from engine.adapters.orm_api import SqlApiKeyStore
    from engine.domain.catalog import Location, LocationType, Product
    from engine.domain.inventory import Stock
    from engine.domain.values import Address
    from engine.service_layer.auth import create_api_key
    from ordo.bootstrap import build_app_container

    upgrade(url)
    with build_app_container(_settings(url)) as container:
        with container.uow_factory() as uow:
            for code, postal in LOCATIONS:
                # A high-volume DC: the default daily capacity (1,000 shipments) would fill up
                # during a run and send the later orders to backorder.
                uow.locations.add(
                    Location(
                        code,
                        code,
                        LocationType.WAREHOUSE,
                        Address(postal_code=postal),
                        daily_capacity=1_000_000,
                    )
                )
            for sku in SKUS:
                uow.products.add(Product(sku, sku, price=Decimal("12.50"), weight_kg=0.5))
                for code, _ in LOCATIONS:
                    uow.stock.add(Stock(sku, code, on_hand=50_000_000))
            uow.commit()
        # Statistics for the planner on the tables just loaded, as a database in service has
        # them (autovacuum analyses a table once enough of it changes): without them
        # PostgreSQL reads a stock row through the location index, filtering that location's
        # 200 rows on every reservation, for the whole of a run. Not the empty tables the run
        # fills: analysed empty, their foreign-key checks are planned as scans of a table of
        # no rows, and those plans stay cached in each connection as the orders pile up.
        with container.engine.begin() as connection:
            for table in ("locations", "products", "stock"):  # SQLite takes one per statement
                connection.exec_driver_sql(f"ANALYZE {table}")
        _, key = create_api_key(
            SqlApiKeyStore(container.session_factory),
            "bench",
            "channel",
            server_secret=SECRET,
            channel="bench",
        )
    return key


def _order() -> dict[str, Any]:
    return {
        "channel_order_id": f"B-{secrets.token_hex(8)}",
        "customer_id": "C-BENCH",
        "email": "bench@example.com",
        "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY"},
        "lines": [
            {"sku": sku, "quantity": 1 + i % 2} for i, sku in enumerate(random.sample(SKUS, LINES))
        ],
    }


# --- the load generator ---------------------------------------------------------------------


class _Connections:
    """Keep-alive connections to the server, one single-connection httpx client each,
    handed out and taken back in constant time; at most `limit` of them, after which a
    request waits for the first one given back.

    Not one client with a pool: httpx's pool walks every connection it holds on each request
    and release (polling each idle socket), so the load generator's CPU per request grew
    with its connections. In the open loop a stall opens more of them (each order due
    meanwhile takes a new one), after which every request cost more: one phase at the target
    fell behind with the load generator at 4.9 ms of CPU per order, four times its usual, and
    never caught up, though the server could have carried nearly twice the orders that
    reached it. With 8 closed-loop clients that bookkeeping was a quarter of the ceiling's
    client CPU, which held the ceiling down."""

    def __init__(self, base: str, timeout: float, limit: int) -> None:
        self._base, self._timeout, self._limit = base, timeout, limit
        # One for all: httpx builds an SSL context per client otherwise (18 ms of CPU each),
        # though these connections are plain HTTP.
        self._ssl = ssl.create_default_context()
        self._idle: list[httpx.AsyncClient] = []
        self._opened: list[httpx.AsyncClient] = []
        self._waiting: collections.deque[asyncio.Future[httpx.AsyncClient]] = collections.deque()

    async def take(self) -> httpx.AsyncClient:
        if self._idle:
            return self._idle.pop()
        if len(self._opened) >= self._limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            return await waiter
        client = httpx.AsyncClient(
            base_url=self._base,
            timeout=self._timeout,
            verify=self._ssl,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        self._opened.append(client)
        return client

    def give_back(self, client: httpx.AsyncClient) -> None:
        if self._waiting:
            self._waiting.popleft().set_result(client)  # first come, first served
        else:
            self._idle.append(client)

    async def close(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._opened))


async def _drive(
    base: str,
    path: str,
    headers: dict[str, str],
    clients: int,
    seconds: float,
    check: Callable[[httpx.Response], bool],
) -> Phase:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connections = _Connections(base, timeout=30, limit=clients)

    async def one_client(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            body = _order()
            started = time.perf_counter()
            response = await client.post(path, json=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if not check(response):
                errors += 1
                if errors <= 3:
                    print(f"  unexpected {response.status_code}: {response.text[:300]}")

    try:
        started = time.perf_counter()
        opened = [await connections.take() for _ in range(clients)]
        await asyncio.gather(*(one_client(client) for client in opened))
        elapsed = time.perf_counter() - started
    finally:
        await connections.close()
    return Phase(path, len(latencies), errors, elapsed, latencies)


async def _offer(
    base: str,
    path: str,
    headers: dict[str, str],
    rate: float,
    seconds: float,
    check: Callable[[httpx.Response], bool],
) -> Phase:
    """Open loop: start a request every 1/`rate` seconds whether or not earlier ones have
    answered, and time each from when it was due, not from when it went out: a server that
    falls behind shows it as latency instead of the load generator quietly waiting for it
    (the closed loop's "coordinated omission"). Each request goes out on an idle connection,
    or a new one when none is idle, up to 256."""
    latencies: list[float] = []
    errors = 0
    # At most 256 connections, as before: past them an order waits for one, and the wait
    # counts in its latency like any other.
    connections = _Connections(base, timeout=60, limit=256)

    async def one(due: float) -> None:
        nonlocal errors
        client = await connections.take()
        try:
            response = await client.post(path, json=_order(), headers=headers)
        except httpx.TransportError as error:
            errors += 1
            print(f"  request failed: {type(error).__name__}: {error}")
            return
        finally:
            connections.give_back(client)
        latencies.append((time.perf_counter() - due) * 1000)
        if not check(response):
            errors += 1

    try:
        started = time.perf_counter()
        pending = []
        for n in range(int(rate * seconds)):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(one(due)))
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - started
    finally:
        await connections.close()
    return Phase(f"{path} at {rate:.0f}/s", len(latencies), errors, elapsed, latencies)


def _released(response: httpx.Response) -> bool:
    return response.status_code == 201 and response.json().get("status") == "released"


def _parsed(response: httpx.Response) -> bool:
    return response.status_code == 200


def run_database(
    label: str,
    url: str,
    clients: int,
    seconds: float,
    warmup: float,
    workers: int,
    trials: int = 0,
) -> dict[str, Phase]:
    key = _prepare(url)
    # This process is the load generator, and its own collector's full collections were
    # among an open-loop run's worst latencies: timed from when each order was due, a
    # 60-85 ms pause here reads as that much more on every order due meanwhile, none of it
    # the server's. The heap they walked is the engine imported for seeding, which the
    # load generator keeps and never frees: the permanent generation takes it out of them.
    gc.collect()
    gc.freeze()
    port = _free_port()
    server = _start_server(url, port, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        headers = {"X-API-Key": key}
        warm = asyncio.run(_drive(base, "/v1/orders", headers, clients, warmup, _released))
        # The open loop has more orders in flight at a moment than the closed loop's clients,
        # and a server process opens the rest of its connection pool then, each connection a
        # new PostgreSQL backend whose caches start empty: the first open-loop phase after
        # start-up paid for that (11 to 31 new backends in it, p99 200-500 ms; none after).
        # Warm them too, near the rate the closed loop carried, before anything is measured.
        asyncio.run(_offer(base, "/v1/orders", headers, 0.9 * warm.rate, warmup, _released))
        asyncio.run(_drive(base, "/bench/parse", {}, clients, warmup / 2, _parsed))
        pid = server.pid

        def parse_only() -> Phase:
            return asyncio.run(_drive(base, "/bench/parse", {}, clients, seconds, _parsed))

        def orders_offered_at(rate: float) -> Phase:
            return _measured(
                pid,
                url,
                lambda: asyncio.run(_offer(base, "/v1/orders", headers, rate, seconds, _released)),
            )

        ceiling = _measured(pid, url, parse_only)
        orders = _measured(
            pid,
            url,
            lambda: asyncio.run(_drive(base, "/v1/orders", headers, clients, seconds, _released)),
        )
        # The target's own question: at a quarter of the ceiling's rate, offered whatever
        # the answers, does p99 stay within 50 ms? And the latency at a load this server
        # carries (60% of what the closed loop got through).
        open_loop = {
            "at_target": orders_offered_at(TARGET * ceiling.rate),
            "at_60_percent": orders_offered_at(COMFORTABLE * orders.rate),
        }
        # One run's p99 at the target is one sample of a noisy machine: each trial measures
        # the ceiling again and offers orders at the target's share of that, back to back.
        for n in range(trials):
            again = open_loop[f"trial {n + 1} ceiling"] = parse_only()
            open_loop[f"trial {n + 1}"] = orders_offered_at(TARGET * again.rate)
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    phases = {"ceiling": ceiling, "orders": orders, **open_loop}
    for phase in phases.values():
        if phase.errors:
            raise SystemExit(f"{label} {phase.name}: {phase.errors} unexpected responses")
    return phases


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server process exited during start-up")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /health within 60 seconds")


# --- databases ------------------------------------------------------------------------------


def _sqlite(directory: str) -> str:
    return f"sqlite:///{directory}/bench.sqlite3"


def _postgres_create() -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"ordo_bench_{secrets.token_hex(4)}"
    admin = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]

    def drop() -> None:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


# --- report ---------------------------------------------------------------------------------


def report(
    results: dict[str, dict[str, Phase]], clients: int, seconds: float, workers: dict[str, int]
) -> str:
    processes = ", ".join(f"{label} {workers[label]}" for label in results)
    lines = [
        SECTION,
        "",
        "`.venv/bin/python -m bench.http_bench` — the real app under uvicorn on a loopback port "
        f"(worker processes: {processes}; as `ordo serve --workers N` runs it), driven from one",
        f"asyncio process, {seconds:.0f} s per phase after a warm-up. **orders**: "
        "`POST /v1/orders`, a 5-line order (5 of 200 SKUs stocked at 3 warehouses)",
        "authenticated, validated, sourced, reserved atomically, persisted with shipments, "
        "traces, audit entry and outbox events, returned decided (every response checked: 201 "
        "and `released`). **ceiling**: the same server's `POST /bench/parse`, which only parses "
        f"and validates the same body. Both with {clients} concurrent keep-alive clients (closed "
        "loop: each sends its next request when the last is answered). **open loop**: orders "
        "offered at a fixed rate whatever the answers, each timed from when it was due, so a "
        f"server that falls behind shows it as latency: at {TARGET:g}× the ceiling's rate (the "
        f"target), and at {COMFORTABLE:.0%} of the closed loop's order rate.",
        "",
        "| database | phase | req/s | p50 ms | p99 ms | requests | server CPU ms/req "
        "| database CPU ms/req | load generator CPU ms/req | orders ÷ ceiling (req/s) | (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, phases in results.items():
        ceiling, orders = phases["ceiling"], phases["orders"]
        cpu_ratio = ceiling.cpu_ms / orders.cpu_ms if orders.cpu_ms else 0.0
        named = (
            ("ceiling", ceiling),
            ("orders", orders),
            (f"orders offered at {TARGET:g}× ceiling (open loop)", phases["at_target"]),
            (f"orders offered at {COMFORTABLE:.0%} of orders (open loop)", phases["at_60_percent"]),
        )
        for name, phase in named:
            cells = " | "
            if phase is not ceiling:
                ratio = phase.rate / ceiling.rate if ceiling.rate else 0.0
                cpu = f"{cpu_ratio:.3f}×" if phase is orders else ""
                cells = f"{ratio:.3f}× | {cpu}"
            lines.append(
                f"| {label} | {name} | {phase.rate:,.0f} | {phase.pct(50):.1f} | "
                f"{phase.pct(99):.1f} | {phase.requests:,} | {phase.cpu_ms:.2f} | "
                f"{_database_cell(phase)} | {phase.client_cpu_ms:.2f} | {cells} |"
            )
    for label, phases in results.items():
        trials = [
            (phases[f"{name} ceiling"], phase)
            for name, phase in phases.items()
            if name.startswith("trial ") and not name.endswith(" ceiling")
        ]
        if trials:
            met = sum(phase.pct(99) <= TARGET_P99_MS for _, phase in trials)
            # Every order offered at the target in this run, the first table's open-loop
            # phase at the target and the trials together: a 12-second phase's p99 is its
            # dozen slowest orders, so one stall of the machine decides it; pooled, the
            # runs estimate p99 at this load.
            runs = (phases["at_target"], *(phase for _, phase in trials))
            pooled = Phase("pooled", 0, 0, 0.0, [ms for run in runs for ms in run.latencies_ms])
            lines += [
                "",
                f"**{label}, the target tried {len(trials)} more times** (`--trials`): each "
                f"trial measures the ceiling again and offers orders at {TARGET:g}× it. "
                f"p99 within {TARGET_P99_MS:g} ms in **{met} of {len(trials)}**. Load "
                "generator CPU per order is the same code's cost each time, so it gauges the "
                "machine's speed in that trial; machine busy is every process's CPU over all "
                "cores.",
                "",
                "| trial | ceiling req/s | orders offered /s | orders req/s | p50 ms | p99 ms "
                "| server CPU ms/order | database CPU ms/order "
                "| load generator CPU ms/order | machine busy |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for n, (ceiling, phase) in enumerate(trials, 1):
                busy = "" if phase.machine_busy is None else f"{phase.machine_busy:.0%}"
                lines.append(
                    f"| {n} | {ceiling.rate:,.0f} | {TARGET * ceiling.rate:,.0f} | "
                    f"{phase.rate:,.0f} | {phase.pct(50):.1f} | {phase.pct(99):.1f} | "
                    f"{phase.cpu_ms:.2f} | {_database_cell(phase)} | "
                    f"{phase.client_cpu_ms:.2f} | {busy} |"
                )
            lines += [
                "",
                f"All {len(trials) + 1} open-loop runs at the target taken together (the "
                f"phase in the first table and the trials): p99 {pooled.pct(99):.1f} ms over "
                f"{len(pooled.latencies_ms):,} orders.",
            ]
    lines += [
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores shared "
        f"with the load generator (and other work), Python {platform.python_version()}; "
        f"1-minute load average at the end: {os.getloadavg()[0]:.1f}.",
        f"Target (issue 5): orders ≥ {TARGET:g}× the ceiling on PostgreSQL with p99 ≤ "
        f"{TARGET_P99_MS:g} ms.",
        "",
        *ANALYSIS.strip("\n").splitlines(),
        "",
    ]
    return "\n".join(lines)


def _database_cell(phase: Phase) -> str:
    database = phase.database_cpu_ms
    return "in the server" if database is None else f"{database:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (`ordo serve --workers`) for both databases "
        f"(default: {', '.join(f'{k} {v}' for k, v in WORKERS.items())})",
    )
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument(
        "--trials",
        type=int,
        default=0,
        help="after the phases, measure the ceiling and offer orders at the target's share "
        "of it this many more times, and count the runs whose p99 meets the target",
    )
    parser.add_argument("--only", choices=("sqlite", "postgres"), default=None)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 12.0)
    warmup = 1.0 if args.quick else 3.0
    results: dict[str, dict[str, Phase]] = {}
    workers = {label: args.workers or count for label, count in WORKERS.items()}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as directory:
            print("SQLite ...", flush=True)
            results["SQLite"] = run_database(
                "SQLite",
                _sqlite(directory),
                args.clients,
                seconds,
                warmup,
                workers["SQLite"],
                args.trials,
            )
    if args.only in (None, "postgres"):
        url, drop = _postgres_create()
        try:
            print("PostgreSQL ...", flush=True)
            results["PostgreSQL"] = run_database(
                "PostgreSQL",
                url,
                args.clients,
                seconds,
                warmup,
                workers["PostgreSQL"],
                args.trials,
            )
        finally:
            drop()
    text = report(results, args.clients, seconds, workers)
    print(text)
    if args.write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
