-- webhooks.redact_url: what views, events, errors and logs show of a URL.
BEGIN;
SELECT plan(6);
SELECT is(webhooks.redact_url('https://user:pw@h.example/p?token=abc&x=1'),
          'https://***@h.example/p?token=***&x=***', 'userinfo and query values are redacted');
SELECT is(webhooks.redact_url('https://h.example/hooks'), 'https://h.example/hooks', 'a plain URL is unchanged');
SELECT is(webhooks.redact_url('http://tok@[::1]:8080/a'), 'http://***@[::1]:8080/a', 'a user name alone is redacted');
SELECT is(webhooks.redact_url('https://h.example/a@b'), 'https://h.example/a@b', 'an @ in the path is not userinfo');
SELECT is(webhooks.redact_url('https://h.example/?flag&k=v#frag'), 'https://h.example/?flag&k=***#frag', 'keys stay, values go');
SELECT is(webhooks.redact_url(NULL), NULL, 'NULL stays NULL');
SELECT * FROM finish();
ROLLBACK;
