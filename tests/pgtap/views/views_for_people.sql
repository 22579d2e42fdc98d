-- The views for people (issue 11), read as webhooks_admin: one row per
-- message (webhooks.message_status), one per attempt
-- (webhooks.delivery_attempts), one per event type with the events that
-- reached no subscriber (webhooks.event_type_status). Names instead of ids,
-- no secret, URLs nowhere but subscriptions.url.
BEGIN;
SELECT plan(27);

INSERT INTO webhooks.event_types (name) VALUES ('order.created'), ('order.paid'), ('invoice.sent');
INSERT INTO webhooks.subscriptions (name, url, event_types) VALUES
    ('billing', 'https://ops:hunter2@billing.example/h', '{order.*}'),
    ('crm',     'https://crm.example/h', '{order.created}'),
    ('typo',    'https://typo.example/h', '{invoices.sent}');
SELECT webhooks.publish('order.created', '{"n": 1}');
SELECT webhooks.publish('order.paid', '{"n": 2}');
SELECT webhooks.publish('invoice.sent', '{"n": 3}') FROM generate_series(1, 4);
SELECT webhooks.fan_out_queued();  -- what a worker's claim does first

-- what a worker would have done: one failed attempt for billing's order.paid,
-- two for crm's order.created, the last of which failed the message for good
INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, attempted_at, status_code, duration_ms, outcome, error, worker_id)
SELECT e.id, s.id, 1, now() - interval '3 minutes', 503, 12, 'retrying', 'HTTP 503', 'w1'
  FROM webhooks.events e, webhooks.subscriptions s WHERE e.event_type = 'order.paid' AND s.name = 'billing';
INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, attempted_at, status_code, duration_ms, outcome, error, worker_id)
SELECT e.id, s.id, a, now() - (3 - a) * interval '1 minute', c, 7, o, err, 'w1'
  FROM webhooks.events e, webhooks.subscriptions s,
       (VALUES (1, NULL::int, 'retrying', 'timeout'), (2, 404, 'failed', 'HTTP 404')) v(a, c, o, err)
 WHERE e.event_type = 'order.created' AND s.name = 'crm';
UPDATE webhooks.messages m SET attempts = 1, next_attempt_at = now() + interval '5 minutes'
  FROM webhooks.subscriptions s, webhooks.events e
 WHERE s.id = m.subscription_id AND e.id = m.event_id AND s.name = 'billing' AND e.event_type = 'order.paid';
UPDATE webhooks.messages m SET attempts = 2, state = 'failed'
  FROM webhooks.subscriptions s WHERE s.id = m.subscription_id AND s.name = 'crm';

SET LOCAL ROLE webhooks_admin;

-- message_status
SELECT columns_are('webhooks', 'message_status', ARRAY['message_id', 'subscription', 'event_type', 'event_id', 'state',
    'attempts', 'next_attempt_at', 'published_at', 'last_attempt_at', 'last_status_code', 'last_error', 'subscription_id'],
    'message_status: one row per message, with names');
SELECT set_eq($$SELECT subscription, event_type FROM webhooks.message_status$$,
              $$VALUES ('billing', 'order.created'), ('billing', 'order.paid'), ('crm', 'order.created')$$,
              'every message in the outbox, by subscription name and event type');
SELECT is((SELECT (state, attempts, next_attempt_at > now(), last_status_code, last_error)
             FROM webhooks.message_status WHERE subscription = 'billing' AND event_type = 'order.paid'),
          ('pending'::text, 1, true, 503, 'HTTP 503'::text), 'a retrying message: pending, its attempts, next attempt, last status and error');
SELECT is((SELECT (state, attempts, next_attempt_at, last_status_code, last_error)
             FROM webhooks.message_status WHERE subscription = 'crm'),
          ('failed'::text, 2, NULL::timestamptz, 404, 'HTTP 404'::text), 'a failed message: no next attempt, the last of its attempts');
SELECT is((SELECT (state, attempts, last_attempt_at) FROM webhooks.message_status
            WHERE subscription = 'billing' AND event_type = 'order.created'),
          ('pending'::text, 0, NULL::timestamptz), 'a fresh message: no attempt yet');
RESET ROLE;
UPDATE webhooks.subscriptions SET enabled = false WHERE name = 'billing';
SET LOCAL ROLE webhooks_admin;
SELECT is((SELECT array_agg(DISTINCT state) FROM webhooks.message_status WHERE subscription = 'billing'), '{held}',
          'a paused subscription''s messages show as held');
SELECT is((SELECT count(*) FROM webhooks.message_status WHERE subscription = 'billing' AND next_attempt_at IS NOT NULL), 0::bigint,
          'held messages have no next attempt until it is enabled');

-- an event published a moment ago, before any claim made its messages
RESET ROLE;
UPDATE webhooks.subscriptions SET enabled = true WHERE name = 'billing';
SELECT webhooks.publish('order.paid', '{"n": 5}');
SET LOCAL ROLE webhooks_admin;
SELECT is((SELECT (message_id, state, attempts, next_attempt_at = published_at) FROM webhooks.message_status
            WHERE subscription = 'billing' AND event_id = (SELECT id FROM webhooks.events WHERE payload = '{"n": 5}')),
          (NULL::bigint, 'pending'::text, 0, true), 'a queued event shows as pending, due since publishing, without a message id yet');
