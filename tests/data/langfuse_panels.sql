-- Three SQL panels a team wrote for a Grafana dashboard over Langfuse v2's PostgreSQL schema
-- (tables `traces` and `observations`), copied verbatim. Theodolite keeps Langfuse's column names
-- so that panels like these run unchanged on its own PostgreSQL; tests/db/test_seed_queries.py
-- runs each one and checks its numbers. Each query follows a "-- panel: <title>" line (the
-- team's French titles: traces per agent, cost per hour, recent traces with cost).

-- panel: Traces par agent
SELECT
  COALESCE(metadata->>'agent', 'unknown') as agent,
  COUNT(*) as count
FROM traces
WHERE timestamp >= NOW() - INTERVAL '7 days'
GROUP BY 1
ORDER BY 2 DESC

-- panel: Coût par heure
SELECT
  date_trunc('hour', start_time) as time,
  SUM(COALESCE(calculated_total_cost, total_cost, 0))::float as cost
FROM observations
WHERE start_time >= NOW() - INTERVAL '7 days'
GROUP BY 1
ORDER BY 1

-- panel: Traces récents avec coût
SELECT
  t.timestamp,
  t.name,
  t.metadata->>'agent' as agent,
  COALESCE(SUM(o.total_tokens), 0) as tokens,
  COALESCE(SUM(o.calculated_total_cost), 0)::float as cost
FROM traces t
LEFT JOIN observations o ON o.trace_id = t.id
GROUP BY t.id
ORDER BY t.timestamp DESC
LIMIT 50
