"""The CPU of each step of solidarity_booking.py's --flow, measured in one process (Django's test
client, the benchmark's production settings): web CPU (this process), PostgreSQL CPU (the
connection's backend) and SQL statements per request. See docs/benchmarks.md, "Solidarity
ticketing: opening rush and booking flow".

    .venv/bin/python benchmarks/solidarity_profile.py \\
        --database-url postgres://postgres@127.0.0.1:5432/guichet_bench_solprofile \\
        --cache-url redis://127.0.0.1:6379/4 [--profile "result page"] [--again]

It (re)creates the database and seeds it as solidarity_booking.py --flow does, then plays
`--flows` référents' flows one after the other (event list, event sheet, booking page,
"Enregistrer" of 3, result page, PDF; and the PDF of 4 reprinted) and prints each step's median
and mean CPU and statements. `--profile STEP` runs cProfile over that step's requests.
"""

import argparse
import cProfile
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.booking_flow import load_average  # noqa: E402  (after the path: run as a script)
from benchmarks.family_profile import (  # noqa: E402
    Meter,
    path_play,
    profile_options,
    profile_print,
    report,
    seeded_database,
)
from benchmarks.solidarity_booking import (  # noqa: E402
    PRINTED_INVITATIONS,
    flow_seed,
    flow_steps,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    profile_options(parser, database="guichet_bench_solprofile", cache_db=4)
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--warm", type=int, default=10, help="flows played before measuring")
    args = parser.parse_args()
    load_average("before")
    seeded = seeded_database(parser, args, flow_seed)
    from django.test import Client

    meter = Meter(args.profile)
    used: Counter = Counter()  # (structure, week): people of the structure booked that week
    printer_key, printed_id = seeded.printed
    printer = Client(HTTP_HOST="127.0.0.1")
    printer.cookies["sessionid"] = printer_key
    clients = []
    for number, referent in enumerate(seeded.referents):
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["sessionid"] = referent.session_key
        clients.append((client, referent, random.Random(number)))
    for n in range(args.warm + args.flows):
        if n == args.warm:
            meter.samples.clear()
            meter.profile = cProfile.Profile()
        client, referent, rng = clients[n % len(clients)]
        path_play(meter, client, flow_steps(referent, seeded.week_of, used, rng))
        pdf = f"/solidaire/reservations/{printed_id}/invitations.pdf"
        meter.send(printer, f"PDF of {PRINTED_INVITATIONS}", "get", pdf)
    report(meter, args.flows, "flow with the PDF of 4")
    load_average("after")
    if args.profile:
        profile_print(meter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
