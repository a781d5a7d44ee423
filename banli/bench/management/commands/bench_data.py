"""`banli bench_data`: the benchmark's province-scale dataset (banli.bench.generate)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from banli.bench.generate import DEFAULT_SEED, BenchDataError, Options, generate


class Command(BaseCommand):
    help = (
        "Fill an empty, migrated database with a deterministic province-scale dataset for "
        "the benchmark, and write its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=1_000_000)
        parser.add_argument(
            "--bodies", type=int, default=None, help="Default: 1,000, fewer for fewer items."
        )
        parser.add_argument("--units", type=int, default=None, help="Default: 20,000, scaled.")
        parser.add_argument("--users", type=int, default=None, help="Default: 50,000, scaled.")
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--workers", type=int, default=2, help="Writing processes (PostgreSQL)."
        )
        parser.add_argument(
            "--manifest", default=None, help="Default: $BANLI_VAR_DIR/bench-manifest.json"
        )

    def handle(self, *args, **opts):
        options = Options(
            items=opts["items"],
            bodies=opts["bodies"],
            units=opts["units"],
            users=opts["users"],
            years=opts["years"],
            seed=opts["seed"],
            workers=opts["workers"],
        )
        if options.items < 1:
            raise CommandError("--items must be at least 1.")
        path = Path(opts["manifest"] or Path(settings.VAR_DIR) / "bench-manifest.json")
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"Generating {options.items:,} items into the {engine} database…")
        try:
            manifest = generate(options, log=self.stdout.write)
        except BenchDataError as error:
            raise CommandError(str(error)) from error
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(
            f"{manifest['items']:,} items, {manifest['bodies']:,} bodies, "
            f"{manifest['units']:,} units, {manifest['users']:,} users "
            f"in {manifest['generated_seconds']:.1f}s; manifest: {path}"
        )
