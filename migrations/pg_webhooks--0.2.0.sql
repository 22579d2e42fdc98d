-- pg_webhooks 0.2.0: generated from sql/ by make; do not edit

-- sql/roles/roles.sql
-- The three roles of contract §2. Roles are cluster-wide, so create them only
-- where missing: a second database or a reinstall must not fail.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'webhooks_publisher') THEN
        CREATE ROLE webhooks_publisher NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'webhooks_worker') THEN
        CREATE ROLE webhooks_worker NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'webhooks_admin') THEN
        CREATE ROLE webhooks_admin NOLOGIN;
    END IF;
END
$roles$;

-- sql/schema/schema.sql
-- The schema belongs to the extension (the control file names none, so the
-- script makes it and DROP EXTENSION removes it); the plain psql -f install
-- makes it the same way.
CREATE SCHEMA webhooks;
COMMENT ON SCHEMA webhooks IS 'pg_webhooks: transactional webhooks';
/* nobody but the roles below may see into the schema */
REVOKE ALL ON SCHEMA webhooks FROM PUBLIC;
GRANT USAGE ON SCHEMA webhooks TO webhooks_publisher, webhooks_worker, webhooks_admin;

-- sql/functions/is_valid_event_type_name.sql
-- Lower-case dot-separated segments of [a-z0-9_-]+, at most 128 characters (contract §3).
CREATE OR REPLACE FUNCTION webhooks.is_valid_event_type_name(name text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN length(name) <= 128 AND name ~ '^[a-z0-9_-]+(\.[a-z0-9_-]+)*$';

COMMENT ON FUNCTION webhooks.is_valid_event_type_name(text) IS
    'true when name is a valid event type: lower-case dot-separated segments of [a-z0-9_-], at most 128 characters';

-- sql/functions/pattern_error.sql
-- Why a subscription pattern is invalid, or NULL when it is valid.
-- A pattern is dot-separated segments, each a literal [a-z0-9_-]+ or '*'
-- (exactly one segment), with '>' allowed as the last segment (one or more
-- segments). A pattern that can never match a valid name is invalid too.
CREATE OR REPLACE FUNCTION webhooks.pattern_error(pattern text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN pattern IS NULL OR pattern = '' THEN 'a pattern may not be empty'
    WHEN pattern !~ '^(([a-z0-9_-]+|\*)\.)*([a-z0-9_-]+|\*|>)$' THEN
        format('pattern "%s" is invalid: use dot-separated segments of [a-z0-9_-], "*" for one segment, ">" as the last segment for one or more', pattern)
    -- the shortest name it matches: every wildcard stands for one character
    WHEN length(translate(pattern, '*>', 'xx')) > 128 THEN
        format('pattern "%s" can never match: event type names are at most 128 characters', pattern)
END;

COMMENT ON FUNCTION webhooks.pattern_error(text) IS
    'NULL when the subscription pattern is valid, else a message saying why not';

-- sql/functions/pattern_matches.sql
-- Whether a valid pattern matches an event type name. Patterns hold only
-- [a-z0-9_-.*>], so the translation to a regular expression needs no escaping
-- beyond the dots.
CREATE OR REPLACE FUNCTION webhooks.pattern_matches(pattern text, event_type text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN event_type ~ (
    '^' ||
    replace(replace(replace(pattern, '.', '\.'),
                    '*', '[a-z0-9_-]+'),
            '>', '[a-z0-9_-]+(\.[a-z0-9_-]+)*') ||
    '$');

COMMENT ON FUNCTION webhooks.pattern_matches(text, text) IS
    'true when the subscription pattern (exact, "*" one segment, ">" one or more trailing segments) matches the event type';

-- sql/functions/redact_url.sql
-- A subscription URL as people may see it: userinfo (user:password@) and
-- query values replaced by ***, so credentials carried in a URL never reach
-- a view, an operational event, an error message or a log line
-- (contract §9). Only webhooks.subscriptions.url itself, which only admins
-- and workers read, holds the URL as written.
--   https://user:pw@h.example/p?token=abc&x=1  ->  https://***@h.example/p?token=***&x=***
CREATE OR REPLACE FUNCTION webhooks.redact_url(url text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN (
    SELECT CASE WHEN q = 0 THEN u
                ELSE left(u, q) || regexp_replace(substr(u, q + 1), '(^|&)([^=&#]*)=[^&#]*', '\1\2=***', 'g') END
      FROM (SELECT u, strpos(u, '?') AS q
              FROM (SELECT regexp_replace(url, '^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@', '\1***@') AS u) a) b
);

COMMENT ON FUNCTION webhooks.redact_url(text) IS
    'the URL with userinfo and query values replaced by ***: what views, events, errors and logs show';

-- sql/functions/url_error.sql
-- Why a subscription URL is unacceptable, or NULL: an absolute http:// or
-- https:// URL with a host, a port from 1 to 65535 if one is given, no white
-- space or control characters, at most 2048 characters (what the worker
-- could not send is refused now rather than failing at every attempt).
-- The message never repeats credentials: the URL is shown through
-- webhooks.redact_url, and only where it is a URL at all (contract §9).
CREATE OR REPLACE FUNCTION webhooks.url_error(url text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN url IS NULL OR url = '' THEN 'url may not be empty: give an absolute http:// or https:// URL'
    WHEN length(url) > 2048 THEN
        format('url is %s characters long; at most 2048 are accepted', length(url))
    WHEN url ~ '[\x01-\x1f\x7f]' THEN
        'url is invalid: it contains a control character (a line break, tab or other non-printing character)'
    WHEN url !~* '^https?://' THEN
        CASE WHEN url ~* '^[a-z][a-z0-9+.-]*://'
             THEN format('url is invalid: the scheme "%s" is not accepted; only http:// and https:// URLs are',
                         lower(substring(url from '^([A-Za-z][A-Za-z0-9+.-]*)://')))
             ELSE 'url is invalid: it is not an absolute URL; only http:// and https:// URLs are accepted' END
    WHEN url ~ '\s' THEN format('url "%s" is invalid: it contains white space', webhooks.redact_url(url))
    WHEN url !~* '^https?://([^/?#@]+@)?(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?([/?#].*)?$' THEN
        format('url "%s" is invalid: it needs a host name or address', webhooks.redact_url(url))
    WHEN coalesce(substring(url from '^[A-Za-z]+://(?:[^/?#@]+@)?(?:\[[^]]*\]|[^/?#:]+):([0-9]+)')::int, 1) NOT BETWEEN 1 AND 65535 THEN
        format('url "%s" is invalid: port %s is out of range (1 to 65535)', webhooks.redact_url(url),
               substring(url from '^[A-Za-z]+://(?:[^/?#@]+@)?(?:\[[^]]*\]|[^/?#:]+):([0-9]+)'))
END;

COMMENT ON FUNCTION webhooks.url_error(text) IS
    'NULL when url is an absolute http:// or https:// URL with a host (port 1-65535, no white space or control characters, at most 2048 characters), else a message saying why not that never shows credentials';

-- sql/functions/header_error.sql
-- The request headers the worker sets itself or that belong to the HTTP
-- connection, which a subscription may not set. The worker refuses the same
-- names: both sides are checked against tests/data/delivery-rules.json
-- ("reserved_headers"), the one home of this list.
CREATE OR REPLACE FUNCTION webhooks.reserved_headers()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN ARRAY['content-type', 'content-length', 'host', 'user-agent',
             'webhook-id', 'webhook-timestamp', 'webhook-signature',
             'transfer-encoding', 'connection', 'expect', 'te', 'upgrade',
             'keep-alive', 'proxy-connection', 'trailer'];

COMMENT ON FUNCTION webhooks.reserved_headers() IS
    'lower-case names of the request headers a subscription may not set (the worker sets them or they belong to the connection)';

-- Why a subscription's extra headers are unacceptable, or NULL: a JSON object
-- of at most 50 headers, each a valid HTTP header name that is not reserved,
-- with a string value of at most 4096 characters and no control characters
-- but tab. A message names the header, never repeats its value (a value is
-- often a credential: contract §9).
CREATE OR REPLACE FUNCTION webhooks.header_error(headers jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN headers IS NULL THEN 'headers may not be NULL: use ''{}'' for no extra headers'
    WHEN jsonb_typeof(headers) <> 'object' THEN
        format('headers must be a JSON object of strings, such as {"authorization": "Bearer ..."}; got a JSON %s', jsonb_typeof(headers))
    WHEN (SELECT count(*) FROM jsonb_object_keys(headers)) > 50 THEN
        format('headers has %s entries; at most 50 are allowed', (SELECT count(*) FROM jsonb_object_keys(headers)))
    ELSE (
        SELECT CASE
            WHEN length(k) > 256 THEN
                format('header name %s... is %s characters long; at most 256 are allowed', quote_literal(left(k, 40)), length(k))
            WHEN k !~ '^[A-Za-z0-9!#$%&''*+.^_`|~-]+$' THEN
                format('header name %s is invalid: use letters, digits and !#$%%&''*+-.^_`|~ only', quote_literal(left(k, 100)))
            WHEN lower(k) = ANY (webhooks.reserved_headers()) THEN
                format('header "%s" may not be set: the worker sets it or it belongs to the connection (reserved: %s)',
                       k, array_to_string(webhooks.reserved_headers(), ', '))
            WHEN jsonb_typeof(v) <> 'string' THEN
                format('header "%s" must have a string value, not a JSON %s', k, jsonb_typeof(v))
            WHEN v #>> '{}' ~ '[\x01-\x08\x0a-\x1f\x7f]' THEN
                format('header "%s" has a value with a control character (line break or other non-printing character); only printable text and tab are allowed', k)
            WHEN length(v #>> '{}') > 4096 THEN
                format('header "%s" has a value of %s characters; at most 4096 are allowed', k, length(v #>> '{}'))
        END
          FROM jsonb_each(headers) AS h(k, v)
         WHERE length(k) > 256
            OR k !~ '^[A-Za-z0-9!#$%&''*+.^_`|~-]+$'
            OR lower(k) = ANY (webhooks.reserved_headers())
            OR jsonb_typeof(v) <> 'string'
            OR v #>> '{}' ~ '[\x01-\x08\x0a-\x1f\x7f]'
            OR length(v #>> '{}') > 4096
         ORDER BY k
         LIMIT 1)
END;

COMMENT ON FUNCTION webhooks.header_error(jsonb) IS
    'NULL when headers is a JSON object of valid, unreserved header names with printable string values, else a message naming the header (never its value)';

-- sql/functions/secret_error.sql
-- Why a supplied signing secret is unacceptable, or NULL: whsec_ followed by
-- the base64 of 24 to 64 bytes (contract §4).
CREATE OR REPLACE FUNCTION webhooks.secret_error(secret text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    key_bytes int;
BEGIN
    IF secret IS NULL OR left(secret, 6) <> 'whsec_' THEN
        RETURN 'secret must start with "whsec_" followed by base64 of 24 to 64 random bytes';
    END IF;
    IF substr(secret, 7) !~ '^[A-Za-z0-9+/]+={0,2}$' THEN
        RETURN 'secret is not valid base64 after "whsec_"';
    END IF;
    BEGIN
        key_bytes := length(decode(substr(secret, 7), 'base64'));
    EXCEPTION WHEN invalid_parameter_value THEN
        RETURN 'secret is not valid base64 after "whsec_"';
    END;
    IF key_bytes NOT BETWEEN 24 AND 64 THEN
        RETURN format('secret decodes to %s bytes; it must be 24 to 64', key_bytes);
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION webhooks.secret_error(text) IS
    'NULL when secret is whsec_ + base64 of 24..64 bytes, else a message saying why not';

-- sql/functions/generate_secret.sql
-- A fresh signing secret: whsec_ + base64 of 32 random bytes.
-- pgcrypto may live in any schema (CREATE EXTENSION ... CASCADE puts it in
-- webhooks, a managed database may have it in public), so find it instead of
-- relying on search_path.
CREATE OR REPLACE FUNCTION webhooks.generate_secret()
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    crypto_schema name;
    key bytea;
BEGIN
    SELECT n.nspname INTO crypto_schema
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pgcrypto';
    IF crypto_schema IS NULL THEN
        RAISE EXCEPTION 'pg_webhooks needs the pgcrypto extension to generate secrets'
            USING HINT = 'CREATE EXTENSION pgcrypto;';
    END IF;
    EXECUTE format('SELECT %I.gen_random_bytes(32)', crypto_schema) INTO key;
    RETURN 'whsec_' || encode(key, 'base64');
END
$$;

COMMENT ON FUNCTION webhooks.generate_secret() IS
    'a fresh signing secret: whsec_ + base64 of 32 random bytes (pgcrypto)';

-- sql/schema/event_types.sql
-- The registry of event types (contract §3). Events reference it by foreign key.
CREATE TABLE webhooks.event_types (
    name        text PRIMARY KEY
                CONSTRAINT event_types_name_format CHECK (webhooks.is_valid_event_type_name(name)),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE webhooks.event_types IS
    'registered event types: lower-case dot-separated segments of [a-z0-9_-], at most 128 characters';

-- sql/schema/subscriptions.sql
-- The operator's interface (contract §4): plain INSERT / UPDATE / DELETE in
-- psql. The BEFORE trigger _100_validate checks every column with clear
-- messages (sql/triggers/subscriptions_validate.sql) before any constraint
-- runs: a failing CHECK or NOT NULL prints the whole row, secret and header
-- values included. The simple CHECKs below are a backstop for writes that
-- bypass triggers (replication role); URL and secret rules live only in the
-- trigger, so that a rule tightened in a new version applies to what is
-- written from then on and never breaks the worker's updates of an older row.
CREATE TABLE webhooks.subscriptions (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL UNIQUE CONSTRAINT subscriptions_name_not_blank CHECK (btrim(name) <> ''),
    url                  text NOT NULL,
    event_types          text[] NOT NULL CONSTRAINT subscriptions_event_types_not_empty CHECK (cardinality(event_types) > 0),
    secret               text NOT NULL DEFAULT webhooks.generate_secret(),
    enabled              boolean NOT NULL DEFAULT true,
    auto_disabled_at     timestamptz,
    consecutive_failures int NOT NULL DEFAULT 0,
    last_error           text,
    retry_schedule       interval[] NOT NULL DEFAULT '{5s,5min,30min,2h,5h,10h,10h}'
                         CONSTRAINT subscriptions_retry_schedule_valid CHECK (array_position(retry_schedule, NULL) IS NULL),
    timeout              interval NOT NULL DEFAULT '10s'
                         CONSTRAINT subscriptions_timeout_range CHECK (timeout > '0' AND timeout <= '5 min'),
    max_in_flight        int NOT NULL DEFAULT 64 CONSTRAINT subscriptions_max_in_flight_positive CHECK (max_in_flight > 0),
    circuit_threshold    int NOT NULL DEFAULT 5 CONSTRAINT subscriptions_circuit_threshold_positive CHECK (circuit_threshold > 0),
    headers              jsonb NOT NULL DEFAULT '{}',
    -- internal state, not part of the contract
    previous_secret            text,  -- still signs until previous_secret_expires_at (rotate_secret)
    previous_secret_expires_at timestamptz,
    probe_at             timestamptz, -- a tripped circuit may be probed from then on
    probe_cooldown       interval,    -- current cool-down; doubles on each failed probe
    probe_message_id     bigint,      -- the message claimed as the current probe of a tripped circuit
    last_claimed_at      timestamptz, -- last claim of its messages; every claim writes the row (see webhooks.claim)
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE webhooks.subscriptions IS
    'webhook subscribers; administer with plain SQL (INSERT ... RETURNING secret to copy the generated secret)';
COMMENT ON COLUMN webhooks.subscriptions.event_types IS
    'patterns: exact name, "*" for one segment, ">" as last segment for one or more';
COMMENT ON COLUMN webhooks.subscriptions.enabled IS
    'false = paused by the operator (auto_disabled_at NULL) or tripped by the circuit; setting it true clears the failure state';
COMMENT ON COLUMN webhooks.subscriptions.retry_schedule IS
    'delay before attempt 2, 3, ...; length + 1 = max attempts; each delay jittered by ±20%; at most 50 delays, each 0 to 7 days';
COMMENT ON COLUMN webhooks.subscriptions.url IS
    'http:// or https:// URL the worker POSTs to; may carry credentials, which every view, event and error shows redacted';
COMMENT ON COLUMN webhooks.subscriptions.timeout IS
    'per request, 1 ms to 5 min';
COMMENT ON COLUMN webhooks.subscriptions.max_in_flight IS
    'concurrent requests to this subscription across all workers, 1 to 100000';
COMMENT ON COLUMN webhooks.subscriptions.headers IS
    'extra request headers, a JSON object of at most 50 strings; may not set the headers in webhooks.reserved_headers()';
COMMENT ON COLUMN webhooks.subscriptions.circuit_threshold IS
    'consecutive failed attempts that trip the circuit, 1 to 1000000';

-- sql/schema/routes.sql
-- Which subscription receives which registered event type, precomputed from
-- the patterns so that fan-out at publish is one index lookup however many
-- subscriptions do not match. Kept current by triggers on event_types and
-- subscriptions (sql/triggers/).
CREATE TABLE webhooks.routes (
    event_type      text   NOT NULL REFERENCES webhooks.event_types (name) ON DELETE CASCADE,
    subscription_id bigint NOT NULL REFERENCES webhooks.subscriptions (id) ON DELETE CASCADE,
    PRIMARY KEY (event_type, subscription_id)
);
CREATE INDEX routes_subscription_id ON webhooks.routes (subscription_id);

COMMENT ON TABLE webhooks.routes IS
    'derived: (event type, subscription) pairs whose patterns match; maintained by triggers';

-- sql/schema/events.sql
-- What happened: append-only, one row per published event, payload stored
-- once however many subscribers.
-- event_type has no foreign key (issue 10): the check would lock the type's
-- row FOR KEY SHARE in every publishing transaction, one hot row shared by
-- all publishers (MultiXacts). Not yet measured in isolation: the
-- write-path bench runs before and after were on a box too differently loaded
-- to compare (docs/benchmarks.md, "Write path"). The accept trigger refuses unknown types by
-- name, and deleting a type that events use is refused
-- (sql/triggers/event_types_validate.sql).
CREATE TABLE webhooks.events (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_type            text NOT NULL,
    payload               jsonb NOT NULL,
    idempotency_key       text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    -- operational events are never routed to the subscription they are about
    about_subscription_id bigint,
    -- true: checked and queued for fan-out by the extension's own publishing
    -- code (webhooks.store_event, or the _100_accept trigger for a direct
    -- INSERT), so the row triggers for direct INSERTs skip it. Publishers
    -- and admins cannot set it (column privileges, sql/roles/grants.sql).
    -- NULL: history restored from a backup of a version without it.
    admitted              boolean
);
-- Index entries are what a publishing transaction pays for beyond the row
-- itself (issue 10): a key is unique per type, but events without one (most)
-- get no entry; webhooks.purge and event_type_status find events by
-- created_at through a BRIN index, as events are appended in time order.
-- Measured with a throwaway variant of bench/write-path/cost (a SECURITY
-- DEFINER trigger writing only the event; one client, fsync on, CPU per
-- transaction, one run, +-15 %): 224 us with a full unique index and a
-- btree on created_at, 172 us with these two (plain INSERT: 102 us).
CREATE UNIQUE INDEX events_idempotency_key ON webhooks.events (event_type, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_created_at ON webhooks.events USING brin (created_at);

COMMENT ON TABLE webhooks.events IS
    'published events, append-only; INSERT here or call webhooks.publish inside the application transaction';
COMMENT ON COLUMN webhooks.events.idempotency_key IS
    'a key seen before for the same event type publishes nothing new';

-- sql/schema/settings.sql
-- Limits an admin sets and a publisher's session cannot raise (contract §9).
-- A row overrides the built-in default; no row = the default. The install
-- writes no row, so a pg_dump backup restores exactly the admin's rows
-- (a row made by the install would collide with the restored one).
--   INSERT INTO webhooks.settings VALUES ('webhooks.max_payload_bytes', 2097152)
--       ON CONFLICT (name) DO UPDATE SET value = excluded.value;
CREATE TABLE webhooks.settings (
    name  text PRIMARY KEY
          CONSTRAINT settings_name_known CHECK (name IN ('webhooks.max_payload_bytes')),
    value bigint NOT NULL,
    -- hard ceiling 16 MiB: a worker holds a batch of bodies in memory
    CONSTRAINT settings_max_payload_bytes_range
        CHECK (name <> 'webhooks.max_payload_bytes' OR value BETWEEN 1024 AND 16777216)
);

COMMENT ON TABLE webhooks.settings IS
    'limits set by an admin: webhooks.max_payload_bytes (default 1048576, between 1024 and 16777216); a session SET does not change them';

-- sql/schema/waiting_workers.sql
-- Workers blocked waiting for work (webhooks.worker_waiting). The wake-up
-- rule (issue 10): a publishing transaction NOTIFYs channel webhooks only
-- while this table has a row, so that on a busy system no publishing commit
-- takes the cluster-wide NOTIFY lock. The publishing paths check it in the
-- same statement that queues their events (webhooks.store_event, the
-- watched-table trigger, the _100_accept trigger of webhooks.events).
-- Why: a transaction that has notified takes a cluster-wide lock at commit
-- and holds it through its WAL flush, so with a NOTIFY on every publish all
-- publishing commits in the cluster serialise. On 0.1.0 removing the NOTIFY
-- alone raised watched-table INSERTs from 1,125 to 2,590 tps against ~7,000
-- unwatched (8 clients, fsync on). A busy worker claims again by itself and
-- needs no wake-up; an idle one is woken within milliseconds.
-- Measured: WAITING=1 bench/write-path/run (one worker declared waiting all
-- along, so every commit notifies) against bench/write-path/run (none
-- waiting); bench/latency/run 500,2000 8 for commit -> arrival with one
-- worker. Figures in docs/benchmarks.md, "Write path" and "Latency".
-- Worst case: while a worker waits, every publishing commit notifies (and
-- serialises as on 0.1.0) until that worker is busy again and withdraws
-- (worker_waiting(id, false) when a claim comes back full); a worker that
-- died while waiting keeps publishers notifying until any worker calls
-- worker_waiting again, which removes rows of connections that are gone.
-- A publisher that checked just before a worker declared itself sends no
-- NOTIFY; the worker's claim after declaring and its short re-polls (5 and
-- 25 ms) pick its event up. Several events in one transaction queue one
-- notification: PostgreSQL folds identical NOTIFYs of a transaction.
-- UNLOGGED: after a crash it is empty, and every worker declares itself
-- again the next time it waits; nothing in it needs a backup.
CREATE UNLOGGED TABLE webhooks.waiting_workers (
    worker_id     text PRIMARY KEY,
    backend_pid   int NOT NULL,           -- the LISTEN connection that declared it
    backend_start timestamptz NOT NULL,   -- with the pid: a dead connection's row is recognised
    since         timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE webhooks.waiting_workers IS
    'internal: workers waiting for a NOTIFY; publishers notify only while one is here';

-- sql/schema/messages.sql
-- The hot outbox: one row per (event, subscription) still to be sent, or
-- failed and kept for webhooks.replay. Delivered messages are deleted (their
-- story is in webhooks.deliveries), so the table and its indexes stay small.
CREATE TABLE webhooks.messages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign keys (issue 10): each would take a KEY SHARE lock from every
    -- publishing transaction, on its own new event row (a WAL record per
    -- message) and on the one hot subscription row (a MultiXact as soon as two
    -- publishers overlap). Their guarantees are kept otherwise: events are
    -- deleted only by webhooks.purge, never while a message references them;
    -- a deleted subscription's messages go with it
    -- (sql/triggers/subscriptions_forget.sql). Not yet measured in isolation
    -- (docs/benchmarks.md, "Write path").
    event_id         uuid   NOT NULL,
    subscription_id  bigint NOT NULL,
    state            text   NOT NULL DEFAULT 'pending' CONSTRAINT messages_state CHECK (state IN ('pending', 'failed')),
    attempts         int    NOT NULL DEFAULT 0,  -- attempts made so far
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,         -- the worker holding the lease (for people; fencing uses lease_token)
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- the claim (webhooks.leases) whose results may move this message; NULL
    -- when not leased. A result carrying another token is only logged.
    lease_token      uuid
);
-- The claim walks one subscription's due messages in order. A claim sets
-- next_attempt_at to the lease's expiry, so a leased message leaves the due
-- range and comes back into it by itself if its lease runs out.
CREATE INDEX messages_due ON webhooks.messages (subscription_id, next_attempt_at) WHERE state = 'pending';
-- Leases still running per subscription: max_in_flight is counted here, so an
-- expired lease stops counting without anyone having to clean it up. The
-- claim reads it with ORDER BY ... LIMIT max_in_flight (a plain index scan,
-- which skips entries it has found dead before) rather than count(*) (a
-- bitmap scan that re-reads every dead entry: 15,000 entries and 300 heap
-- pages for 200 live leases on 0.1.0 before ANALYZE, issue 10).
CREATE INDEX messages_leased ON webhooks.messages (subscription_id, lease_expires_at) WHERE lease_owner IS NOT NULL;
CREATE INDEX messages_failed ON webhooks.messages (subscription_id) WHERE state = 'failed';
CREATE INDEX messages_event_id ON webhooks.messages (event_id);

-- A queue table lives on deletes: vacuum it early and often.
ALTER TABLE webhooks.messages SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.02
);

COMMENT ON TABLE webhooks.messages IS
    'outbox: messages not yet delivered (pending) or given up on (failed, kept for webhooks.replay)';

-- sql/schema/fan_out_queue.sql
-- Events published but not yet turned into messages (issue 10). Publishing
-- writes the event and one row here naming the subscriptions routed to it at
-- that moment (contract §5: those, no more, no fewer); webhooks.fan_out_queued,
-- which every claim runs first, turns the row into one message per
-- subscription outside the publisher's transaction.
-- Why: a message row and its three index entries per subscription, inside
-- the application's transaction, are ~400 bytes of WAL per event and grow
-- with the subscriptions: one event for 1,000 subscriptions cost its
-- publisher 10.5 ms with messages made at publish, 1.7 ms with this row
-- (bench/fan-out/run, median of 20). For one subscription the CPU is about
-- level: bench/write-path/cost, CPU per single-row INSERT transaction, plain
-- 110 us, event + message at publish 286-302 us, as shipped 292-330 us
-- (docs/benchmarks.md, "Write path").
-- No index: the only reader takes whatever rows it can lock (SKIP LOCKED) and
-- deletes them; a sequential scan of a table this small is the cheapest
-- access, and no index entry is written per event. Vacuumed early and often,
-- as it lives on deletes. Backed up with the rest (sql/schema/dump_config.sql),
-- so a restore delivers what was still queued.
CREATE TABLE webhooks.fan_out_queue (
    event_id         uuid        NOT NULL,
    -- the event's created_at: its messages are due from then, so that they
    -- keep the order in which their events were published
    published_at     timestamptz NOT NULL,
    subscription_ids bigint[]    NOT NULL
);
ALTER TABLE webhooks.fan_out_queue SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_vacuum_insert_threshold = 1000
);

COMMENT ON TABLE webhooks.fan_out_queue IS
    'internal: published events not yet turned into messages, with the subscriptions routed to them at publish time; emptied by webhooks.fan_out_queued (every claim runs it)';

-- sql/schema/deliveries.sql
-- The attempt log: one row per HTTP attempt, append-only (sql/triggers/
-- deliveries_append_only.sql); only webhooks.purge removes old history.
CREATE TABLE webhooks.deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid   NOT NULL,
    subscription_id bigint NOT NULL,
    attempt         int    NOT NULL,
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    status_code     int,
    duration_ms     int,
    outcome         text   NOT NULL CONSTRAINT deliveries_outcome CHECK (outcome IN ('delivered', 'retrying', 'failed')),
    error           text,
    response        text,  -- first KiB of the response body
    worker_id       text
);
CREATE INDEX deliveries_subscription_attempted_at ON webhooks.deliveries (subscription_id, attempted_at);
CREATE INDEX deliveries_event_id ON webhooks.deliveries (event_id);
CREATE INDEX deliveries_attempted_at ON webhooks.deliveries (attempted_at);

COMMENT ON TABLE webhooks.deliveries IS
    'every delivery attempt: outcome, status code, duration, error, first KiB of the response; append-only';

-- sql/schema/leases.sql
-- One row per call of webhooks.claim that returned something: the lease
-- token it handed out and, for each message, the facts a result needs to be
-- logged whatever happens to the message afterwards (contract §9: every
-- request has exactly one row in webhooks.deliveries). Written once by claim;
-- record and release add the ids they finished to `done`; a lease whose every
-- message is done is `finished_at` and kept a while so a repeated record is
-- recognised (idempotency per (lease_token, message_id)), then deleted.
-- Arrays rather than a row per message: one insert per claim and one update
-- per (record, token), not one per message.
CREATE TABLE webhooks.leases (
    token            uuid PRIMARY KEY,
    worker_id        text NOT NULL,
    claimed_at       timestamptz NOT NULL,  -- clock_timestamp() of the claim (circuit rule, see record)
    expires_at       timestamptz NOT NULL,  -- the latest lease expiry of its messages
    message_ids      bigint[] NOT NULL,
    event_ids        uuid[]   NOT NULL,
    subscription_ids bigint[] NOT NULL,
    attempts         int[]    NOT NULL,     -- the attempt number each message was sent as
    probe_ids        bigint[] NOT NULL DEFAULT '{}',  -- messages claimed as a tripped circuit's probe
    done             bigint[] NOT NULL DEFAULT '{}',  -- recorded or released
    finished_at      timestamptz
);
-- webhooks.record deletes finished leases after 10 minutes and abandoned
-- ones (a worker that died) a day after they expired, walking this index.
CREATE INDEX leases_claimed_at ON webhooks.leases (claimed_at);
ALTER TABLE webhooks.leases SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0
);
COMMENT ON TABLE webhooks.leases IS
    'internal: one row per claim (lease token, worker, and per message its event, subscription and attempt), so every result is logged exactly once';

-- Per subscription, what the circuit and the alerts need beyond the
-- contract's columns of webhooks.subscriptions (written only on failures).
CREATE TABLE webhooks.subscription_health (
    subscription_id     bigint PRIMARY KEY REFERENCES webhooks.subscriptions (id) ON DELETE CASCADE,
    -- when the last failure that counted towards the circuit was recorded:
    -- a failure counts only if its request was claimed after this
    failure_counted_at  timestamptz,
    last_status_code    int,
    last_response       text,   -- first bytes of the last failed response
    -- webhooks.message.failed coalescing: when the last one was published,
    -- and the failures since then not yet reported
    failed_reported_at  timestamptz,
    failed_unreported   int NOT NULL DEFAULT 0,
    failed_last         jsonb   -- the last unreported failure (message, event, status, error)
);
COMMENT ON TABLE webhooks.subscription_health IS
    'internal: circuit and alert state per subscription (last counted failure, last response, unreported failures)';

-- sql/schema/dump_config.sql
-- pg_dump leaves out the rows of an extension's tables unless the extension
-- marks them: without this a backup would keep the schema and lose every
-- subscription, queued message and attempt. The operational event types are
-- made by the install itself, so they are left out of the dump. routes is
-- derived (triggers rebuild it while subscriptions are restored).
-- pg_extension_config_dump exists only inside CREATE EXTENSION; a plain
-- psql -f install has no extension for pg_dump to skip, so nothing to mark.
DO $dump$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_webhooks') THEN
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.event_types', $w$WHERE name NOT LIKE 'webhooks.%'$w$);
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.subscriptions', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.events', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.messages', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.fan_out_queue', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.deliveries', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.settings', '');
        -- identity sequences too, so restored ids do not collide with new ones
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.subscriptions', 'id')::regclass, '');
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.messages', 'id')::regclass, '');
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.deliveries', 'id')::regclass, '');
    END IF;
END
$dump$;

-- sql/functions/payload_within_limit.sql
-- The payload limit (contract §5, §9): a payload whose JSON text is larger than
-- webhooks.max_payload_bytes is refused with an error giving both sizes;
-- otherwise true, so that set-based inserts can use it in a WHERE clause.
-- The limit lives in webhooks.settings, which only an admin writes; a session
-- SET webhooks.max_payload_bytes changes nothing. Callers compute the size
-- and call this only above 1024 bytes (the smallest limit allowed), so the
-- common small event pays no lookup. Internal, like webhooks.store_event:
-- called as the owner by functions that pin search_path, so no SET clause.
CREATE OR REPLACE FUNCTION webhooks.payload_within_limit(payload_bytes bigint)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    max_bytes bigint := coalesce((SELECT s.value FROM webhooks.settings s WHERE s.name = 'webhooks.max_payload_bytes'), 1048576);
BEGIN
    IF payload_bytes > max_bytes THEN
        RAISE EXCEPTION 'payload of % bytes exceeds the limit of % bytes (webhooks.max_payload_bytes)', payload_bytes, max_bytes
            USING ERRCODE = 'program_limit_exceeded',
                  HINT = 'an admin sets the limit in webhooks.settings (at most 16777216 bytes)';
    END IF;
    RETURN true;
END
$$;

COMMENT ON FUNCTION webhooks.payload_within_limit(bigint) IS
    'internal: true, or an error naming both sizes for a payload larger than webhooks.max_payload_bytes (webhooks.settings)';

/* internal to the publishing paths, which run as the extension's owner */
REVOKE ALL ON FUNCTION webhooks.payload_within_limit(bigint) FROM PUBLIC;

-- sql/functions/idempotent_event.sql
-- Idempotency keys (contract §5): an event published again with a key seen
-- before for the same type publishes nothing new; its publisher gets the
-- first event's id. Returns that id, or NULL when the key is new, in which
-- case the caller inserts the event in the same transaction.
-- Publishers of one key are serialised by a transaction-scoped advisory lock,
-- so under READ COMMITTED the lookup (a fresh snapshot per statement) sees a
-- winner that committed while we waited; under REPEATABLE READ the unique
-- constraint events_idempotency_key still refuses the duplicate.
-- Internal, like webhooks.store_event: called as the owner by functions
-- that pin search_path, so no SET clause; every name is qualified.
-- Only events with a key come here: the common keyless publish pays nothing.
CREATE OR REPLACE FUNCTION webhooks.idempotent_event(event_type text, idempotency_key text)
RETURNS uuid
LANGUAGE plpgsql
AS $$
BEGIN
    IF idempotent_event.idempotency_key = '' THEN
        RAISE EXCEPTION 'idempotency_key may not be empty (pass NULL for none)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.octet_length(idempotent_event.idempotency_key) > 255 THEN
        RAISE EXCEPTION 'idempotency_key of % bytes is too long: at most 255 bytes', pg_catalog.octet_length(idempotent_event.idempotency_key)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(idempotent_event.event_type || '/' || idempotent_event.idempotency_key, 7270));
    RETURN (SELECT e.id FROM webhooks.events e
             WHERE e.event_type = idempotent_event.event_type AND e.idempotency_key = idempotent_event.idempotency_key);
END
$$;

COMMENT ON FUNCTION webhooks.idempotent_event(text, text) IS
    'internal: checks an idempotency key and returns the id of the event first published with it, or NULL';

/* internal to the publishing paths, which run as the extension's owner */
REVOKE ALL ON FUNCTION webhooks.idempotent_event(text, text) FROM PUBLIC;

-- sql/functions/store_event.sql
-- Stores one event in the caller's transaction and queues its fan-out: the
-- write path behind webhooks.publish, watched tables' row triggers and the
-- extension's own operational events (about_subscription_id: the
-- subscription an operational event is about, which never receives it).
-- One statement inserts the event (only if its type is registered: the join
-- with event_types is the check) and, if any subscription is routed to its
-- type, one webhooks.fan_out_queue row naming them (contract §5: those that
-- match now receive it); a worker's next claim turns that row into messages
-- (webhooks.fan_out_queued). The event carries admitted = true, so the row
-- triggers on webhooks.events (there for direct INSERTs) stay out of its way.
-- The same statement checks whether a worker waits for a NOTIFY
-- (sql/schema/waiting_workers.sql).
-- Why one statement, and no trigger, SET clause or helper call on the common
-- path: each costs an executor start-up or a GUC round trip in the
-- application's transaction. Measured (docs/benchmarks.md, "Write path"):
-- flock /tmp/pgwh.lock bench/write-path/run 3 8 (8 clients, single-row
-- INSERT transactions, plain ~16,000 tps): watched 0.39, publish 0.45 of
-- plain, against 0.355-0.365 and 0.37-0.38 with the BEFORE trigger, AFTER
-- statement trigger and three statements this replaced; bench/write-path/cost
-- (one client, CPU per transaction): plain 110 us, publish 292-294 us.
-- Internal: called as the extension's owner by SECURITY DEFINER functions
-- that pin search_path (hence no SET clause here); every name is qualified.
-- Handles built-in types only (text, jsonb): the payload was rendered before.
CREATE OR REPLACE FUNCTION webhooks.store_event(event_type text, payload jsonb, idempotency_key text,
                                                about_subscription_id bigint DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
AS $$
DECLARE
    payload_bytes bigint;
    new_id uuid;
    wake boolean;
BEGIN
    IF store_event.event_type IS NULL THEN
        RAISE EXCEPTION 'event_type may not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF store_event.payload IS NULL THEN
        RAISE EXCEPTION 'payload may not be NULL (use ''{}'' for an empty payload)' USING ERRCODE = 'not_null_violation';
    END IF;
    payload_bytes := pg_catalog.octet_length(store_event.payload::text);
    IF payload_bytes > 1024 THEN
        PERFORM webhooks.payload_within_limit(payload_bytes);
    END IF;
    IF store_event.idempotency_key IS NOT NULL THEN
        new_id := webhooks.idempotent_event(store_event.event_type, store_event.idempotency_key);
        IF new_id IS NOT NULL THEN
            RETURN new_id;  -- published before: nothing new
        END IF;
    END IF;

    WITH event AS (
        INSERT INTO webhooks.events AS e (event_type, payload, idempotency_key, about_subscription_id, admitted)
        SELECT t.name, store_event.payload, store_event.idempotency_key, store_event.about_subscription_id, true
          FROM webhooks.event_types t
         WHERE t.name = store_event.event_type
        RETURNING e.id, e.event_type, e.created_at
    ), queued AS (
        INSERT INTO webhooks.fan_out_queue (event_id, published_at, subscription_ids)
        SELECT event.id, event.created_at, routed.ids
          FROM event
          CROSS JOIN LATERAL (SELECT pg_catalog.array_agg(r.subscription_id) AS ids
                                FROM webhooks.routes r
                               WHERE r.event_type = event.event_type
                                 AND r.subscription_id IS DISTINCT FROM store_event.about_subscription_id) routed
         WHERE routed.ids IS NOT NULL
        RETURNING 1
    )
    SELECT event.id, EXISTS (SELECT FROM queued) AND EXISTS (SELECT FROM webhooks.waiting_workers)
      INTO new_id, wake
      FROM event;

    IF new_id IS NULL THEN
        RAISE EXCEPTION 'unknown event type "%"', store_event.event_type
            USING ERRCODE = 'foreign_key_violation',
                  HINT = pg_catalog.format('register it first: INSERT INTO webhooks.event_types (name) VALUES (%L);', store_event.event_type);
    END IF;
    IF wake THEN
        PERFORM pg_catalog.pg_notify('webhooks', '');
    END IF;
    RETURN new_id;
END
$$;

COMMENT ON FUNCTION webhooks.store_event(text, jsonb, text, bigint) IS
    'internal: stores an event and queues its fan-out in one statement (webhooks.publish, watched tables); returns its id';

/* internal to the publishing paths, which run as the extension's owner */
REVOKE ALL ON FUNCTION webhooks.store_event(text, jsonb, text, bigint) FROM PUBLIC;

-- sql/triggers/event_types_route.sql
-- A newly registered event type gets routes to every subscription with a
-- matching pattern (one pass over the subscriptions, at registration time,
-- so that publishing never has to).
CREATE OR REPLACE FUNCTION webhooks.tg_event_types__route()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO webhooks.routes (event_type, subscription_id)
    SELECT n.name, s.id
      FROM new_types n
      JOIN webhooks.subscriptions s
        ON EXISTS (SELECT FROM unnest(s.event_types) p WHERE webhooks.pattern_matches(p, n.name))
     WHERE n.name <> 'webhooks.ping'  -- a ping goes only to the subscription it names (ping.sql)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _100_route
    AFTER INSERT ON webhooks.event_types
    REFERENCING NEW TABLE AS new_types
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_event_types__route();

-- sql/triggers/event_types_validate.sql
-- Event types in plain words (issue 11): a name that breaks the format is
-- refused with the rule itself, not a constraint name; a type that published
-- events cannot be renamed (they and their messages name it), and renaming an
-- unused one moves its routes along; deleting a type that events use is
-- refused (events.event_type has no foreign key, see sql/schema/events.sql).
-- A DELETE first takes SHARE on webhooks.events, waiting for publishers in
-- flight (they hold ROW EXCLUSIVE through their commit), so an event being
-- published of the type is seen; publishers after it find the type gone.
-- The CHECK constraint stays the backstop.
-- Audit (SECURITY DEFINER): text values of the extension's own table only.
CREATE OR REPLACE FUNCTION webhooks.tg_event_types__validate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        LOCK TABLE webhooks.events IN SHARE MODE;
        IF EXISTS (SELECT FROM webhooks.events e WHERE e.event_type = OLD.name) THEN
            RAISE EXCEPTION 'event type "%" is in use and cannot be deleted: published events name it', OLD.name
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.name IS NULL OR NOT webhooks.is_valid_event_type_name(NEW.name) THEN
        RAISE EXCEPTION 'invalid event type name "%": lower-case dot-separated segments of [a-z0-9_-] (e.g. order.created), at most 128 characters', NEW.name
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.name IS DISTINCT FROM OLD.name THEN
        IF EXISTS (SELECT FROM webhooks.events e WHERE e.event_type = OLD.name) THEN
            RAISE EXCEPTION 'event type "%" is in use and cannot be renamed: published events name it', OLD.name
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = format('register the new name instead: INSERT INTO webhooks.event_types (name) VALUES (%L);', NEW.name);
        END IF;
        DELETE FROM webhooks.routes r WHERE r.event_type = OLD.name;  -- recomputed after the rename
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _050_validate
    BEFORE INSERT OR UPDATE OR DELETE ON webhooks.event_types
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_event_types__validate();

-- Routes of a renamed (unused) event type, like those of a new one.
CREATE OR REPLACE FUNCTION webhooks.tg_event_types__reroute()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO webhooks.routes (event_type, subscription_id)
    SELECT NEW.name, s.id
      FROM webhooks.subscriptions s
     WHERE EXISTS (SELECT FROM unnest(s.event_types) p WHERE webhooks.pattern_matches(p, NEW.name))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _110_reroute
    AFTER UPDATE OF name ON webhooks.event_types
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION webhooks.tg_event_types__reroute();

-- sql/triggers/subscriptions_validate.sql
-- Validates every column an operator writes, with messages that name the
-- field, say what is wrong and what is allowed (issue 11), and raises before
-- any table constraint can: a CHECK or NOT NULL failure would print
-- "Failing row contains (..., whsec_..., {"authorization": ...})" to the
-- client and the server log, and no error of ours may carry a secret or a
-- header value (contract §9). Messages never repeat the secret, a header
-- value or a URL's credentials.
-- On UPDATE only the columns that change are checked, so a row written
-- under older, looser rules keeps working until someone changes that value.
-- The UPDATE trigger lists the operator's columns and every NOT NULL column
-- (tests/pgtap/subscriptions/no_secret_in_errors.sql fails if a NOT NULL
-- column is missing), so the claim's and record's own writes of internal
-- state (last_claimed_at, probe_*) do not pay for it.
-- Cost: bench/subscription-writes/run (2,000-row UPDATE, median of 5,
-- 2026-11-23, shared 2-core box, while other benchmarks ran):
--   SET last_claimed_at = now() (claim's write):        0.1.0 33 ms, 0.2.0 15 ms
--   SET consecutive_failures = ... + 1 (record's):      0.1.0 34 ms, 0.2.0 24 ms
--   SET timeout = '5s' (an operator's):                 0.1.0 35 ms, 0.2.0 27 ms
-- 0.1.0's CHECKs ran url_error and the plpgsql secret_error on every row
-- update, the claim's included; 0.2.0 has no such CHECK.
-- Bounds, one place: name 1-200 characters; retry_schedule at most 50
-- delays, each 0 to 7 days; timeout 1 ms to 5 min (delivery-rules.json
-- timeout_max_ms); max_in_flight 1-100000; circuit_threshold 1-1000000;
-- url and headers: webhooks.url_error, webhooks.header_error.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    ins constant boolean := TG_OP = 'INSERT';
    col text;
    problem text;
    hint text;
    code text := 'check_violation';
    pos int;
BEGIN
    -- NOT NULL first, for every NOT NULL column: the engine's own not-null
    -- error would print the whole row. Spelled out rather than looked up in
    -- pg_attribute per row (that cost ~40 µs a row, 5x the whole trigger);
    -- tests/pgtap/subscriptions/no_secret_in_errors.sql walks the catalog
    -- and fails for a NOT NULL column missing here.
    col := CASE WHEN NEW.name IS NULL THEN 'name'
                WHEN NEW.url IS NULL THEN 'url'
                WHEN NEW.event_types IS NULL THEN 'event_types'
                WHEN NEW.secret IS NULL THEN 'secret'
                WHEN NEW.enabled IS NULL THEN 'enabled'
                WHEN NEW.consecutive_failures IS NULL THEN 'consecutive_failures'
                WHEN NEW.retry_schedule IS NULL THEN 'retry_schedule'
                WHEN NEW.timeout IS NULL THEN 'timeout'
                WHEN NEW.max_in_flight IS NULL THEN 'max_in_flight'
                WHEN NEW.circuit_threshold IS NULL THEN 'circuit_threshold'
                WHEN NEW.headers IS NULL THEN 'headers'
                WHEN NEW.created_at IS NULL THEN 'created_at'
                WHEN NEW.updated_at IS NULL THEN 'updated_at' END;
    IF col IS NOT NULL THEN
        RAISE EXCEPTION '% may not be NULL', col
            USING ERRCODE = 'not_null_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = col,
                  HINT = CASE col
                      WHEN 'secret' THEN 'leave secret out of the INSERT to get a generated one; webhooks.rotate_secret(name) makes a new one'
                      WHEN 'event_types' THEN 'list at least one pattern, e.g. ARRAY[''order.created'', ''invoice.*'', ''order.>'']'
                      WHEN 'retry_schedule' THEN 'use ''{}'' for no retries, or leave it out for the default'
                      WHEN 'headers' THEN 'use ''{}'' for no extra headers'
                      WHEN 'enabled' THEN 'true (active) or false (paused)'
                      ELSE 'leave it out to get its default' END;
    END IF;

    IF ins OR NEW.name IS DISTINCT FROM OLD.name THEN
        col := 'name';
        IF btrim(NEW.name) = '' THEN
            problem := 'name may not be blank';
            hint := 'give the subscription a handle such as ''billing''';
        ELSIF length(NEW.name) > 200 THEN
            problem := format('name is %s characters long; at most 200 are allowed', length(NEW.name));
        ELSIF NEW.name ~ '[\x01-\x1f\x7f]' THEN
            problem := 'name may not contain control characters (line breaks, tabs)';
        ELSIF EXISTS (SELECT FROM webhooks.subscriptions s WHERE s.name = NEW.name AND s.id <> NEW.id) THEN
            problem := format('a subscription named "%s" already exists', NEW.name);
            hint := 'choose another name, or UPDATE the existing subscription';
            code := 'unique_violation';
        END IF;
    END IF;

    IF problem IS NULL AND (ins OR NEW.url IS DISTINCT FROM OLD.url) THEN
        col := 'url';
        problem := webhooks.url_error(NEW.url);
    END IF;

    IF problem IS NULL AND (ins OR NEW.event_types IS DISTINCT FROM OLD.event_types) THEN
        col := 'event_types';
        IF cardinality(NEW.event_types) = 0 THEN
            problem := 'event_types must list at least one pattern';
            hint := 'e.g. ARRAY[''order.created'', ''invoice.*'', ''order.>'']';
        ELSIF array_ndims(NEW.event_types) > 1 THEN
            problem := 'event_types must be a one-dimensional list of patterns';
        ELSE
            SELECT webhooks.pattern_error(p) INTO problem
              FROM unnest(NEW.event_types) p WHERE webhooks.pattern_error(p) IS NOT NULL LIMIT 1;
        END IF;
    END IF;

    IF problem IS NULL AND (ins OR NEW.secret IS DISTINCT FROM OLD.secret) THEN
        col := 'secret';
        problem := webhooks.secret_error(NEW.secret);
        hint := CASE WHEN problem IS NOT NULL THEN 'leave secret out to get a generated one' END;
    END IF;

    IF problem IS NULL AND (ins OR NEW.headers IS DISTINCT FROM OLD.headers) THEN
        col := 'headers';
        problem := webhooks.header_error(NEW.headers);
    END IF;

    IF problem IS NULL AND (ins OR NEW.retry_schedule IS DISTINCT FROM OLD.retry_schedule) THEN
        col := 'retry_schedule';
        IF array_ndims(NEW.retry_schedule) > 1 OR array_lower(NEW.retry_schedule, 1) <> 1 THEN
            problem := 'retry_schedule must be a plain list of delays, such as ''{5s,5min,30min}''';
        ELSIF cardinality(NEW.retry_schedule) > 50 THEN
            problem := format('retry_schedule has %s delays; at most 50 are allowed (51 attempts in all)',
                              cardinality(NEW.retry_schedule));
        ELSE
            SELECT i INTO pos FROM generate_subscripts(NEW.retry_schedule, 1) i
             WHERE NEW.retry_schedule[i] IS NULL OR NEW.retry_schedule[i] < interval '0'
                OR NEW.retry_schedule[i] > interval '7 days'
             ORDER BY i LIMIT 1;
            IF pos IS NOT NULL THEN
                problem := format('retry_schedule[%s] is %s; each delay must be between 0 and 7 days',
                                  pos, coalesce(NEW.retry_schedule[pos]::text, 'NULL'));
            END IF;
        END IF;
        hint := CASE WHEN problem IS NOT NULL THEN 'the delays before attempts 2, 3, ...; default {5s,5min,30min,2h,5h,10h,10h}' END;
    END IF;

    IF problem IS NULL AND (ins OR NEW.timeout IS DISTINCT FROM OLD.timeout)
       AND NOT NEW.timeout BETWEEN interval '1 millisecond' AND interval '5 minutes' THEN
        col := 'timeout';
        problem := format('timeout %s is out of range: it must be between 1 millisecond and 5 minutes', NEW.timeout);
    END IF;

    IF problem IS NULL AND (ins OR NEW.max_in_flight IS DISTINCT FROM OLD.max_in_flight)
       AND NOT NEW.max_in_flight BETWEEN 1 AND 100000 THEN
        col := 'max_in_flight';
        problem := format('max_in_flight %s is out of range: it must be between 1 and 100000 concurrent requests', NEW.max_in_flight);
    END IF;

    IF problem IS NULL AND (ins OR NEW.circuit_threshold IS DISTINCT FROM OLD.circuit_threshold)
       AND NOT NEW.circuit_threshold BETWEEN 1 AND 1000000 THEN
        col := 'circuit_threshold';
        problem := format('circuit_threshold %s is out of range: it must be between 1 and 1000000 consecutive failures', NEW.circuit_threshold);
    END IF;

    IF problem IS NULL AND NEW.consecutive_failures < 0 THEN
        col := 'consecutive_failures';
        problem := format('consecutive_failures %s is out of range: it must be 0 or more', NEW.consecutive_failures);
    END IF;

    IF problem IS NOT NULL AND hint IS NOT NULL THEN
        RAISE EXCEPTION '%', problem
            USING ERRCODE = code, SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = col, HINT = hint;
    ELSIF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem
            USING ERRCODE = code, SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = col;
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION webhooks.tg_subscriptions__validate() IS
    'validates what is written to webhooks.subscriptions with messages that name the field and the allowed range, before any constraint could print the row';

CREATE OR REPLACE TRIGGER _100_validate
    BEFORE INSERT ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__validate();

CREATE OR REPLACE TRIGGER _101_validate_update
    BEFORE UPDATE OF name, url, event_types, secret, enabled, consecutive_failures, retry_schedule, timeout,
                     max_in_flight, circuit_threshold, headers, created_at, updated_at
    ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__validate();

-- sql/triggers/subscriptions_reenable.sql
-- "enabled = true" has one meaning whoever writes it (an operator in psql or
-- a successful probe): re-enabling after a trip and resuming after a pause
-- both clear the failure state, and the held messages are due at once.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__reenable()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    NEW.auto_disabled_at := NULL;
    NEW.consecutive_failures := 0;
    NEW.last_error := NULL;
    NEW.probe_at := NULL;
    NEW.probe_cooldown := NULL;
    PERFORM pg_notify('webhooks', '');
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _110_reenable
    BEFORE UPDATE OF enabled ON webhooks.subscriptions
    FOR EACH ROW WHEN (NEW.enabled AND NOT OLD.enabled)
    EXECUTE FUNCTION webhooks.tg_subscriptions__reenable();

-- updated_at follows what the operator configures, not the worker's bookkeeping.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__touch()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _120_touch
    BEFORE UPDATE OF name, url, event_types, secret, enabled, retry_schedule, timeout,
                     max_in_flight, circuit_threshold, headers ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__touch();

-- sql/triggers/subscriptions_route.sql
-- Recomputes a subscription's routes when it is created or its patterns change.
-- webhooks.ping is never routed by pattern: a ping goes only to the
-- subscription it names (sql/functions/ping.sql), even one subscribed to '>'.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__route()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM webhooks.routes WHERE subscription_id = NEW.id;
    END IF;
    INSERT INTO webhooks.routes (event_type, subscription_id)
    SELECT t.name, NEW.id
      FROM webhooks.event_types t
     WHERE EXISTS (SELECT FROM unnest(NEW.event_types) p WHERE webhooks.pattern_matches(p, t.name))
       AND t.name <> 'webhooks.ping';
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _200_route
    AFTER INSERT OR UPDATE OF event_types ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__route();

-- sql/triggers/subscriptions_forget.sql
-- A deleted subscription's messages go with it (what ON DELETE CASCADE did
-- before messages lost their foreign keys, issue 10).
-- A publisher that read the subscription's route just before the delete
-- could otherwise add a message after the delete looked: the statement
-- first takes SHARE on webhooks.messages, which waits for every transaction
-- that has written messages (publishers hold ROW EXCLUSIVE on it through
-- their commit) and holds off new ones until the delete commits; a
-- publisher let through then plans, locks and takes its snapshot in that
-- order, so it no longer sees the route. Deleting a subscription is rare;
-- publishing pays nothing for it. Taken before any row is locked, so it
-- cannot deadlock with a worker that holds messages and waits for the
-- subscription row.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__lock_messages()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    LOCK TABLE webhooks.messages IN SHARE MODE;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _050_lock_messages
    BEFORE DELETE ON webhooks.subscriptions
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_subscriptions__lock_messages();

-- Audit (SECURITY DEFINER, both): ids of the extension's own tables only.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__forget()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    -- one statement per state, so each reaches messages through its partial index
    DELETE FROM webhooks.messages m
     WHERE m.subscription_id = ANY (ARRAY(SELECT o.id FROM gone o)) AND m.state = 'pending';
    DELETE FROM webhooks.messages m
     WHERE m.subscription_id = ANY (ARRAY(SELECT o.id FROM gone o)) AND m.state = 'failed';
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _900_forget
    AFTER DELETE ON webhooks.subscriptions
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_subscriptions__forget();

-- sql/triggers/events_accept.sql
-- A direct INSERT INTO webhooks.events (contract §5), one row at a time:
-- its type must not be under "webhooks." (contract §9: the extension's own
-- code publishes those, through webhooks.store_event, which marks its rows
-- admitted), its type must be registered (the error names it), its payload within
-- webhooks.max_payload_bytes (webhooks.payload_within_limit), an idempotency
-- key valid, and a repeated key for the same type publishes nothing (the row
-- is skipped; webhooks.idempotent_event). Then, as webhooks.store_event does
-- for publish and watched tables, one webhooks.fan_out_queue row naming the
-- subscriptions routed to its type now (never the one an operational event
-- is about), and a NOTIFY if a worker waits (sql/schema/waiting_workers.sql).
-- Only events published now are queued: a row that arrives with another
-- created_at is history being restored (pg_restore of a backup brings its
-- own messages), and sending it again would repeat old deliveries.
-- Rows of the extension's own publishing code arrive admitted = true and
-- the WHEN clause lets them through untouched: publishers and admins hold no
-- INSERT right on that column, so only the extension's own code can.
-- Audit (SECURITY DEFINER): every value handled is text or jsonb, built-in
-- types, so no cast, operator or default of a user's type can run here; the
-- row's values were computed by the caller, as the caller.
CREATE OR REPLACE FUNCTION webhooks.tg_events__accept()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    payload_bytes bigint;
    routed bigint[];
BEGIN
    IF NEW.event_type IS NULL THEN
        RAISE EXCEPTION 'event_type may not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF NEW.event_type LIKE 'webhooks.%' AND NEW.created_at = now() THEN
        RAISE EXCEPTION 'event type "%" is reserved: types under "webhooks." are published by pg_webhooks itself', NEW.event_type
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT FROM webhooks.event_types WHERE name = NEW.event_type) THEN
        RAISE EXCEPTION 'unknown event type "%"', NEW.event_type
            USING ERRCODE = 'foreign_key_violation',
                  HINT = format('register it first: INSERT INTO webhooks.event_types (name) VALUES (%L);', NEW.event_type);
    END IF;
    IF NEW.payload IS NULL THEN
        RAISE EXCEPTION 'payload may not be NULL (use ''{}'' for an empty payload)' USING ERRCODE = 'not_null_violation';
    END IF;
    payload_bytes := octet_length(NEW.payload::text);
    IF payload_bytes > 1024 THEN
        PERFORM webhooks.payload_within_limit(payload_bytes);
    END IF;
    IF NEW.idempotency_key IS NOT NULL
       AND webhooks.idempotent_event(NEW.event_type, NEW.idempotency_key) IS NOT NULL THEN
        RETURN NULL;  -- published before: skip the row
    END IF;

    IF NEW.created_at = now() THEN
        routed := ARRAY(SELECT r.subscription_id FROM webhooks.routes r
                         WHERE r.event_type = NEW.event_type
                           AND r.subscription_id IS DISTINCT FROM NEW.about_subscription_id);
        IF cardinality(routed) > 0 THEN
            INSERT INTO webhooks.fan_out_queue (event_id, published_at, subscription_ids)
            VALUES (NEW.id, NEW.created_at, routed);
            IF EXISTS (SELECT FROM webhooks.waiting_workers) THEN
                PERFORM pg_notify('webhooks', '');
            END IF;
        END IF;
        NEW.admitted := true;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _100_accept
    BEFORE INSERT ON webhooks.events
    FOR EACH ROW WHEN (NEW.admitted IS NULL)
    EXECUTE FUNCTION webhooks.tg_events__accept();

-- sql/triggers/append_only.sql
-- events and deliveries are history: no UPDATE, DELETE or TRUNCATE, not even
-- by their owner. webhooks.purge sets webhooks.purging for its own
-- transaction to remove old history; nothing else does.
CREATE OR REPLACE FUNCTION webhooks.tg_refuse_rewrite()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('webhooks.purging', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'webhooks.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'use webhooks.purge(older_than) to remove old history';
END
$$;

CREATE OR REPLACE TRIGGER _100_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhooks.deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_refuse_rewrite();

CREATE OR REPLACE TRIGGER _100_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhooks.events
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_refuse_rewrite();

-- sql/functions/publish.sql
-- Publishes an event inside the caller's transaction: nothing is sent unless
-- it commits. A repeated idempotency key for the same event type returns the
-- first event's id and publishes nothing new (webhooks.store_event does the
-- work; see there for the one-statement write path and its figures).
-- Types under "webhooks." are the extension's own (contract §9): publish runs
-- as the extension's owner, so it refuses them itself (the reserved-type
-- trigger on webhooks.events would let the owner through).
-- Audit (SECURITY DEFINER): the arguments are text and jsonb, converted by
-- the caller before the call; nothing of a user's type is handled here.
CREATE OR REPLACE FUNCTION webhooks.publish(event_type text, payload jsonb, idempotency_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF publish.event_type LIKE 'webhooks.%' THEN
        RAISE EXCEPTION 'event type "%" is reserved: types under "webhooks." are published by pg_webhooks itself', publish.event_type
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN webhooks.store_event(publish.event_type, publish.payload, publish.idempotency_key);
END
$$;

COMMENT ON FUNCTION webhooks.publish(text, jsonb, text) IS
    'publish an event in the current transaction; returns its id (the first event''s id for a repeated idempotency key)';

/* publishing is the publisher's whole job; nobody else gets it by default */
REVOKE ALL ON FUNCTION webhooks.publish(text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.publish(text, jsonb, text) TO webhooks_publisher, webhooks_admin;

-- sql/functions/watched_table_publish.sql
-- Trigger function installed by webhooks.watch_table on application tables.
-- Payload: {"table": "schema.table", "operation": "INSERT|UPDATE|DELETE",
--           "row": <the row>, "old_row": <previous row, updates only>};
-- "table" is the table that was watched, also for a partition's rows.
--
-- Privileges (issue 8, contract §9). The trigger is SECURITY DEFINER so that
-- any role that may write the table publishes, holding nothing of the
-- webhooks schema. It never runs code that the table's owner or writer
-- controls: rendering a row (to_jsonb) calls a user-defined cast to json of
-- a column's type, so that one step happens in webhooks.render_row, which
-- runs as webhooks_renderer, a NOLOGIN role holding no privilege at all (no
-- USAGE on this schema, nothing granted): a hostile cast can do there only
-- what PUBLIC may. What remains here, as the extension's owner: reading the
-- trigger's own rows (no user code), building jsonb from text and jsonb
-- values, and inserting into webhooks.events (the extension's own triggers).
-- The skip of unchanged UPDATEs is the trigger's WHEN clause (OLD *<> NEW, a
-- binary comparison that runs no operator of any type), evaluated as the
-- writer anyway.
-- Only roles with EXECUTE on this function (admins) can attach it to a
-- table; a prefix under "webhooks." is refused here as well, so no trigger
-- made by hand can forge the extension's own events.
--
-- INSERT and DELETE on a plain table are statement-level (one set-based
-- insert into events per statement); UPDATE is row-level so each new row is
-- paired with its old one. On a partitioned table all three are row-level:
-- PostgreSQL clones row triggers to every partition (also ones attached
-- later) and fires them for writes aimed at a partition directly, which a
-- statement trigger on the parent never sees (TG_ARGV[1] = 'partitioned').

DO $renderer$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'webhooks_renderer') THEN
        CREATE ROLE webhooks_renderer NOLOGIN;
    END IF;
END
$renderer$;
COMMENT ON ROLE webhooks_renderer IS
    'pg_webhooks: owns webhooks.render_row only; holds no privilege, so casts to json of watched tables'' columns run with none';

-- Renders one row as jsonb, as webhooks_renderer (see above). Not inlined
-- (SECURITY DEFINER), so the user switch cannot be optimised away.
CREATE OR REPLACE FUNCTION webhooks.render_row(r anyelement)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    RETURN pg_catalog.to_jsonb(r);
END
$$;
/* the whole point: user casts run with the rights of a role that has none */
ALTER FUNCTION webhooks.render_row(anyelement) OWNER TO webhooks_renderer;
COMMENT ON FUNCTION webhooks.render_row(anyelement) IS
    'internal: to_jsonb of a watched table''s row, run as webhooks_renderer (no privileges) so that user-defined casts cannot act with the extension''s rights';
/* only the watched-table trigger (running as the extension's owner) calls it */
REVOKE ALL ON FUNCTION webhooks.render_row(anyelement) FROM PUBLIC;

CREATE OR REPLACE FUNCTION webhooks.tg_watched_table__publish()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    prefix text := TG_ARGV[0];
    table_name text;
    watched oid;
    new_type text;
    rows_changed bigint;
    events_stored bigint;
    routed bigint[];
    wake boolean;
BEGIN
    IF prefix IS NULL OR prefix ~ '^webhooks(\.|$)' THEN
        RAISE EXCEPTION 'event prefix "%" is reserved or missing: types under "webhooks." are published by pg_webhooks itself', prefix
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_NARGS > 1 AND TG_ARGV[1] = 'partitioned' THEN
        -- the watched table: the root of this clone's chain of parent triggers
        WITH RECURSIVE chain AS (
            SELECT t.tgrelid, t.tgparentid FROM pg_trigger t WHERE t.tgrelid = TG_RELID AND t.tgname = TG_NAME
            UNION ALL
            SELECT p.tgrelid, p.tgparentid FROM pg_trigger p JOIN chain c ON p.oid = c.tgparentid
        )
        SELECT c.tgrelid INTO watched FROM chain c WHERE c.tgparentid = 0;
        table_name := format('%I.%I', (SELECT n.nspname FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = watched),
                                      (SELECT k.relname FROM pg_class k WHERE k.oid = watched));
    ELSE
        table_name := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;

    IF TG_LEVEL = 'ROW' THEN
        PERFORM webhooks.store_event(
            prefix || CASE TG_OP WHEN 'INSERT' THEN '.created' WHEN 'DELETE' THEN '.deleted' ELSE '.updated' END,
            CASE TG_OP WHEN 'INSERT' THEN jsonb_build_object('table', table_name, 'operation', TG_OP, 'row', webhooks.render_row(NEW))
                       WHEN 'DELETE' THEN jsonb_build_object('table', table_name, 'operation', TG_OP, 'row', webhooks.render_row(OLD))
                       ELSE jsonb_build_object('table', table_name, 'operation', TG_OP,
                                               'row', webhooks.render_row(NEW), 'old_row', webhooks.render_row(OLD)) END,
            NULL);
        RETURN NULL;
    END IF;

    -- A statement's rows in one set-based statement, as webhooks.store_event
    -- does for one event: the events (if the type is registered and each
    -- payload within the limit), their fan-out queued, and a NOTIFY if a
    -- worker waits.
    new_type := prefix || CASE TG_OP WHEN 'INSERT' THEN '.created' ELSE '.deleted' END;
    routed := ARRAY(SELECT r.subscription_id FROM webhooks.routes r WHERE r.event_type = new_type);
    WITH changed AS MATERIALIZED (
        SELECT jsonb_build_object('table', table_name, 'operation', TG_OP, 'row', webhooks.render_row(r)) AS payload
          FROM changed_rows r
    ), event AS (
        INSERT INTO webhooks.events AS e (event_type, payload, admitted)
        SELECT t.name, c.payload, true
          FROM changed c, webhooks.event_types t
         WHERE t.name = new_type
           AND (octet_length(c.payload::text) <= 1024 OR webhooks.payload_within_limit(octet_length(c.payload::text)))
        RETURNING e.id, e.created_at
    ), queued AS (
        INSERT INTO webhooks.fan_out_queue (event_id, published_at, subscription_ids)
        SELECT event.id, event.created_at, routed FROM event WHERE cardinality(routed) > 0
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM event),
           EXISTS (SELECT FROM queued) AND EXISTS (SELECT FROM webhooks.waiting_workers)
      INTO rows_changed, events_stored, wake;
    IF events_stored < rows_changed THEN
        RAISE EXCEPTION 'unknown event type "%"', new_type
            USING ERRCODE = 'foreign_key_violation',
                  HINT = format('register it first: INSERT INTO webhooks.event_types (name) VALUES (%L);', new_type);
    END IF;
    IF wake THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION webhooks.tg_watched_table__publish() IS
    'trigger behind webhooks.watch_table: publishes <prefix>.created/.updated/.deleted with the row';

/* admins attach it through watch_table (run as themselves, on tables they may alter) */
REVOKE ALL ON FUNCTION webhooks.tg_watched_table__publish() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.tg_watched_table__publish() TO webhooks_admin;

-- sql/functions/watchable_table.sql
-- The checks watch_table and unwatch_table share: tbl is an ordinary or
-- partitioned table, not the extension's own, not temporary, and the caller
-- (current_user: both functions run as their caller) may alter it. Returns
-- the table's pg_class facts.
CREATE OR REPLACE FUNCTION webhooks.watchable_table(tbl regclass)
RETURNS TABLE (relname name, relkind "char")
LANGUAGE plpgsql
STABLE
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    SELECT k.relname, k.relkind, k.relpersistence, k.relowner, k.relnamespace
      INTO c FROM pg_class k WHERE k.oid = tbl;
    IF c.relkind IS NULL OR c.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    IF c.relnamespace = 'webhooks'::regnamespace THEN
        RAISE EXCEPTION '% belongs to pg_webhooks and cannot be watched', tbl USING ERRCODE = 'wrong_object_type',
            HINT = 'its changes are already what webhooks publishes; subscribe to events instead';
    END IF;
    IF c.relpersistence = 't' THEN
        RAISE EXCEPTION '% is a temporary table and cannot be watched (its event types would outlive it)', tbl
            USING ERRCODE = 'wrong_object_type';
    END IF;
    IF NOT pg_has_role(current_user, c.relowner, 'USAGE') THEN
        RAISE EXCEPTION 'permission denied: % may not alter table % (owned by %)', current_user, tbl, c.relowner::regrole
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'watch it as its owner, or as a member of the owning role';
    END IF;
    relname := c.relname;
    relkind := c.relkind;
    RETURN NEXT;
END
$$;

COMMENT ON FUNCTION webhooks.watchable_table(regclass) IS
    'internal: the checks of watch_table/unwatch_table (a table, not the extension''s, not temporary, alterable by the caller)';

/* a check only; it reveals nothing a caller of watch_table cannot see */
REVOKE ALL ON FUNCTION webhooks.watchable_table(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.watchable_table(regclass) TO webhooks_admin;

-- sql/functions/watch_table.sql
-- Makes INSERT / UPDATE / DELETE on an application table publish
-- <prefix>.created / .updated / .deleted (prefix defaults to the table's
-- name), registering those event types. Calling it again replaces the
-- triggers (e.g. to change the prefix). UPDATEs that change nothing (every
-- column's stored value equal) publish nothing unless skip_unchanged_updates
-- is false. TRUNCATE publishes nothing (docs/watch_table.md).
--
-- Runs as its caller (SECURITY INVOKER): a webhooks_admin may watch exactly
-- the tables it may alter (their owner, or a member of the owning role),
-- because creating the triggers is its own act; it holds EXECUTE on the
-- trigger function for that. No privilege of the extension's owner is lent.
-- Refused: NULL, anything but a table, the extension's own tables (a watched
-- webhooks.events would publish forever), temporary tables (their event
-- types would outlive them), and prefixes under "webhooks." (the extension's
-- own types).
CREATE OR REPLACE FUNCTION webhooks.watch_table(tbl regclass, event_prefix text DEFAULT NULL,
                                                skip_unchanged_updates boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
SET client_min_messages TO warning  -- replacing missing triggers is no news
AS $$
DECLARE
    prefix text;
    rel record;
    partitioned text;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'watch_table: tbl may not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'pass a table, e.g. webhooks.watch_table(''public.orders'')';
    END IF;
    IF skip_unchanged_updates IS NULL THEN
        RAISE EXCEPTION 'watch_table: skip_unchanged_updates may not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO rel FROM webhooks.watchable_table(tbl);
    prefix := coalesce(event_prefix, rel.relname);
    IF NOT webhooks.is_valid_event_type_name(prefix || '.created') THEN
        RAISE EXCEPTION 'event prefix "%" is not a valid event type name', prefix
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'pass event_prefix: lower-case dot-separated segments of [a-z0-9_-], e.g. ''shop.order''';
    END IF;
    IF prefix ~ '^webhooks(\.|$)' THEN
        RAISE EXCEPTION 'event prefix "%" is reserved: types under "webhooks." are published by pg_webhooks itself', prefix
            USING ERRCODE = 'invalid_parameter_value', HINT = 'pass another event_prefix';
    END IF;

    INSERT INTO webhooks.event_types (name, description)
    SELECT prefix || '.' || verb, format('row %s in %s', verb, tbl)
      FROM unnest(ARRAY['created', 'updated', 'deleted']) verb
    ON CONFLICT (name) DO NOTHING;

    PERFORM webhooks.unwatch_table(tbl);
    IF rel.relkind = 'p' THEN
        -- row-level, cloned to every partition (sql/functions/watched_table_publish.sql)
        partitioned := ', ''partitioned''';
        EXECUTE format('CREATE TRIGGER _900_webhooks_insert AFTER INSERT ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L%s)', tbl, prefix, partitioned);
        EXECUTE format('CREATE TRIGGER _900_webhooks_delete AFTER DELETE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L%s)', tbl, prefix, partitioned);
    ELSE
        partitioned := '';
        EXECUTE format('CREATE TRIGGER _900_webhooks_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS changed_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
        EXECUTE format('CREATE TRIGGER _900_webhooks_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS changed_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
    END IF;
    -- OLD *<> NEW compares the stored bytes of the two rows: no type's
    -- equality operator runs, and it works for columns without one (json)
    EXECUTE format('CREATE TRIGGER _900_webhooks_update AFTER UPDATE ON %s FOR EACH ROW %s'
                   'EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L%s)',
                   tbl, CASE WHEN skip_unchanged_updates THEN 'WHEN (OLD *<> NEW) ' ELSE '' END, prefix, partitioned);
END
$$;

COMMENT ON FUNCTION webhooks.watch_table(regclass, text, boolean) IS
    'publish <prefix>.created/.updated/.deleted for every row written to tbl (prefix defaults to the table name; unchanged UPDATEs skipped unless skip_unchanged_updates => false)';

/* creating triggers on application tables is an operator's decision */
REVOKE ALL ON FUNCTION webhooks.watch_table(regclass, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.watch_table(regclass, text, boolean) TO webhooks_admin;

-- sql/functions/worker_waiting.sql
-- The wake-up protocol (COMMON worker API; issue 10): a worker declares
-- itself waiting, on its LISTEN connection, when a claim came back empty and
-- it is about to block, and withdraws when a claim comes back full.
-- Publishers NOTIFY only while some worker is waiting (see
-- sql/schema/waiting_workers.sql for why and for the worst case).
-- Every call also removes rows whose connection is gone (a worker that died
-- while waiting), recognised by backend pid and start time.
CREATE OR REPLACE FUNCTION webhooks.worker_waiting(worker_id text, waiting boolean)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF worker_waiting.worker_id IS NULL OR btrim(worker_waiting.worker_id) = '' THEN
        RAISE EXCEPTION 'worker_id may not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF worker_waiting.waiting IS NULL THEN
        RAISE EXCEPTION 'waiting may not be NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM webhooks.waiting_workers w
     WHERE w.worker_id = worker_waiting.worker_id
        OR NOT EXISTS (SELECT FROM pg_stat_get_activity(w.backend_pid) a WHERE a.backend_start = w.backend_start);
    IF worker_waiting.waiting THEN
        INSERT INTO webhooks.waiting_workers (worker_id, backend_pid, backend_start)
        SELECT worker_waiting.worker_id, a.pid, a.backend_start
          FROM pg_stat_get_activity(pg_backend_pid()) a;
    END IF;
END
$$;

COMMENT ON FUNCTION webhooks.worker_waiting(text, boolean) IS
    'worker API: declare (true) or withdraw (false) that this worker is blocked waiting for a NOTIFY on channel webhooks; publishers notify only while one waits';

/* only workers wait for work */
REVOKE ALL ON FUNCTION webhooks.worker_waiting(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.worker_waiting(text, boolean) TO webhooks_worker, webhooks_admin;

-- sql/functions/unwatch_table.sql
-- Removes the triggers webhooks.watch_table installed; the event types stay
-- registered (published events reference them). Runs as its caller, with
-- the same checks as watch_table.
CREATE OR REPLACE FUNCTION webhooks.unwatch_table(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'unwatch_table: tbl may not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'pass a table, e.g. webhooks.unwatch_table(''public.orders'')';
    END IF;
    PERFORM webhooks.watchable_table(tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_insert ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_update ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_delete ON %s', tbl);
END
$$;

COMMENT ON FUNCTION webhooks.unwatch_table(regclass) IS
    'stop publishing the row changes of tbl (removes the triggers of webhooks.watch_table)';

/* see watch_table */
REVOKE ALL ON FUNCTION webhooks.unwatch_table(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.unwatch_table(regclass) TO webhooks_admin;

-- sql/delivery/operational_event_types.sql
-- The operational event types of contract §7, published by the extension
-- itself (webhooks.record and the subscriptions transition trigger) with
-- about_subscription_id set, so that an alerting endpoint subscribes with
-- plain SQL and a subscription never hears about itself.
INSERT INTO webhooks.event_types (name, description) VALUES
    ('webhooks.subscription.tripped',   'a subscription''s circuit tripped after circuit_threshold consecutive failed attempts; payload: subscription, subscription_id, url (redacted), consecutive_failures, last_error, last_status_code, last_response (first 256 characters), auto_disabled_at, probe_at'),
    ('webhooks.subscription.recovered', 'a tripped subscription is enabled again (a successful probe, or an operator set enabled = true); payload: subscription, subscription_id, url (redacted), tripped_at'),
    ('webhooks.message.failed',         'messages of a subscription ended without delivery (non-retryable answer or retries exhausted), coalesced: at most one per webhooks.failed_alert_window (default 5 min) per subscription; payload: subscription, subscription_id, url (redacted), count (failures since the previous one), since, window, and the last one''s message_id, event_id, event_type, attempts, status_code, error, response (first 256 characters)'),
    ('webhooks.subscription.paused',    'a subscription was paused because its receiver answered 410 Gone; payload: subscription, subscription_id, url (redacted), reason, last_error, status_code, response (first 256 characters), paused_at')
ON CONFLICT (name) DO NOTHING;
-- 0.1.0 registered message.failed with a description of one event per message
UPDATE webhooks.event_types SET description = 'messages of a subscription ended without delivery (non-retryable answer or retries exhausted), coalesced: at most one per webhooks.failed_alert_window (default 5 min) per subscription; payload: subscription, subscription_id, url (redacted), count (failures since the previous one), since, window, and the last one''s message_id, event_id, event_type, attempts, status_code, error, response (first 256 characters)'
 WHERE name = 'webhooks.message.failed' AND description LIKE 'a message ended without delivery%';

-- sql/delivery/subscriptions_publish_transitions.sql
-- Publishes webhooks.subscription.tripped and .recovered (contract §7) when a
-- subscription's circuit changes state, whoever changes it: webhooks.record
-- tripping it or a probe re-enabling it, or an operator's UPDATE ... SET
-- enabled = true. One event per transition; about_subscription_id keeps it
-- from the subscription it is about. URLs are shown redacted (credentials
-- and query values hidden, contract §9); the tripped event carries the last
-- failed response's status and first bytes (subscription_health).
-- webhooks.subscription.paused (410 Gone) is published by webhooks.record,
-- since an operator's pause is the same transition and publishes nothing.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__publish_transitions()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    kind text;
    payload jsonb;
BEGIN
    IF OLD.enabled AND NOT NEW.enabled AND NEW.auto_disabled_at IS NOT NULL THEN
        kind := 'webhooks.subscription.tripped';
        payload := jsonb_build_object('subscription', NEW.name, 'subscription_id', NEW.id,
                                      'url', webhooks.redact_url(NEW.url),
                                      'consecutive_failures', NEW.consecutive_failures, 'last_error', NEW.last_error,
                                      'last_status_code', (SELECT h.last_status_code FROM webhooks.subscription_health h
                                                            WHERE h.subscription_id = NEW.id),
                                      'last_response', (SELECT left(h.last_response, 256) FROM webhooks.subscription_health h
                                                         WHERE h.subscription_id = NEW.id),
                                      'auto_disabled_at', NEW.auto_disabled_at, 'probe_at', NEW.probe_at);
    ELSIF NOT OLD.enabled AND OLD.auto_disabled_at IS NOT NULL AND NEW.enabled THEN
        kind := 'webhooks.subscription.recovered';
        payload := jsonb_build_object('subscription', NEW.name, 'subscription_id', NEW.id,
                                      'url', webhooks.redact_url(NEW.url), 'tripped_at', OLD.auto_disabled_at);
    ELSE
        RETURN NULL;
    END IF;
    -- an operator who unregistered the type has opted out; never fail the UPDATE for it
    IF EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = kind) THEN
        PERFORM webhooks.store_event(kind, payload, NULL, NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER _300_publish_transitions
    AFTER UPDATE OF enabled ON webhooks.subscriptions
    FOR EACH ROW WHEN (OLD.enabled IS DISTINCT FROM NEW.enabled)
    EXECUTE FUNCTION webhooks.tg_subscriptions__publish_transitions();

-- sql/delivery/subscription_id.sql
-- The id of the subscription an operator named, or a clear error: the admin
-- functions all take the operator's handle, not the id.
CREATE OR REPLACE FUNCTION webhooks.subscription_id(name text)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    found bigint;
BEGIN
    SELECT s.id INTO found FROM webhooks.subscriptions s WHERE s.name = subscription_id.name;
    IF found IS NULL THEN
        RAISE EXCEPTION 'unknown subscription "%"', subscription_id.name
            USING ERRCODE = 'no_data_found',
                  HINT = 'SELECT name FROM webhooks.subscriptions; lists them';
    END IF;
    RETURN found;
END
$$;

COMMENT ON FUNCTION webhooks.subscription_id(text) IS
    'the id of the named subscription; raises an error naming it if there is none';

/* a lookup for the admin functions; operators may use it too */
REVOKE ALL ON FUNCTION webhooks.subscription_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.subscription_id(text) TO webhooks_admin;

-- sql/delivery/outcome_class.sql
-- The outcome class of an HTTP status (contract §6), as
-- tests/data/delivery-rules.json states it for SQL and C++ alike
-- (tests/pgtap/delivery/shared_rules.sql checks this side against that
-- file): 2xx 'delivered'; no response (NULL), 408, 429 and 5xx 'retry';
-- every other status 'fail'.
-- No SET search_path: a function with SET clauses is never inlined, and
-- this one runs per result inside webhooks.record (32 calls cost ~1 ms
-- un-inlined at batch 32). Its SQL-standard body is parsed at creation, so
-- the caller's search_path cannot change what it calls.
CREATE OR REPLACE FUNCTION webhooks.outcome_class(status_code int)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN status_code BETWEEN 200 AND 299 THEN 'delivered'
            WHEN status_code IS NULL OR status_code IN (408, 429) OR status_code BETWEEN 500 AND 599 THEN 'retry'
            ELSE 'fail' END;

COMMENT ON FUNCTION webhooks.outcome_class(int) IS
    'class of an attempt''s HTTP status (NULL = no response): delivered, retry or fail (tests/data/delivery-rules.json)';

-- The first response_capture_bytes (1024) bytes of a response, cut at a
-- character boundary: what webhooks.deliveries keeps. (webhooks.record calls
-- it only for responses longer than that: the worker already sends at most
-- 1024 bytes. SQL-standard body, parsed at creation: no search_path risk.)
CREATE OR REPLACE FUNCTION webhooks.response_capture(response text, max_bytes int DEFAULT 1024)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN octet_length(response) <= max_bytes THEN response
            ELSE (SELECT left(response, n) FROM generate_series(least(max_bytes, length(response)), 0, -1) n
                   WHERE octet_length(left(response, n)) <= max_bytes LIMIT 1) END;

COMMENT ON FUNCTION webhooks.response_capture(text, int) IS
    'the first max_bytes bytes (default 1024, tests/data/delivery-rules.json) of a response, cut at a character boundary';

/* pure helpers of record; harmless */
GRANT EXECUTE ON FUNCTION webhooks.outcome_class(int), webhooks.response_capture(text, int) TO webhooks_worker, webhooks_admin;

-- sql/delivery/fan_out_queued.sql
-- Turns queued events (webhooks.fan_out_queue) into messages: one per
-- subscription named in the queue row that still exists (a subscription
-- deleted since publishing gets nothing; a paused or tripped one gets its
-- messages, held). Each message is due from its event's publishing time, so
-- messages keep the order of their events. Takes at most max_events queue
-- rows, skipping rows another caller holds (SKIP LOCKED): any number of
-- workers run it at once without waiting for each other. Returns the number
-- of messages made.
-- Every webhooks.claim runs it first, so a worker finds the messages of
-- events published since its last claim; the operator's verbs that reason
-- about messages (discard_pending, redeliver, purge) run it too. Publishing
-- never waits for it (issue 10: see sql/schema/fan_out_queue.sql).
-- The bound keeps one claim short (a backlog of queued events is expanded
-- over successive claims); while more than max_events are queued, a fresh
-- event waits behind the older ones for that many claims.
CREATE OR REPLACE FUNCTION webhooks.fan_out_queued(max_events int DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    created bigint;
BEGIN
    IF fan_out_queued.max_events IS NULL OR fan_out_queued.max_events < 1 THEN
        RAISE EXCEPTION 'max_events must be at least 1, not %', coalesce(fan_out_queued.max_events::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH taken AS (
        DELETE FROM webhooks.fan_out_queue q
         WHERE q.ctid = ANY (ARRAY(SELECT x.ctid FROM webhooks.fan_out_queue x
                                    LIMIT fan_out_queued.max_events
                                    FOR UPDATE SKIP LOCKED))
        RETURNING q.event_id, q.published_at, q.subscription_ids
    )
    INSERT INTO webhooks.messages (event_id, subscription_id, next_attempt_at, created_at)
    SELECT t.event_id, s.id, t.published_at, t.published_at
      FROM taken t
     CROSS JOIN LATERAL unnest(t.subscription_ids) AS u(subscription_id)
      JOIN webhooks.subscriptions s ON s.id = u.subscription_id
     ORDER BY t.published_at;
    GET DIAGNOSTICS created = ROW_COUNT;
    RETURN created;
END
$$;

COMMENT ON FUNCTION webhooks.fan_out_queued(int) IS
    'worker API: turn up to max_events queued events into messages (one per subscription routed at publish time); every claim runs it first; returns messages made';

/* workers run it inside claim; operators may run it to see queued events as messages at once */
REVOKE ALL ON FUNCTION webhooks.fan_out_queued(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.fan_out_queued(int) TO webhooks_worker, webhooks_admin;

-- sql/delivery/claim.sql
-- Leases up to batch_size due messages to a worker and returns everything
-- needed to send them (URL, secrets, headers, exact body, attempt, timeout).
--
-- One statement, two levels (architecture.md, "The claim"):
--  1. subscriptions: enabled ones with due work and spare max_in_flight, plus
--     tripped ones whose probe time has come (one probe message each); their
--     rows are locked FOR NO KEY UPDATE SKIP LOCKED, so two claimers never work on
--     one subscription at once;
--  2. LATERAL, each subscription's share of the batch (batch_size split evenly
--     over the subscriptions picked, oldest due first) from its messages_due
--     range, FOR NO KEY UPDATE SKIP LOCKED.
-- Held messages (paused or tripped subscriptions) are never read: level 1
-- does not pick their subscription. A 1M backlog for one subscription delays
-- another's fresh events by at most one claim. A claim may return fewer rows
-- than batch_size when a subscription has less due work than its share; the
-- worker simply claims again.
--
-- Fan-out: it first turns queued events into messages
-- (webhooks.fan_out_queued, at most 10,000 events per claim), so the
-- messages of an event published just before are among those it can take.
--
-- Lease token (contract §9, issue 8): every call hands out one fresh,
-- unguessable token (gen_random_uuid, 122 random bits) shared by its rows and
-- writes one webhooks.leases row holding, per message, the event,
-- subscription and attempt it was sent as. record and release act only on
-- (token, message) pairs found there for the same worker_id, and a result
-- moves a message only while the message still carries that token: a later
-- lease of the same message (even by the same worker) has another token.
-- A row's lease runs for greatest(lease, its subscription's timeout + 5 s),
-- so no message goes out again while its first request may still be waiting
-- (issue 8: 35 POSTs for 5 events with timeout > --lease on 0.1.0).
-- skip_subscriptions: subscriptions the worker is saturated with (its
-- fair-share cap); level 1 leaves them out. The per-subscription LATERAL of
-- level 2 is where per-subscription FIFO ordering would go later.
--
-- Leases: next_attempt_at := lease expiry, so a leased message leaves the due
-- range and an expired one comes back without any sweeper. In flight is not a
-- counter but the number of running leases (messages_leased index, at most
-- max_in_flight entries read): an expired lease stops counting by itself.
-- That count is read from the statement's snapshot, which is only right if
-- no other claim for the subscription committed after the snapshot was taken;
-- every claim therefore writes the subscription row (last_claimed_at), and a
-- claimer that finds the locked row newer than the one in its snapshot
-- (xmin differs: EvalPlanQual handed it the latest version) skips it.
--
-- Plans that do not depend on statistics (issue 10): the running-lease count
-- reads messages_leased with ORDER BY ... LIMIT max_in_flight (a plain index
-- scan that skips entries already found dead; 0.1.0's count(*) became a
-- bitmap scan re-reading ~15,000 dead entries per call before ANALYZE), and
-- the function runs with jit = off (inflated row estimates with 300,000
-- queued pushed claim past jit_above_cost: 45-60 ms of JIT per call),
-- enable_bitmapscan = off and enable_seqscan = off (every scan of messages
-- here is an ordered walk of one index or a primary-key lookup, whatever
-- the statistics say; subscriptions is read through its primary key).
-- Measured (command: bench/claim-record/compare 10; docs/benchmarks.md,
-- "SQL delivery engine, 0.2.0"): claim(100) -> record loop, 2 clients,
-- 400,000 queued, cold (tables analyzed empty, then published) vs analyzed
-- in one run: 0.1.0 4,710/s vs 26,340/s, this 24,340/s vs 21,350/s;
-- claim(32) 1.59 ms (0.1.0: 1.44 ms, the lease row costs ~0.1 ms).
--
-- Measured (docs/benchmarks.md, "SQL delivery engine"; 2 cores, PostgreSQL 15,
-- command: bench/claim-record/run 20):
--   claim(100) -> record(100 delivered), 2 pgbench clients: 15,335 messages/s
--   with 1 subscription, 16,390 with 4 (target >= 10,000);
--   claim(100) with 10,000 due for a healthy subscription: 2.49 ms alone,
--   2.18 ms next to 1,000,000 held for a tripped one (target: within 20%).
-- Why the subscription-row lock and not only SKIP LOCKED on messages: without
-- it two claimers each see room under max_in_flight and together exceed it
-- (tests/pgtap/delivery/max_in_flight.sql caught 11 of 10 in 3 runs of 4
-- with the xmin check removed).
CREATE OR REPLACE FUNCTION webhooks.claim(worker_id text, batch_size int, lease interval,
                                          skip_subscriptions bigint[] DEFAULT '{}')
RETURNS TABLE (
    lease_token       uuid,
    message_id        bigint,
    event_id          uuid,
    subscription_id   bigint,
    subscription_name text,
    attempt           int,
    url               text,
    secrets           text[],
    headers           jsonb,
    body              text,
    timeout_ms        int,
    lease_expires_at  timestamptz
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET jit TO off
SET enable_bitmapscan TO off
SET enable_seqscan TO off
AS $$
#variable_conflict use_column
DECLARE
    new_token uuid := gen_random_uuid();
    claimed_clock timestamptz := clock_timestamp();
    skipped bigint[] := coalesce(claim.skip_subscriptions, '{}');
BEGIN
    IF claim.worker_id IS NULL OR btrim(claim.worker_id) = '' THEN
        RAISE EXCEPTION 'worker_id may not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF claim.batch_size IS NULL OR claim.batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1, not %', claim.batch_size USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF claim.lease IS NULL OR claim.lease <= interval '0' THEN
        RAISE EXCEPTION 'lease must be a positive interval, not %', claim.lease USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- events published since the last claim become messages first
    -- (issue 10: the fan-out runs here, not in the publisher's transaction)
    PERFORM webhooks.fan_out_queued();

    RETURN QUERY
    WITH candidates AS MATERIALIZED (
        -- enabled subscriptions with due work and room under max_in_flight
        SELECT s.id, s.xmin AS seen, false AS probe, d.due_at, s.timeout,
               s.max_in_flight - (SELECT count(*)::int FROM (
                                      SELECT FROM webhooks.messages l
                                       WHERE l.subscription_id = s.id AND l.lease_owner IS NOT NULL
                                         AND l.lease_expires_at > now()
                                       ORDER BY l.lease_expires_at
                                       LIMIT s.max_in_flight) running) AS room
          FROM webhooks.subscriptions s
          CROSS JOIN LATERAL (
                SELECT m.next_attempt_at AS due_at FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending' AND m.next_attempt_at <= now()
                 ORDER BY m.next_attempt_at LIMIT 1) d
         WHERE s.enabled AND s.id <> ALL (skipped)
        UNION ALL
        -- tripped subscriptions whose cool-down is over: one probe each
        SELECT s.id, s.xmin, true, s.probe_at, s.timeout, 1
          FROM webhooks.subscriptions s
         WHERE NOT s.enabled AND s.auto_disabled_at IS NOT NULL AND s.probe_at <= now()
           AND s.id <> ALL (skipped)
           -- an ordered LIMIT 1 walk of messages_due, not an EXISTS the
           -- planner may turn into a semi-join over a scan of the outbox
           AND (SELECT true FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending'
                   AND (m.lease_expires_at IS NULL OR m.lease_expires_at <= now())
                 ORDER BY m.next_attempt_at LIMIT 1)
    ),
    locked AS MATERIALIZED (
        SELECT s.id, s.xmin AS latest
          FROM webhooks.subscriptions s
         WHERE s.id IN (SELECT c.id FROM candidates c WHERE c.room > 0
                         ORDER BY c.due_at, c.id LIMIT claim.batch_size)
           FOR NO KEY UPDATE SKIP LOCKED
    ),
    chosen AS MATERIALIZED (
        SELECT c.id, c.probe, c.room, c.timeout, row_number() OVER (ORDER BY c.due_at, c.id) AS rn
          FROM candidates c
          JOIN locked l ON l.id = c.id AND l.latest = c.seen  -- unchanged since our snapshot
         WHERE c.room > 0
         ORDER BY c.due_at, c.id
         LIMIT claim.batch_size
    ),
    shares AS (
        SELECT ch.id, ch.probe, ch.timeout,
               least(ch.room, claim.batch_size / n.n + (ch.rn <= claim.batch_size % n.n)::int) AS share
          FROM chosen ch, (SELECT count(*)::int AS n FROM chosen) n
    ),
    picked AS MATERIALIZED (
        SELECT p.id, sh.probe,
               -- the lease always outlasts the subscription's timeout (contract §9)
               now() + greatest(claim.lease, sh.timeout + interval '5 seconds') AS expires
          FROM shares sh
          CROSS JOIN LATERAL (
                SELECT m.id FROM webhooks.messages m
                 WHERE m.subscription_id = sh.id AND m.state = 'pending'
                   -- a probe may take a message scheduled later; never one leased now
                   AND m.next_attempt_at <= CASE WHEN sh.probe THEN 'infinity'::timestamptz ELSE now() END
                   AND (NOT sh.probe OR m.lease_expires_at IS NULL OR m.lease_expires_at <= now())
                 ORDER BY m.next_attempt_at
                 LIMIT sh.share
                   FOR NO KEY UPDATE SKIP LOCKED) p
    ),
    claimed AS (
        -- by primary key from an id array (an InitPlan): joined to the CTE
        -- alone, the planner's row guess could pick a hash join over a
        -- sequential scan of the whole outbox (19 ms for claim(200) with
        -- 50,000 queued on 0.1.0)
        UPDATE webhooks.messages m
           SET lease_owner = claim.worker_id,
               lease_token = new_token,
               lease_expires_at = p.expires,
               next_attempt_at = p.expires
          FROM picked p
         WHERE m.id = ANY (ARRAY(SELECT p2.id FROM picked p2)) AND m.id = p.id
        RETURNING m.id, m.event_id, m.subscription_id, m.attempts, m.lease_expires_at, p.probe
    ),
    leased AS (
        INSERT INTO webhooks.leases (token, worker_id, claimed_at, expires_at, message_ids, event_ids,
                                     subscription_ids, attempts, probe_ids)
        SELECT new_token, claim.worker_id, claimed_clock, max(c.lease_expires_at),
               array_agg(c.id ORDER BY c.id), array_agg(c.event_id ORDER BY c.id),
               array_agg(c.subscription_id ORDER BY c.id), array_agg(c.attempts + 1 ORDER BY c.id),
               coalesce(array_agg(c.id ORDER BY c.id) FILTER (WHERE c.probe), '{}')
          FROM claimed c
        HAVING count(*) > 0
    ),
    touched AS (
        UPDATE webhooks.subscriptions s
           SET last_claimed_at = now(),
               -- a probe holds the circuit until its lease runs out
               probe_at = CASE WHEN s.enabled THEN s.probe_at
                               ELSE (SELECT max(c.lease_expires_at) FROM claimed c WHERE c.subscription_id = s.id) END,
               probe_message_id = CASE WHEN s.enabled THEN s.probe_message_id
                                       ELSE (SELECT min(c.id) FROM claimed c WHERE c.subscription_id = s.id) END
         WHERE s.id IN (SELECT c.subscription_id FROM claimed c)
    )
    SELECT new_token,
           c.id,
           c.event_id,
           c.subscription_id,
           s.name,
           c.attempts + 1,
           s.url,
           CASE WHEN s.previous_secret IS NOT NULL AND s.previous_secret_expires_at > now()
                THEN ARRAY[s.secret, s.previous_secret] ELSE ARRAY[s.secret] END,
           s.headers,
           format('{"type": %s, "timestamp": %s, "data": %s}',
                  to_json(e.event_type)::text,
                  to_json(to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
                  e.payload::text),
           (extract(epoch FROM s.timeout) * 1000)::int,
           c.lease_expires_at
      FROM claimed c
      JOIN webhooks.subscriptions s ON s.id = c.subscription_id
      JOIN webhooks.events e ON e.id = c.event_id
     ORDER BY c.subscription_id, c.id;
END
$$;

COMMENT ON FUNCTION webhooks.claim(text, int, interval, bigint[]) IS
    'worker API: lease up to batch_size due messages (fairly across subscriptions, within max_in_flight, none of skip_subscriptions) under one fresh lease token and return all that sending needs';

/* only workers (and operators, for debugging) may take messages off the queue */
REVOKE ALL ON FUNCTION webhooks.claim(text, int, interval, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.claim(text, int, interval, bigint[]) TO webhooks_worker, webhooks_admin;

-- sql/delivery/record.sql
-- Records a batch of delivery attempts (contract §6, §9). The worker sends
-- back, per request, the lease token and message id that claim handed it and
-- what happened (status, duration, error, first KiB of the response,
-- Retry-After); the database knows the rest from webhooks.leases.
--
-- Per (lease_token, message_id) of this worker_id's leases, exactly once:
--  - one webhooks.deliveries row, always (lease expired and re-leased,
--    message discarded, delivered by another worker, subscription deleted:
--    then the row says "late result" and nothing else moves);
--  - if the message still carries that lease token, it moves: 2xx delivered
--    (deleted); no response, 408, 429, 5xx retried on the jittered schedule
--    (retry_schedule[attempt] x uniform(0.8, 1.2); a Retry-After may lengthen
--    that up to 1 day, never shorten it) while attempts are left, then
--    failed; any other status failed at once; 410 also pauses the
--    subscription. A failed probe of a tripped circuit is logged as retrying
--    and leaves its message's attempts as they were (contract §9).
-- A result whose pair claim never handed to this worker_id (another
-- worker's token, made-up ids) is neither logged nor applied; they are
-- counted in one WARNING. A pair recorded before (the worker retrying a
-- record whose commit was in doubt) logs and changes nothing: idempotent.
--
-- Fast path: one set-based statement for the batch (webhooks.record_batch),
-- then one short step per subscription with failures (circuit, alerts). If
-- that fails (a poison result: e.g. a value out of range), it is rolled back
-- to a savepoint and the batch is redone one result at a time; a result that
-- fails alone is logged with the error and leaves its message leased, so it
-- is sent again when the lease expires: nothing is lost, nothing else waits.
-- Returns the number of attempts logged.
CREATE OR REPLACE FUNCTION webhooks.record(worker_id text, results jsonb)
RETURNS int
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET jit TO off
AS $$
DECLARE
    logged int := 0;
    forged int := 0;
    one_logged int;
    one_forged int;
    elem jsonb;
    err text;
BEGIN
    IF record.results IS NULL THEN
        RETURN 0;
    END IF;
    IF jsonb_typeof(record.results) <> 'array' THEN
        RAISE EXCEPTION 'results must be a JSON array of attempt objects, not %', jsonb_typeof(record.results)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_array_length(record.results) = 0 THEN
        RETURN 0;
    END IF;

    BEGIN
        SELECT b.logged, b.forged INTO logged, forged FROM webhooks.record_batch(record.worker_id, record.results) b;
    EXCEPTION WHEN OTHERS THEN
        logged := 0;
        forged := 0;
        FOR elem IN SELECT e FROM jsonb_array_elements(record.results) e LOOP
            BEGIN
                SELECT b.logged, b.forged INTO one_logged, one_forged
                  FROM webhooks.record_batch(record.worker_id, jsonb_build_array(elem)) b;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
                BEGIN
                    SELECT u.logged, u.forged INTO one_logged, one_forged
                      FROM webhooks.record_unapplied(record.worker_id, elem, err) u;
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
                    RAISE WARNING 'webhooks.record: a result of worker "%" could not be logged: %', record.worker_id, err;
                    one_logged := 0;
                    one_forged := 0;
                END;
            END;
            logged := logged + one_logged;
            forged := forged + one_forged;
        END LOOP;
    END;

    IF forged > 0 THEN
        RAISE WARNING 'webhooks.record: % result(s) ignored: their lease token and message were never handed to worker "%"',
            forged, record.worker_id;
    END IF;
    -- about one call in fifty sweeps old lease facts (cheap: an index range)
    IF random() < 0.02 THEN
        PERFORM webhooks.clean_leases();
    END IF;
    RETURN logged;
END
$$;

COMMENT ON FUNCTION webhooks.record(text, jsonb) IS
    'worker API: log a batch of attempts (JSON array of {lease_token, message_id, status_code, duration_ms, error, response, retry_after_s}) once each and move each message whose lease it is; counts failures and trips circuits';

/* recording outcomes moves messages and trips circuits: workers and operators only */
REVOKE ALL ON FUNCTION webhooks.record(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.record(text, jsonb) TO webhooks_worker, webhooks_admin;


-- The set-based body of webhooks.record (internal; runs with record's rights).
-- Every statement reaches webhooks.messages only by primary key (an id array
-- is the index condition; the lease token is checked on the row, and no
-- index covers it, so the partial indexes cannot be combined with the PK as
-- 0.1.0's state/lease_owner filters let the planner do before ANALYZE), and
-- no join of two CTEs has a guessed size: the log marks applied results by a
-- hashed IN list instead of 0.1.0's `log LEFT JOIN applied` nested loop
-- (24,000-35,000 rows discarded per call). record(32 results): 1.23 ms
-- (0.1.0: 1.16 ms on a clean table; command: bench/claim-record/compare 10,
-- docs/benchmarks.md). The outcome class and the response capture are
-- inlined: as functions with SET search_path they cost 2 ms per batch of 32.
CREATE OR REPLACE FUNCTION webhooks.record_batch(worker_id text, results jsonb, OUT logged int, OUT forged int)
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
SET enable_seqscan TO off
SET enable_bitmapscan TO off
AS $$
DECLARE
    per_subscription jsonb;
BEGIN
    WITH r AS MATERIALIZED (
        SELECT e.ord,
               (e.j->>'lease_token')::uuid                 AS token,
               (e.j->>'message_id')::bigint                AS message_id,
               (e.j->>'status_code')::int                  AS status_code,
               (e.j->>'duration_ms')::int                  AS duration_ms,
               e.j->>'error'                               AS error,
               CASE WHEN coalesce(octet_length(e.j->>'response'), 0) <= 1024 THEN e.j->>'response'
                    ELSE webhooks.response_capture(e.j->>'response') END AS response,
               -- Retry-After is capped at 1 day (retry_after_cap_seconds)
               -- (least/greatest skip NULLs: none given stays NULL)
               CASE WHEN e.j->>'retry_after_s' IS NOT NULL
                    THEN greatest(least((e.j->>'retry_after_s')::float8, 86400), 0) END AS retry_after_s
          FROM jsonb_array_elements(record_batch.results) WITH ORDINALITY AS e(j, ord)
    ),
    lease AS MATERIALIZED (  -- this worker's leases named in the batch, locked: one record per lease at a time
        SELECT l.token, l.claimed_at, l.message_ids, l.event_ids, l.subscription_ids, l.attempts, l.probe_ids, l.done
          FROM webhooks.leases l
         WHERE l.token = ANY (ARRAY(SELECT DISTINCT r.token FROM r WHERE r.token IS NOT NULL))
           AND l.worker_id = record_batch.worker_id
           FOR UPDATE
    ),
    f AS MATERIALIZED (  -- results for pairs handed to this worker and not recorded yet (first one of repeats)
        SELECT DISTINCT ON (r.token, r.message_id)
               r.*, l.claimed_at, l.event_ids[x.i] AS event_id, l.subscription_ids[x.i] AS subscription_id,
               l.attempts[x.i] AS attempt, r.message_id = ANY (l.probe_ids) AS probe,
               webhooks.outcome_class(r.status_code) AS class
          FROM r
          JOIN lease l ON l.token = r.token
          CROSS JOIN LATERAL (SELECT array_position(l.message_ids, r.message_id) AS i) x
         WHERE x.i IS NOT NULL AND r.message_id <> ALL (l.done)
         ORDER BY r.token, r.message_id, r.ord
    ),
    o AS MATERIALIZED (
        SELECT f.*,
               -- a probe while its circuit is still tripped (re-enabled by an
               -- operator meanwhile, it is an ordinary attempt)
               f.probe AND coalesce(NOT s.enabled AND s.auto_disabled_at IS NOT NULL, false) AS held_probe,
               coalesce(s.enabled AND s.consecutive_failures = 0, false) AS healthy,
               CASE WHEN f.class = 'delivered' THEN 'delivered'
                    WHEN f.probe AND coalesce(NOT s.enabled AND s.auto_disabled_at IS NOT NULL, false)
                    THEN 'retrying'  -- a failed probe keeps the held message's budget
                    WHEN f.class = 'retry' AND f.attempt <= coalesce(cardinality(s.retry_schedule), 0) THEN 'retrying'
                    ELSE 'failed' END AS outcome,
               -- bounded whatever the schedule says: never "timestamp out of range"
               least(s.retry_schedule[f.attempt], interval '100 years') * (0.8 + 0.4 * random()) AS jittered
          FROM f
          LEFT JOIN webhooks.subscriptions s ON s.id = f.subscription_id
    ),
    done_msgs AS (
        DELETE FROM webhooks.messages m
         USING o
         WHERE m.id = ANY (ARRAY(SELECT o2.message_id FROM o o2 WHERE o2.outcome = 'delivered'))
           AND m.id = o.message_id AND m.lease_token = o.token AND o.outcome = 'delivered'
        RETURNING o.token, m.id
    ),
    moved AS (
        UPDATE webhooks.messages m
           SET attempts = CASE WHEN o.held_probe THEN m.attempts ELSE o.attempt END,
               state = CASE WHEN o.outcome = 'failed' THEN 'failed' ELSE 'pending' END,
               next_attempt_at = CASE WHEN o.outcome = 'failed' OR o.held_probe THEN now()
                                      WHEN o.retry_after_s IS NULL OR make_interval(secs => o.retry_after_s) <= o.jittered
                                      THEN now() + o.jittered
                                      ELSE now() + make_interval(secs => o.retry_after_s) END,
               lease_owner = NULL,
               lease_expires_at = NULL,
               lease_token = NULL
          FROM o
         WHERE m.id = ANY (ARRAY(SELECT o2.message_id FROM o o2 WHERE o2.outcome <> 'delivered'))
           AND m.id = o.message_id AND m.lease_token = o.token AND o.outcome <> 'delivered'
        RETURNING o.token, m.id
    ),
    applied AS (
        SELECT d.token, d.id FROM done_msgs d UNION ALL SELECT mv.token, mv.id FROM moved mv
    ),
    log AS (
        INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, status_code, duration_ms,
                                         outcome, error, response, worker_id)
        SELECT o.event_id, o.subscription_id, o.attempt, o.status_code, o.duration_ms, o.outcome,
               CASE WHEN (o.token, o.message_id) IN (SELECT a.token, a.id FROM applied a) THEN o.error
                    ELSE concat_ws('; ', o.error, 'late result: the message had moved on (lease expired, re-leased, discarded or finished); it was not moved') END,
               o.response, record_batch.worker_id
          FROM o
         ORDER BY o.ord
        RETURNING 1
    ),
    mark AS (
        UPDATE webhooks.leases l
           SET done = l.done || x.ids,
               finished_at = CASE WHEN cardinality(l.done) + cardinality(x.ids) >= cardinality(l.message_ids) THEN now() END
          FROM (SELECT f.token, array_agg(f.message_id) AS ids FROM f GROUP BY f.token) x
         WHERE l.token = x.token
    ),
    ap AS (  -- results that moved their message, per subscription, for the circuit and the alerts
        SELECT o.*, coalesce(max(o.ord) FILTER (WHERE o.outcome = 'delivered') OVER (PARTITION BY o.subscription_id), 0) AS last_ok
          FROM o
         WHERE (o.token, o.message_id) IN (SELECT a.token, a.id FROM applied a)
    ),
    per_sub AS (
        SELECT ap.subscription_id,
               count(*) FILTER (WHERE ap.outcome = 'delivered') AS successes,
               count(*) FILTER (WHERE ap.outcome <> 'delivered' AND NOT ap.held_probe AND ap.ord > ap.last_ok) AS failures_after,
               max(ap.claimed_at) FILTER (WHERE ap.outcome <> 'delivered' AND NOT ap.held_probe AND ap.ord > ap.last_ok)
                                                                AS last_failure_claimed_at,
               coalesce(bool_or(ap.held_probe AND ap.outcome <> 'delivered'), false) AS probe_failed,
               coalesce(bool_or(ap.status_code = 410), false)   AS gone,
               (array_agg(CASE WHEN ap.status_code IS NULL THEN coalesce(ap.error, 'no response')
                               ELSE concat_ws(': ', 'HTTP ' || ap.status_code, ap.error) END
                          ORDER BY ap.ord DESC) FILTER (WHERE ap.outcome <> 'delivered'))[1] AS last_error,
               (array_agg(ap.status_code ORDER BY ap.ord DESC) FILTER (WHERE ap.outcome <> 'delivered'))[1] AS last_status,
               (array_agg(ap.response ORDER BY ap.ord DESC) FILTER (WHERE ap.outcome <> 'delivered'))[1] AS last_response,
               jsonb_agg(jsonb_build_object('ord', ap.ord, 'message_id', ap.message_id, 'event_id', ap.event_id,
                                            'attempts', ap.attempt, 'status_code', ap.status_code, 'error', ap.error,
                                            'response', left(ap.response, 256)) ORDER BY ap.ord)
                   FILTER (WHERE ap.outcome = 'failed') AS failed,
               bool_and(ap.healthy AND ap.outcome = 'delivered') AS all_well
          FROM ap
         GROUP BY ap.subscription_id
    )
    SELECT (SELECT count(*) FROM log),
           (SELECT count(*) FROM r WHERE NOT EXISTS (SELECT FROM lease l WHERE l.token = r.token
                                                                            AND r.message_id = ANY (l.message_ids))),
           -- only subscriptions with something to change: a batch of
           -- successes for a healthy one skips record_subscriptions (0.6 ms)
           (SELECT jsonb_agg(to_jsonb(p)) FROM per_sub p WHERE NOT p.all_well)
      INTO logged, forged, per_subscription;

    IF per_subscription IS NOT NULL THEN
        PERFORM webhooks.record_subscriptions(per_subscription);
    END IF;
END
$$;

COMMENT ON FUNCTION webhooks.record_batch(text, jsonb) IS
    'internal (webhooks.record): log and apply a batch of results set-based; returns attempts logged and results that matched no lease';

/* internal: reached only through webhooks.record */
REVOKE ALL ON FUNCTION webhooks.record_batch(text, jsonb) FROM PUBLIC;


-- A result that could not be applied even alone (webhooks.record's
-- fallback): logged from its lease facts with the error, and marked done;
-- its message is left as it is (leased: it is sent again when the lease
-- expires). Fields that do not parse are logged as NULL.
CREATE OR REPLACE FUNCTION webhooks.record_unapplied(worker_id text, result jsonb, reason text,
                                                     OUT logged int, OUT forged int)
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    tok uuid;
    mid bigint;
    l webhooks.leases;
    i int;
    status int;
    took int;
BEGIN
    logged := 0;
    forged := 1;
    BEGIN
        tok := (record_unapplied.result->>'lease_token')::uuid;
        mid := (record_unapplied.result->>'message_id')::bigint;
    EXCEPTION WHEN OTHERS THEN
        RETURN;  -- no pair to match: counted as never handed out
    END;
    SELECT * INTO l FROM webhooks.leases x WHERE x.token = tok AND x.worker_id = record_unapplied.worker_id FOR UPDATE;
    i := array_position(l.message_ids, mid);
    IF i IS NULL THEN
        RETURN;
    END IF;
    forged := 0;
    IF mid = ANY (l.done) THEN
        RETURN;  -- recorded before: nothing twice
    END IF;
    BEGIN
        status := (record_unapplied.result->>'status_code')::int;
    EXCEPTION WHEN OTHERS THEN
        status := NULL;
    END;
    BEGIN
        took := (record_unapplied.result->>'duration_ms')::int;
    EXCEPTION WHEN OTHERS THEN
        took := NULL;
    END;
    INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, status_code, duration_ms,
                                     outcome, error, response, worker_id)
    VALUES (l.event_ids[i], l.subscription_ids[i], l.attempts[i], status, took,
            CASE webhooks.outcome_class(status) WHEN 'delivered' THEN 'delivered' WHEN 'retry' THEN 'retrying' ELSE 'failed' END,
            concat_ws('; ', left(record_unapplied.result->>'error', 1000),
                      'result not applied (' || left(record_unapplied.reason, 500)
                      || '); the message keeps its lease and is sent again when it expires'),
            webhooks.response_capture(record_unapplied.result->>'response'), record_unapplied.worker_id);
    UPDATE webhooks.leases x
       SET done = x.done || mid,
           finished_at = CASE WHEN cardinality(x.done) + 1 >= cardinality(x.message_ids) THEN now() END
     WHERE x.token = tok;
    logged := 1;
END
$$;

COMMENT ON FUNCTION webhooks.record_unapplied(text, jsonb, text) IS
    'internal (webhooks.record): log a result that could not be applied, with the reason; its message keeps its lease';

/* internal: reached only through webhooks.record */
REVOKE ALL ON FUNCTION webhooks.record_unapplied(text, jsonb, text) FROM PUBLIC;


-- Per subscription with failures in a recorded batch: the circuit, the 410
-- pause and the coalesced webhooks.message.failed alert. Locks each
-- subscription row in id order (no deadlock between two recorders), and only
-- rows that change: a batch of successes for a healthy subscription writes
-- nothing here and so never waits for a claim.
--
-- The circuit counts sustained failure, not bursts (contract §9): a failed
-- attempt counts towards circuit_threshold only if its request was claimed
-- after the previous counted failure was recorded
-- (subscription_health.failure_counted_at). Requests in flight together are
-- one signal: 64 concurrent requests that all fail count once, while a dead
-- receiver, whose every claim comes after the last recorded failure, counts
-- once per claim-send-record round and trips after circuit_threshold rounds.
-- A success resets the count. Failed probes do not count (the circuit is
-- already tripped); they double the cool-down.
CREATE OR REPLACE FUNCTION webhooks.record_subscriptions(per_subscription jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    p record;
    sub webhooks.subscriptions;
    h webhooks.subscription_health;
    tripped boolean;
    counted boolean;
    failures int;
    verdict text;
    final_failures int;
    last_failed jsonb;
    unreported int;
    reported_at timestamptz;
    first_cooldown interval := coalesce(nullif(current_setting('webhooks.probe_cooldown', true), ''), '1 min')::interval;
    max_cooldown interval := coalesce(nullif(current_setting('webhooks.probe_cooldown_max', true), ''), '1 hour')::interval;
    alert_window interval := coalesce(nullif(current_setting('webhooks.failed_alert_window', true), ''), '5 min')::interval;
BEGIN
    FOR p IN
        SELECT * FROM jsonb_to_recordset(record_subscriptions.per_subscription) AS a(
            subscription_id bigint, successes int, failures_after int, last_failure_claimed_at timestamptz,
            probe_failed boolean, gone boolean, last_error text, last_status int, last_response text, failed jsonb)
         ORDER BY a.subscription_id
    LOOP
        SELECT s.* INTO sub FROM webhooks.subscriptions s WHERE s.id = p.subscription_id;
        CONTINUE WHEN NOT FOUND;
        CONTINUE WHEN p.failures_after = 0 AND NOT p.probe_failed AND NOT p.gone AND p.failed IS NULL
                  AND sub.enabled AND sub.consecutive_failures = 0;
        SELECT s.* INTO sub FROM webhooks.subscriptions s WHERE s.id = p.subscription_id FOR NO KEY UPDATE;
        CONTINUE WHEN NOT FOUND;
        SELECT x.* INTO h FROM webhooks.subscription_health x WHERE x.subscription_id = sub.id;

        tripped := NOT sub.enabled AND sub.auto_disabled_at IS NOT NULL;
        counted := p.failures_after > 0
                   AND (h.failure_counted_at IS NULL OR p.last_failure_claimed_at > h.failure_counted_at);
        failures := CASE WHEN p.successes > 0 THEN counted::int ELSE sub.consecutive_failures + counted::int END;
        verdict := CASE WHEN p.gone AND (sub.enabled OR tripped) THEN 'pause'
                       WHEN tripped AND p.successes > 0 THEN 'recover'
                       WHEN tripped AND p.probe_failed THEN 'probe_failed'
                       WHEN sub.enabled AND failures >= sub.circuit_threshold THEN 'trip'
                       ELSE 'count' END;

        -- message.failed, coalesced: at most one per alert window per
        -- subscription, carrying how many failed since the previous one
        -- and the last of them; never about operational events (no loops)
        SELECT count(*)::int, (array_agg(x.j || jsonb_build_object('event_type', e.event_type) ORDER BY (x.j->>'ord')::int DESC))[1]
          INTO final_failures, last_failed
          FROM jsonb_array_elements(coalesce(p.failed, '[]')) x(j)
          JOIN webhooks.events e ON e.id = (x.j->>'event_id')::uuid
         WHERE e.event_type NOT LIKE 'webhooks.%';
        unreported := coalesce(h.failed_unreported, 0) + final_failures;
        reported_at := h.failed_reported_at;
        last_failed := coalesce(last_failed, h.failed_last);
        IF unreported > 0 AND (reported_at IS NULL OR reported_at <= now() - alert_window)
           AND EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = 'webhooks.message.failed') THEN
            PERFORM webhooks.store_event('webhooks.message.failed',
                                jsonb_build_object('subscription', sub.name, 'subscription_id', sub.id,
                                       'url', webhooks.redact_url(sub.url),
                                       'count', unreported, 'window', alert_window::text, 'since', reported_at,
                                       'message_id', last_failed->'message_id', 'event_id', last_failed->'event_id',
                                       'event_type', last_failed->'event_type', 'attempts', last_failed->'attempts',
                                       'status_code', last_failed->'status_code', 'error', last_failed->'error',
                                       'response', last_failed->'response'),
                    NULL, sub.id);
            unreported := 0;
            reported_at := now();
            last_failed := NULL;
        END IF;

        INSERT INTO webhooks.subscription_health AS x
               (subscription_id, failure_counted_at, last_status_code, last_response,
                failed_reported_at, failed_unreported, failed_last)
        VALUES (sub.id, CASE WHEN counted THEN clock_timestamp() ELSE h.failure_counted_at END,
                coalesce(p.last_status, h.last_status_code), coalesce(p.last_response, h.last_response),
                reported_at, unreported, last_failed)
        ON CONFLICT (subscription_id) DO UPDATE
           SET failure_counted_at = excluded.failure_counted_at,
               last_status_code = CASE WHEN p.last_error IS NOT NULL THEN p.last_status ELSE x.last_status_code END,
               last_response = CASE WHEN p.last_error IS NOT NULL THEN p.last_response ELSE x.last_response END,
               failed_reported_at = excluded.failed_reported_at,
               failed_unreported = excluded.failed_unreported,
               failed_last = excluded.failed_last;

        UPDATE webhooks.subscriptions s
           SET consecutive_failures = failures,
               last_error = CASE WHEN verdict = 'pause'
                                 THEN 'paused: the receiver answered 410 Gone (' || coalesce(p.last_error, 'HTTP 410') || ')'
                                 ELSE coalesce(p.last_error, s.last_error) END,
               -- 'recover' goes through the re-enable path of the validate trigger
               enabled = CASE verdict WHEN 'pause' THEN false WHEN 'recover' THEN true
                                     WHEN 'trip' THEN false ELSE s.enabled END,
               auto_disabled_at = CASE verdict WHEN 'pause' THEN NULL WHEN 'trip' THEN now()
                                              ELSE s.auto_disabled_at END,
               probe_cooldown = CASE verdict WHEN 'pause' THEN NULL WHEN 'trip' THEN first_cooldown
                                    WHEN 'probe_failed' THEN least(coalesce(s.probe_cooldown, first_cooldown) * 2, max_cooldown)
                                    ELSE s.probe_cooldown END,
               probe_at = CASE verdict WHEN 'pause' THEN NULL WHEN 'trip' THEN now() + first_cooldown
                              WHEN 'probe_failed' THEN now() + least(coalesce(s.probe_cooldown, first_cooldown) * 2, max_cooldown)
                              ELSE s.probe_at END,
               probe_message_id = CASE WHEN verdict = 'count' THEN s.probe_message_id END
         WHERE s.id = sub.id;

        IF verdict = 'pause' AND EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = 'webhooks.subscription.paused') THEN
            PERFORM webhooks.store_event('webhooks.subscription.paused',
                                jsonb_build_object('subscription', sub.name, 'subscription_id', sub.id,
                                       'url', webhooks.redact_url(sub.url), 'reason', 'gone',
                                       'last_error', 'paused: the receiver answered 410 Gone (' || coalesce(p.last_error, 'HTTP 410') || ')',
                                       'status_code', p.last_status, 'response', left(p.last_response, 256),
                                       'paused_at', now()),
                    NULL, sub.id);
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION webhooks.record_subscriptions(jsonb) IS
    'internal (webhooks.record): per subscription with failures, count sustained failure, trip, pause on 410, probe cool-down, coalesced message.failed';

/* internal: reached only through webhooks.record */
REVOKE ALL ON FUNCTION webhooks.record_subscriptions(jsonb) FROM PUBLIC;


-- Keeps webhooks.leases small: a finished lease (every message recorded or
-- released) is kept 10 minutes, so that a record repeated after a commit in
-- doubt is still recognised; an abandoned one (its worker died) is kept a
-- day after it expired, so that a late result is still logged with its
-- facts. webhooks.record calls it now and then; returns rows removed.
CREATE OR REPLACE FUNCTION webhooks.clean_leases()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM webhooks.leases l
     WHERE l.claimed_at < now() - interval '10 minutes'
       AND (l.finished_at < now() - interval '10 minutes' OR l.expires_at < now() - interval '1 day');
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;

COMMENT ON FUNCTION webhooks.clean_leases() IS
    'delete lease facts finished over 10 minutes ago or abandoned (expired over a day ago); returns how many';

/* housekeeping of the worker API: workers (through record) and operators */
REVOKE ALL ON FUNCTION webhooks.clean_leases() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.clean_leases() TO webhooks_worker, webhooks_admin;

/* operators may read the lease facts and the circuit/alert state when
   investigating (no secrets in either); only the worker API writes them */
GRANT SELECT ON webhooks.leases, webhooks.subscription_health TO webhooks_admin;

-- sql/delivery/release.sql
-- Gives leases back without counting an attempt (a worker shutting down, or
-- one that claimed more than it can send): the messages are due again at
-- once. Only (lease_token, message) pairs that claim handed to this worker
-- and that still hold the message are released, and they count as done for
-- the lease (a later record of one of them logs nothing: it was not sent).
-- A released probe lets the circuit be probed again straight away.
CREATE OR REPLACE FUNCTION webhooks.release(worker_id text, lease_token uuid, message_ids bigint[])
RETURNS int
LANGUAGE sql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET jit TO off
AS $$
    WITH lease AS MATERIALIZED (
        SELECT l.token, l.done, l.message_ids
          FROM webhooks.leases l
         WHERE l.token = release.lease_token AND l.worker_id = release.worker_id
           FOR UPDATE
    ),
    mine AS MATERIALIZED (  -- asked for, handed out under this lease, not recorded or released yet
        SELECT DISTINCT x.id
          FROM lease l, unnest(release.message_ids) x(id)
         WHERE x.id = ANY (l.message_ids) AND x.id <> ALL (l.done)
    ),
    released AS (
        UPDATE webhooks.messages m
           SET lease_owner = NULL, lease_expires_at = NULL, lease_token = NULL, next_attempt_at = now()
         WHERE m.id = ANY (ARRAY(SELECT mine.id FROM mine))
           AND m.lease_token = release.lease_token
        RETURNING m.id, m.subscription_id
    ),
    mark AS (
        UPDATE webhooks.leases l
           SET done = l.done || x.ids,
               finished_at = CASE WHEN cardinality(l.done) + cardinality(x.ids) >= cardinality(l.message_ids) THEN now() END
          FROM (SELECT array_agg(mine.id) AS ids FROM mine HAVING count(*) > 0) x
         WHERE l.token = release.lease_token
    ),
    probes AS (
        UPDATE webhooks.subscriptions s
           SET probe_at = now(), probe_message_id = NULL
          FROM released r
         WHERE s.id = r.subscription_id AND s.probe_message_id = r.id
           AND NOT s.enabled AND s.auto_disabled_at IS NOT NULL
    ),
    wake AS (
        SELECT pg_catalog.pg_notify('webhooks', '') WHERE EXISTS (SELECT FROM released)
    )
    SELECT count(*)::int FROM released, (SELECT count(*) FROM wake) w
$$;

COMMENT ON FUNCTION webhooks.release(text, uuid, bigint[]) IS
    'worker API: give back this worker''s lease (token from claim) on these messages without counting an attempt; returns how many were released';

/* only the worker that holds a lease has any use for giving it back */
REVOKE ALL ON FUNCTION webhooks.release(text, uuid, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.release(text, uuid, bigint[]) TO webhooks_worker, webhooks_admin;

-- sql/delivery/next_due.sql
-- When a claim could next return something, so that an idle worker sleeps
-- until then (or a NOTIFY, or its fallback poll). Per subscription: the
-- earliest due message if it has room under max_in_flight, else the earliest
-- running lease's expiry; a tripped one with messages waits for its probe
-- time; a paused one never. Events still waiting in webhooks.fan_out_queue
-- are due now (the next claim turns them into messages). NULL when nothing
-- is queued that could be sent.
-- May be in the past: then claim now.
CREATE OR REPLACE FUNCTION webhooks.next_due()
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET jit TO off
SET enable_bitmapscan TO off
AS $$
    SELECT min(t.at) FROM (
        SELECT CASE WHEN l.running < s.max_in_flight THEN d.first_at
                    ELSE greatest(d.first_at, l.first_expiry) END AS at
          FROM webhooks.subscriptions s
          CROSS JOIN LATERAL (
                SELECT m.next_attempt_at AS first_at FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending'
                 ORDER BY m.next_attempt_at LIMIT 1) d
          CROSS JOIN LATERAL (  -- an ordered walk of messages_leased, as in webhooks.claim
                SELECT count(*) AS running, min(x.lease_expires_at) AS first_expiry
                  FROM (SELECT m.lease_expires_at FROM webhooks.messages m
                         WHERE m.subscription_id = s.id AND m.lease_owner IS NOT NULL AND m.lease_expires_at > now()
                         ORDER BY m.lease_expires_at LIMIT s.max_in_flight) x) l
         WHERE s.enabled
        UNION ALL
        SELECT s.probe_at
          FROM webhooks.subscriptions s
         WHERE NOT s.enabled AND s.auto_disabled_at IS NOT NULL
           AND EXISTS (SELECT FROM webhooks.messages m WHERE m.subscription_id = s.id AND m.state = 'pending')
        UNION ALL
        SELECT now() WHERE EXISTS (SELECT FROM webhooks.fan_out_queue)
    ) t
$$;

COMMENT ON FUNCTION webhooks.next_due() IS
    'worker API: the earliest time a claim could return a message (NULL: nothing that could be sent is queued)';

/* part of the worker's loop; it reveals no more than queue timing */
REVOKE ALL ON FUNCTION webhooks.next_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.next_due() TO webhooks_worker, webhooks_admin;

-- sql/delivery/replay.sql
-- Requeues a subscription's failed messages whose event was published at or
-- after `since`, with a fresh retry schedule (attempts start again at 1).
-- They are due at once, or held if the subscription is paused or tripped.
CREATE OR REPLACE FUNCTION webhooks.replay(subscription text, since timestamptz DEFAULT '-infinity')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(replay.subscription);
    requeued bigint;
BEGIN
    IF replay.since IS NULL THEN
        RAISE EXCEPTION 'since may not be NULL (the default, ''-infinity'', replays everything)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE webhooks.messages m
       SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
     WHERE m.subscription_id = sub_id AND m.state = 'failed' AND m.created_at >= replay.since;
    GET DIAGNOSTICS requeued = ROW_COUNT;
    IF requeued > 0 THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN requeued;
END
$$;

COMMENT ON FUNCTION webhooks.replay(text, timestamptz) IS
    'requeue the named subscription''s failed messages published since then, with a fresh retry schedule; returns how many';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.replay(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.replay(text, timestamptz) TO webhooks_admin;

-- sql/delivery/redeliver.sql
-- Sends one event again: to the named subscription, which must be one whose
-- patterns match the event's type (contract §9: a payload never reaches a
-- receiver that did not ask for it), or (NULL) to every subscription it was
-- sent or queued for. A failed message is requeued with a
-- fresh schedule, a message still pending is left as it is (it is on its
-- way), a finished one gets a new message. Never to the subscription an
-- operational event is about. Queued events are turned into messages first
-- (webhooks.fan_out_queued), so an event published a moment ago is not sent
-- twice. Returns the number of messages queued.
CREATE OR REPLACE FUNCTION webhooks.redeliver(event_id uuid, subscription text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    about bigint;
    etype text;
    target bigint;
    requeued bigint;
    added bigint;
BEGIN
    SELECT e.about_subscription_id, e.event_type INTO about, etype FROM webhooks.events e WHERE e.id = redeliver.event_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown event %', redeliver.event_id USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM webhooks.fan_out_queued();
    IF redeliver.subscription IS NOT NULL THEN
        target := webhooks.subscription_id(redeliver.subscription);
        IF target = about THEN
            RAISE EXCEPTION 'event % is an operational event about subscription "%" and is never sent to it',
                redeliver.event_id, redeliver.subscription USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT EXISTS (SELECT FROM webhooks.subscriptions s, unnest(s.event_types) p(pattern)
                        WHERE s.id = target AND webhooks.pattern_matches(p.pattern, etype)) THEN
            RAISE EXCEPTION 'subscription "%" does not subscribe to event type "%" (event %)',
                redeliver.subscription, etype, redeliver.event_id
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'redeliver sends only to subscriptions whose event_types patterns match the event''s type';
        END IF;
    END IF;

    WITH targets AS (
        SELECT target AS id WHERE target IS NOT NULL
        UNION
        SELECT d.subscription_id FROM webhooks.deliveries d WHERE d.event_id = redeliver.event_id AND target IS NULL
        UNION
        SELECT m.subscription_id FROM webhooks.messages m WHERE m.event_id = redeliver.event_id AND target IS NULL
    ),
    live AS (  -- deleted subscriptions and the one it is about are not targets
        SELECT t.id FROM targets t
         WHERE EXISTS (SELECT FROM webhooks.subscriptions s WHERE s.id = t.id)
           AND t.id IS DISTINCT FROM about
    ),
    requeue AS (
        UPDATE webhooks.messages m
           SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
         WHERE m.event_id = redeliver.event_id AND m.state = 'failed' AND m.subscription_id IN (SELECT id FROM live)
        RETURNING m.subscription_id
    ),
    add AS (
        INSERT INTO webhooks.messages (event_id, subscription_id)
        SELECT redeliver.event_id, l.id FROM live l
         WHERE NOT EXISTS (SELECT FROM webhooks.messages m WHERE m.event_id = redeliver.event_id AND m.subscription_id = l.id)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM requeue), (SELECT count(*) FROM add) INTO requeued, added;

    IF requeued + added > 0 THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN requeued + added;
END
$$;

COMMENT ON FUNCTION webhooks.redeliver(uuid, text) IS
    'send an event again, to the named subscription or to all it went to; returns the number of messages queued';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.redeliver(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.redeliver(uuid, text) TO webhooks_admin;

-- sql/delivery/discard_pending.sql
-- Drops a subscription's pending messages on purpose (contract §4): those
-- held while it was paused or tripped, and any still queued or in flight (a
-- worker's later result for one is only logged). Failed messages stay for
-- replay. Events published for it but not yet turned into messages
-- (webhooks.fan_out_queue) lose it from their queue rows first; that waits
-- for a claim turning them into messages right now, whose messages the
-- DELETE then sees. Returns the number dropped, queued ones included.
CREATE OR REPLACE FUNCTION webhooks.discard_pending(name text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(discard_pending.name);
    dropped bigint;
    unqueued bigint;
BEGIN
    UPDATE webhooks.fan_out_queue q SET subscription_ids = array_remove(q.subscription_ids, sub_id)
     WHERE sub_id = ANY (q.subscription_ids);
    GET DIAGNOSTICS unqueued = ROW_COUNT;
    DELETE FROM webhooks.messages m WHERE m.subscription_id = sub_id AND m.state = 'pending';
    GET DIAGNOSTICS dropped = ROW_COUNT;
    RETURN dropped + unqueued;
END
$$;

COMMENT ON FUNCTION webhooks.discard_pending(text) IS
    'delete the named subscription''s pending messages (failed ones stay for replay); returns how many';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.discard_pending(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.discard_pending(text) TO webhooks_admin;

-- sql/delivery/rotate_secret.sql
-- Gives a subscription a fresh secret and returns it (contract §4). For the
-- grace period every request is signed with both the new and the old secret,
-- so the receiver can switch over at leisure; a zero grace drops the old one
-- at once. Rotating again within a grace period keeps only the newest two.
CREATE OR REPLACE FUNCTION webhooks.rotate_secret(name text, grace interval DEFAULT '24 hours')
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(rotate_secret.name);
    fresh text := webhooks.generate_secret();
BEGIN
    IF rotate_secret.grace IS NULL OR rotate_secret.grace < interval '0' THEN
        RAISE EXCEPTION 'grace must be a non-negative interval, not %', coalesce(rotate_secret.grace::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE webhooks.subscriptions s
       SET previous_secret = CASE WHEN rotate_secret.grace > interval '0' THEN s.secret END,
           previous_secret_expires_at = CASE WHEN rotate_secret.grace > interval '0' THEN now() + rotate_secret.grace END,
           secret = fresh
     WHERE s.id = sub_id;
    RETURN fresh;
END
$$;

COMMENT ON FUNCTION webhooks.rotate_secret(text, interval) IS
    'give the named subscription a new secret and return it; the old one keeps signing for the grace period';

/* secrets are the operator's alone */
REVOKE ALL ON FUNCTION webhooks.rotate_secret(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.rotate_secret(text, interval) TO webhooks_admin;

-- sql/delivery/purge.sql
-- Removes history older than older_than: the attempts in webhooks.deliveries
-- of messages that have finished (delivered or discarded: no row left in
-- webhooks.messages for that event and subscription), then events that no
-- message references and that have no attempts left on record. The history
-- of a message still pending or failed is never removed, whatever its age
-- (contract §9): why it failed stays on record for replay, and so do its
-- figures in webhooks.subscription_status. Attempts are matched to their
-- message by (event_id, subscription_id) through messages_event_id. An event
-- still waiting in webhooks.fan_out_queue is pending too. The append-only guard
-- lets it through because it sets webhooks.purging for itself alone (the SET
-- clause below restores the caller's value on exit). Returns rows removed.
CREATE OR REPLACE FUNCTION webhooks.purge(older_than interval)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET webhooks.purging TO 'off'
AS $$
DECLARE
    cutoff timestamptz;
    attempts_removed bigint;
    events_removed bigint;
BEGIN
    IF purge.older_than IS NULL OR purge.older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be a non-negative interval, not %', coalesce(purge.older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cutoff := now() - purge.older_than;
    SET LOCAL webhooks.purging = 'on';

    DELETE FROM webhooks.deliveries d
     WHERE d.attempted_at < cutoff
       AND NOT EXISTS (SELECT FROM webhooks.messages m
                        WHERE m.event_id = d.event_id AND m.subscription_id = d.subscription_id);
    GET DIAGNOSTICS attempts_removed = ROW_COUNT;

    DELETE FROM webhooks.events e
     WHERE e.created_at < cutoff
       AND NOT EXISTS (SELECT FROM webhooks.messages m WHERE m.event_id = e.id)
       AND NOT EXISTS (SELECT FROM webhooks.deliveries d WHERE d.event_id = e.id)
       AND e.id NOT IN (SELECT q.event_id FROM webhooks.fan_out_queue q);
    GET DIAGNOSTICS events_removed = ROW_COUNT;

    SET LOCAL webhooks.purging = 'off';
    RETURN attempts_removed + events_removed;
END
$$;

COMMENT ON FUNCTION webhooks.purge(interval) IS
    'delete attempts of finished (delivered or discarded) messages and finished events older than older_than; the history of pending or failed messages stays; returns rows removed';

/* history is the operator's to keep or drop */
REVOKE ALL ON FUNCTION webhooks.purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.purge(interval) TO webhooks_admin;

-- sql/views/subscription_status.sql
-- One row per subscription for the operator (contract §4); never a secret,
-- and the URL with its credentials and query values redacted (contract §9).
-- p50/p95 are rounded to 0.1 ms for people (percentile_cont interpolates:
-- 39.499999999999986 said nothing 39.5 does not).
-- warnings: 'insecure_url' (http://), 'matches_no_event_type' (no registered
-- event type matches any of its patterns: a typo, or types not yet registered).
-- pending counts events published for it that the next claim turns into
-- messages (webhooks.fan_out_queue) with its pending and held messages.
CREATE OR REPLACE VIEW webhooks.subscription_status AS
SELECT s.name,
       webhooks.redact_url(s.url)                                   AS url,
       CASE WHEN s.enabled THEN 'active'
            WHEN s.auto_disabled_at IS NOT NULL THEN 'tripped'
            ELSE 'paused' END                                        AS state,
       array_remove(ARRAY[CASE WHEN s.url ~* '^http://' THEN 'insecure_url' END,
                          CASE WHEN NOT EXISTS (SELECT FROM webhooks.routes r WHERE r.subscription_id = s.id)
                               THEN 'matches_no_event_type' END], NULL) AS warnings,
       s.consecutive_failures,
       s.last_error,
       s.auto_disabled_at,
       coalesce(m.pending, 0) + coalesce(q.queued, 0)               AS pending,
       coalesce(m.failed, 0)                                        AS failed,
       coalesce(d.delivered_24h, 0)                                 AS delivered_24h,
       coalesce(d.failed_attempts_24h, 0)                           AS failed_attempts_24h,
       round(d.p50_ms_24h::numeric, 1)                              AS p50_ms_24h,
       round(d.p95_ms_24h::numeric, 1)                              AS p95_ms_24h,
       d.last_success_at
  FROM webhooks.subscriptions s
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
               count(*) FILTER (WHERE state = 'failed')  AS failed
          FROM webhooks.messages WHERE subscription_id = s.id) m ON true
  LEFT JOIN LATERAL (  -- published, not yet turned into messages (webhooks.fan_out_queue)
        SELECT count(*) AS queued FROM webhooks.fan_out_queue WHERE s.id = ANY (subscription_ids)) q ON true
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE outcome = 'delivered')  AS delivered_24h,
               count(*) FILTER (WHERE outcome <> 'delivered') AS failed_attempts_24h,
               percentile_cont(0.5)  WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE outcome = 'delivered') AS p50_ms_24h,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE outcome = 'delivered') AS p95_ms_24h,
               max(attempted_at) FILTER (WHERE outcome = 'delivered') AS last_success_at
          FROM webhooks.deliveries
         WHERE subscription_id = s.id AND attempted_at > now() - interval '24 hours') d ON true;

COMMENT ON VIEW webhooks.subscription_status IS
    'per subscription: state (active/paused/tripped), warnings, failures, pending and failed messages, last 24 hours of deliveries; URL redacted, no secret';

-- sql/views/message_status.sql
-- One row per message still in the outbox, for people: what is pending for a
-- subscription, when each is tried next, why one failed (issue 11). Delivered
-- messages leave the outbox; their story is in webhooks.delivery_attempts.
-- state: 'pending' (will be tried at next_attempt_at), 'held' (pending, but
-- its subscription is paused or tripped: kept, not tried until it is enabled
-- or probed), 'failed' (ended without delivery; webhooks.replay requeues it).
-- The last attempt is that of this event to this subscription.
-- An event published a moment ago may not be a message yet: it waits in
-- webhooks.fan_out_queue until the next claim. Such rows show here too,
-- without a message_id, as 'pending' (due since publishing) or 'held'.
CREATE OR REPLACE VIEW webhooks.message_status AS
SELECT m.id                                                       AS message_id,
       s.name                                                     AS subscription,
       e.event_type,
       m.event_id,
       CASE WHEN m.state = 'failed' THEN 'failed'
            WHEN s.enabled THEN 'pending'
            ELSE 'held' END                                       AS state,
       m.attempts,
       CASE WHEN m.state = 'pending' AND s.enabled THEN m.next_attempt_at END AS next_attempt_at,
       e.created_at                                               AS published_at,
       d.attempted_at                                             AS last_attempt_at,
       d.status_code                                              AS last_status_code,
       d.error                                                    AS last_error,
       m.subscription_id
  FROM webhooks.messages m
  JOIN webhooks.subscriptions s ON s.id = m.subscription_id
  JOIN webhooks.events e ON e.id = m.event_id
  LEFT JOIN LATERAL (
        SELECT x.attempted_at, x.status_code, x.error
          FROM webhooks.deliveries x
         WHERE x.event_id = m.event_id AND x.subscription_id = m.subscription_id
         ORDER BY x.attempted_at DESC, x.id DESC
         LIMIT 1) d ON true
UNION ALL
SELECT NULL::bigint, s.name, e.event_type, q.event_id,
       CASE WHEN s.enabled THEN 'pending' ELSE 'held' END,
       0, CASE WHEN s.enabled THEN q.published_at END, q.published_at,
       NULL::timestamptz, NULL::int, NULL::text, s.id
  FROM webhooks.fan_out_queue q
 CROSS JOIN LATERAL unnest(q.subscription_ids) AS u(subscription_id)
  JOIN webhooks.subscriptions s ON s.id = u.subscription_id
  JOIN webhooks.events e ON e.id = q.event_id;

COMMENT ON VIEW webhooks.message_status IS
    'one row per message in the outbox: subscription name, event type, state (pending/held/failed), attempts, next attempt, last status and error';

-- sql/views/delivery_attempts.sql
-- One row per delivery attempt (webhooks.deliveries), with the names people
-- search by: the subscription's name (NULL once it was deleted) and the
-- event's type (NULL once the event was purged).
CREATE OR REPLACE VIEW webhooks.delivery_attempts AS
SELECT d.id,
       d.attempted_at,
       s.name                                                     AS subscription,
       e.event_type,
       d.event_id,
       d.attempt,
       d.outcome,
       d.status_code,
       d.duration_ms,
       d.error,
       d.response,
       d.worker_id,
       d.subscription_id
  FROM webhooks.deliveries d
  LEFT JOIN webhooks.subscriptions s ON s.id = d.subscription_id
  LEFT JOIN webhooks.events e ON e.id = d.event_id;

COMMENT ON VIEW webhooks.delivery_attempts IS
    'one row per delivery attempt with the subscription''s name and the event type: outcome, status code, duration, error, first KiB of the response';

-- sql/views/event_type_status.sql
-- One row per registered event type: how many subscriptions receive it now
-- and, over the last 24 hours, how many events were published and how many of
-- them reached no subscriber (issue 11: events that match no pattern vanish
-- silently otherwise, so a typo in a pattern shows here as a type with
-- no_subscriber_24h > 0 and subscribers = 0).
-- "Reached no subscriber": the event has neither a message in the outbox nor
-- a delivery attempt, nor waits in webhooks.fan_out_queue. A message dropped with webhooks.discard_pending before
-- any attempt counts too. Reads the last 24 hours of webhooks.events (index
-- events_created_at) with one index probe per event into messages and
-- deliveries: meant for people, not for a dashboard polling every second.
CREATE OR REPLACE VIEW webhooks.event_type_status AS
SELECT t.name                                                     AS event_type,
       t.description,
       (SELECT count(*) FROM webhooks.routes r WHERE r.event_type = t.name) AS subscribers,
       coalesce(e.published_24h, 0)                               AS published_24h,
       coalesce(e.no_subscriber_24h, 0)                           AS no_subscriber_24h,
       e.last_published_at
  FROM webhooks.event_types t
  LEFT JOIN (
        SELECT ev.event_type,
               count(*)                                           AS published_24h,
               count(*) FILTER (WHERE NOT EXISTS (SELECT FROM webhooks.messages m WHERE m.event_id = ev.id)
                                  AND NOT EXISTS (SELECT FROM webhooks.deliveries d WHERE d.event_id = ev.id)
                                  AND ev.id NOT IN (SELECT q.event_id FROM webhooks.fan_out_queue q))
                                                                  AS no_subscriber_24h,
               max(ev.created_at)                                 AS last_published_at
          FROM webhooks.events ev
         WHERE ev.created_at > now() - interval '24 hours'
         GROUP BY ev.event_type) e ON e.event_type = t.name;

COMMENT ON VIEW webhooks.event_type_status IS
    'per event type: subscribers now; events published in the last 24 hours and how many reached no subscriber (a typo in a pattern shows here)';

-- sql/functions/ping.sql
-- webhooks.ping(subscription): an operator's test event, sent to that one
-- subscription now, whatever its patterns (issue 11). The event type
-- webhooks.ping is the extension's own and is never routed by pattern (see
-- tg_subscriptions__route), so a subscription to '>' or 'webhooks.>' does
-- not receive other subscriptions' pings; ping queues the one message
-- itself. A paused or tripped subscription is refused with an error rather
-- than holding the ping until it is enabled: a test that would be sent
-- later is no test (enable it, or let the circuit's probe run).
INSERT INTO webhooks.event_types (name, description) VALUES
    ('webhooks.ping', 'a test event sent by webhooks.ping(subscription) to that subscription only; payload: subscription, requested_at, note')
ON CONFLICT (name) DO NOTHING;
-- registering the type routed it to subscriptions of '>' (upgrade from 0.1.0)
DELETE FROM webhooks.routes WHERE event_type = 'webhooks.ping';

CREATE OR REPLACE FUNCTION webhooks.ping(subscription text)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    target webhooks.subscriptions%ROWTYPE;
    target_id bigint;
    new_event uuid;
BEGIN
    target_id := webhooks.subscription_id(ping.subscription);  -- the error names an unknown subscription
    SELECT s.* INTO target FROM webhooks.subscriptions s WHERE s.id = target_id;
    IF NOT target.enabled THEN
        RAISE EXCEPTION 'subscription "%" is %: a ping would wait until it is enabled', target.name,
                CASE WHEN target.auto_disabled_at IS NOT NULL THEN 'tripped' ELSE 'paused' END
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('UPDATE webhooks.subscriptions SET enabled = true WHERE name = %L; then ping again', target.name);
    END IF;
    -- webhooks.ping is never routed by pattern: store_event queues nothing for
    -- it, and its one message is made here, for this subscription alone
    new_event := webhooks.store_event('webhooks.ping',
                                      jsonb_build_object('subscription', target.name, 'requested_at', now(),
                                                         'note', 'a test event sent by webhooks.ping; no action needed'),
                                      NULL);
    INSERT INTO webhooks.messages (event_id, subscription_id) VALUES (new_event, target.id);
    PERFORM pg_notify('webhooks', '');
    RETURN new_event;
END
$$;

COMMENT ON FUNCTION webhooks.ping(text) IS
    'send a webhooks.ping test event to that subscription only, now; returns the event id (see webhooks.message_status / webhooks.delivery_attempts)';

/* an operator's verb: it writes to the outbox as the extension owner */
REVOKE ALL ON FUNCTION webhooks.ping(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.ping(text) TO webhooks_admin;

-- sql/roles/grants.sql
-- Least privilege (contract §2). Functions carry their own EXECUTE grants in
-- their files; this file grants table and view rights, and revokes the
-- default PUBLIC EXECUTE on every function of the schema that no file granted.

/* publishers insert events and read back the ids they made; nothing else */
GRANT INSERT (event_type, payload, idempotency_key) ON webhooks.events TO webhooks_publisher;
GRANT SELECT (id) ON webhooks.events TO webhooks_publisher;

/* operators administer everything in psql; history stays append-only through its triggers */
GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks.event_types, webhooks.subscriptions TO webhooks_admin;
/* admins read every event, and publish like publishers: fanned_out is the extension's own (sql/schema/events.sql) */
GRANT SELECT, INSERT (event_type, payload, idempotency_key) ON webhooks.events TO webhooks_admin;
GRANT SELECT ON webhooks.routes, webhooks.messages, webhooks.fan_out_queue, webhooks.deliveries TO webhooks_admin;
/* the views for people are the operator's; they show no secret and redacted URLs */
GRANT SELECT ON webhooks.subscription_status, webhooks.message_status, webhooks.delivery_attempts,
    webhooks.event_type_status TO webhooks_admin;
/* limits are the admin's alone (contract §9); the publishing path reads them as the owner */
GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks.settings TO webhooks_admin;

/* validation helpers are harmless and useful to anyone who can see the schema */
GRANT EXECUTE ON FUNCTION webhooks.is_valid_event_type_name(text), webhooks.pattern_error(text),
    webhooks.pattern_matches(text, text), webhooks.url_error(text), webhooks.secret_error(text),
    webhooks.redact_url(text), webhooks.header_error(jsonb), webhooks.reserved_headers()
    TO webhooks_publisher, webhooks_worker, webhooks_admin;

/* everything else in the schema is executable only where a file granted it */
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA webhooks FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.generate_secret() TO webhooks_admin;
