-- Per-user features as of the end of {{ session_date }} (UTC): event counts, spend and the last event over the
-- 7 and 30 days up to it. Rerunning a session replaces its partition, so a forced rerun never doubles it.
CREATE TABLE IF NOT EXISTS user_features (
  session_date TEXT NOT NULL,
  user_id BIGINT NOT NULL,
  events_7d BIGINT NOT NULL,
  events_30d BIGINT NOT NULL,
  purchases_30d BIGINT NOT NULL,
  spend_7d DOUBLE PRECISION NOT NULL,
  spend_30d DOUBLE PRECISION NOT NULL,
  last_event_at TEXT NOT NULL,
  PRIMARY KEY (session_date, user_id)
);

DELETE FROM user_features WHERE session_date = '{{ session_date }}';

INSERT INTO user_features
  (session_date, user_id, events_7d, events_30d, purchases_30d, spend_7d, spend_30d, last_event_at)
SELECT
  '{{ session_date }}',
  user_id,
  SUM(CASE WHEN event_time >= '{{ session_unixtime | minus: 518400 | date: "%Y-%m-%dT00:00:00Z" }}' THEN 1 ELSE 0 END),
  COUNT(*),
  SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END),
  SUM(CASE WHEN event_time >= '{{ session_unixtime | minus: 518400 | date: "%Y-%m-%dT00:00:00Z" }}'
       AND event_type = 'purchase' THEN price * quantity ELSE 0 END),
  SUM(CASE WHEN event_type = 'purchase' THEN price * quantity ELSE 0 END),
  MAX(event_time)
FROM events
WHERE event_time >= '{{ session_unixtime | minus: 2505600 | date: "%Y-%m-%dT00:00:00Z" }}'
  AND event_time < '{{ session_unixtime | plus: 86400 | date: "%Y-%m-%dT00:00:00Z" }}'
GROUP BY user_id;