SELECT is((SELECT pending FROM webhooks.subscription_status WHERE name = 'billing'), 3::bigint,
          'and counts as pending for its subscription');
SELECT is((SELECT no_subscriber_24h FROM webhooks.event_type_status WHERE event_type = 'order.paid'), 0::bigint,
          'and is not taken for an event without subscriber');

-- delivery_attempts
SELECT columns_are('webhooks', 'delivery_attempts', ARRAY['id', 'attempted_at', 'subscription', 'event_type', 'event_id',
    'attempt', 'outcome', 'status_code', 'duration_ms', 'error', 'response', 'worker_id', 'subscription_id'],
    'delivery_attempts: one row per attempt, with names');
SELECT results_eq($$SELECT subscription, event_type, attempt, outcome, status_code, error
                      FROM webhooks.delivery_attempts ORDER BY attempted_at$$,
                  $$VALUES ('billing', 'order.paid', 1, 'retrying', 503, 'HTTP 503'),
                           ('crm', 'order.created', 1, 'retrying', NULL, 'timeout'),
                           ('crm', 'order.created', 2, 'failed', 404, 'HTTP 404')$$,
                  'every attempt with the subscription''s name and the event type');
RESET ROLE;
DELETE FROM webhooks.subscriptions WHERE name = 'crm';
SET LOCAL ROLE webhooks_admin;
SELECT is((SELECT count(*) FROM webhooks.delivery_attempts WHERE subscription IS NULL AND event_type = 'order.created'), 2::bigint,
          'the history of a deleted subscription stays, without a name');

-- event_type_status
SELECT columns_are('webhooks', 'event_type_status', ARRAY['event_type', 'description', 'subscribers', 'published_24h',
    'no_subscriber_24h', 'last_published_at'], 'event_type_status: one row per event type');
SELECT is((SELECT (subscribers, published_24h, no_subscriber_24h) FROM webhooks.event_type_status WHERE event_type = 'invoice.sent'),
          (0::bigint, 4::bigint, 4::bigint), 'a type no pattern matches: its events reached no subscriber (the ''invoices.sent'' typo)');
SELECT is((SELECT (subscribers, published_24h, no_subscriber_24h) FROM webhooks.event_type_status WHERE event_type = 'order.paid'),
          (1::bigint, 2::bigint, 0::bigint), 'a routed type: subscribers now, nothing lost (one event delivered, one still queued)');
SELECT is((SELECT (subscribers, published_24h, no_subscriber_24h) FROM webhooks.event_type_status WHERE event_type = 'order.created'),
          (1::bigint, 1::bigint, 0::bigint), 'an event whose message was delivered or failed counts as reached (its attempts are on record)');
SELECT ok((SELECT last_published_at IS NOT NULL FROM webhooks.event_type_status WHERE event_type = 'invoice.sent'), 'last_published_at');
SELECT is((SELECT (published_24h, no_subscriber_24h, last_published_at) FROM webhooks.event_type_status WHERE event_type = 'webhooks.message.failed'),
          (0::bigint, 0::bigint, NULL::timestamptz), 'a type with no events reads zero');

-- nothing secret, nothing of the URL
SELECT is((SELECT count(*) FROM webhooks.message_status v WHERE concat_ws(' ', v.*) ~ 'hunter2|whsec_|example'), 0::bigint,
          'message_status shows no secret and no URL');
SELECT is((SELECT count(*) FROM webhooks.delivery_attempts v WHERE concat_ws(' ', v.*) ~ 'hunter2|whsec_|example'), 0::bigint,
          'delivery_attempts shows no secret and no URL');
SELECT is((SELECT count(*) FROM pg_views v JOIN LATERAL (SELECT attname FROM pg_attribute
                  WHERE attrelid = format('%I.%I', v.schemaname, v.viewname)::regclass AND attname IN ('secret', 'headers', 'previous_secret')) a ON true
            WHERE v.schemaname = 'webhooks'), 0::bigint, 'no view of the schema has a secret or headers column');
RESET ROLE;

-- who may read them
SET LOCAL ROLE webhooks_publisher;
SELECT throws_ok('SELECT * FROM webhooks.message_status', '42501', NULL, 'a publisher cannot read message_status');
SELECT throws_ok('SELECT * FROM webhooks.delivery_attempts', '42501', NULL, 'nor delivery_attempts');
SELECT throws_ok('SELECT * FROM webhooks.event_type_status', '42501', NULL, 'nor event_type_status');
RESET ROLE;
SET LOCAL ROLE webhooks_worker;
SELECT throws_ok('SELECT * FROM webhooks.message_status', '42501', NULL, 'a worker cannot read message_status');
SELECT throws_ok('SELECT * FROM webhooks.delivery_attempts', '42501', NULL, 'nor delivery_attempts');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
