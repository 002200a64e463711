"""Names vulture cannot see used (``tests/unit/test_code_hygiene.py``, ``[tool.vulture]`` in pyproject.toml).

Each group says who uses its names. Add a name only with such a reason: anything else
vulture reports is dead and goes. Route handlers (``@app.*``), pydantic validators,
``lambda_handler`` and ``model_config`` are left out by the configuration instead. A
name listed here that no longer exists in the code fails the hygiene test.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Request-body fields (pydantic): filled from JSON, stored whole through model_dump().
_.hamlet  # Address
_.commune  # Address, Origin
_.district  # Address, Origin
_.street  # Address
_.area_name  # Origin
_.latitude  # Origin
_.longitude  # Origin

# Item attributes (pynamodb) written to DynamoDB as index keys or history, never read back
# through the model: gsi1 (a producer's things) is not queried yet, the scan shards are
# read through the indexes below.
_.gsi1pk
_.gsi1sk
_.event_id
_.lot_shard
_.batch_shard
_.product_shard
_.producer_shard
_.province_shard
_.home_shard
_.verdict_shard
# The Scans table's indexes on ScanItem: pynamodb looks each up by its index name when
# ScanItem.query(index_name=...) runs (storage.inspection.query_scans).
_.by_lot
_.by_batch
_.by_product
_.by_producer
_.by_province
_.by_home_province
_.by_verdict
# The migration's report (ocop_stamps.migration.runner.Report): printed and logged whole (asdict).
_.retried
_._connection  # storage.models.bind_tables: pynamodb's cached connection, reset on rebinding

# Library settings and overrides called by the library.
_.useA85  # reportlab's rl_config (printing.render)
_.log_request  # werkzeug's request handler (ocop_local.server.QuietRequestHandler)

# The Lambda context interface, read by Powertools from the local stand-in (ocop_local.lambda_context).
_.memory_limit_in_mb
_.identity
_.client_context
_.invoked_function_arn
_.log_group_name
_.log_stream_name
_.get_remaining_time_in_millis

# Deliberate APIs used from outside the scanned tree (tests).
_.serving  # ocop_local.server: the local stack in a background thread (tests/helpers/local_stack.py)
_.reset_clients  # storage.printing: drop cached boto3 clients between moto contexts (tests/integration/test_print_files.py)
_.error_name  # printing.qr.QrLayout: the error level by name, compared with segno's (tests/integration/test_print_files.py)

# Powertools' tracing provider and segment interfaces (BaseProvider, BaseSegment), implemented
# by observability's offline provider: Powertools calls these methods (their argument names
# are in [tool.vulture] ignore_names).
_.add_subsegment
_.remove_subsegment
_.put_annotation
_.put_metadata
_.add_exception
_.in_subsegment
_.in_subsegment_async
_.patch
_.patch_all
_.disabled

# The local stack's background label-worker poller: tests that start one per module stop it
# (tests/e2e/test_cli_local_stack.py).
_.stop

# Issue 13 (storage.faults): pynamodb reads these Meta settings when it builds a model's
# connection; tests/integration/test_fault_rules.py reads ``retries_faults`` to prove every
# storage function that calls DynamoDB is under ``faults.retrying``.
_.max_retry_attempts
_.connect_timeout_seconds
_.read_timeout_seconds
_.retries_faults

# Issue 16 (ocop_local.backend): moto's own TransactWriteItems and Query, kept on the local
# stack's versions as ``__wrapped__`` so tests/integration/test_local_moto.py can compare the
# two; ``all_items`` is set on a moto Table for one Query, and moto's ``Table.query`` calls it.
_.__wrapped__
_.all_items

# Enum members of core.vocabulary reached only by iterating their enum (their labels are
# built from the catalogue, core.words, as ``{m: words.pair(f"section.{m.value}") for m in Enum}``)
# and by value from requests and stored items.
_.household  # ProducerKind
_.cooperative  # ProducerKind
_.cooperative_group  # ProducerKind
_.enterprise  # ProducerKind
_.individual  # ProducerKind
_.ornamental  # OcopGroup
_.community_tourism  # OcopGroup
_.damaged  # VoidReason
_.stolen  # VoidReason
_.destroyed  # VoidReason
_.misprinted  # VoidReason

# The scratch-off PIN (issue 14): the bound docs/PIN.md states, checked by tests/unit/test_pins.py
_.GUESS_ODDS
