// /evaluators: the project's online evaluator rules with their status (GET /api/v1/evaluators,
// polled: the worker scores in the background), and a form to create one, built-in or judge. A
// judge's API key is never entered here: the rule names an entry of the server's
// evaluator_api_keys setting (docs/evaluation.md, "Online evaluators").
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl } from "../auth/projectInUrl";
import { ErrorBanner, Spinner } from "../components/states";
import { ActionError, ConfirmButton, formatDate } from "../settings/parts";
import { BUILTINS, describeEvaluator, describeSpend, EMPTY_RULE_FORM, formatRate, ruleBody, type RuleForm } from "./rules";

interface RuleStatus {
  processed: number;
  scored: number;
  failed: number;
  skipped: number;
  last_error: string | null;
  last_error_at: string | null;
  last_run_at: string | null;
  lag: number;
  caught_up: boolean;
  spent_today_usd: number;
  budget_reached: boolean;
}

interface Rule {
  id: number;
  name: string;
  enabled: boolean;
  scope: string;
  sampling_rate: number;
  filter: Record<string, unknown>;
  evaluator: Record<string, unknown>;
  daily_cost_limit_usd: number | null;
  status: RuleStatus;
}

interface RuleList {
  data: Rule[];
  evaluators_enabled: boolean;
}

const POLL_MS = 3000;

function describeFilter(filter: Record<string, unknown>): string {
  const parts = Object.entries(filter).map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(", ") : String(value)}`);
  return parts.length ? parts.join(" · ") : "all traffic";
}

function RuleRow({ rule, onChanged }: { rule: Rule; onChanged: () => void }) {
  const toggle = useMutation({
    mutationFn: () => apiRequest(`/api/v1/evaluators/${rule.id}`, { method: "PATCH", body: { enabled: !rule.enabled } }),
    onSettled: onChanged,
  });
  const remove = useMutation({
    mutationFn: () => apiRequest(`/api/v1/evaluators/${rule.id}`, { method: "DELETE" }),
    onSettled: onChanged,
  });
  const s = rule.status;
  return (
    <tr data-testid="evaluator-row" data-name={rule.name}>
      <td>
        <strong>{rule.name}</strong>
        <div className="muted">{describeFilter(rule.filter)}</div>
      </td>
      <td>{describeEvaluator(rule.evaluator)}</td>
      <td>{rule.scope}</td>
      <td className="numeric">{formatRate(rule.sampling_rate)}</td>
      <td className="numeric" data-testid="evaluator-processed">{s.processed.toLocaleString("en-US")}</td>
      <td className="numeric" data-testid="evaluator-scored">{s.scored.toLocaleString("en-US")}</td>
      <td className="numeric" data-testid="evaluator-failed">{s.failed.toLocaleString("en-US")}</td>
      <td className="numeric">{s.skipped.toLocaleString("en-US")}</td>
      <td data-testid="evaluator-state">
        {!rule.enabled
          ? "disabled"
          : s.budget_reached
            ? "daily cost limit reached: waits for tomorrow (UTC)"
            : s.caught_up
              ? "caught up"
              : `behind (${s.lag.toLocaleString("en-US")})`}
        <div className="muted">{s.last_run_at ? `last run ${formatDate(s.last_run_at)}` : "not run yet"}</div>
        <div className="muted" data-testid="evaluator-spend">{describeSpend(s.spent_today_usd, rule.daily_cost_limit_usd)}</div>
        {s.last_error ? (
          <div className="form-error" title={s.last_error} data-testid="evaluator-error" style={{ whiteSpace: "normal", maxWidth: "24rem" }}>
            {s.last_error.slice(0, 160)}
          </div>
        ) : null}
      </td>
      <td>
        <button type="button" className="button" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
          {rule.enabled ? "Disable" : "Enable"}
        </button>{" "}
        <ConfirmButton label="Delete" question={`Delete ${rule.name}?`} confirmLabel="Delete" onConfirm={() => remove.mutate()} />
        <ActionError error={toggle.error ?? remove.error} />
      </td>
    </tr>
  );
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

function RuleFormPanel({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState<RuleForm>(EMPTY_RULE_FORM);
  const [problems, setProblems] = useState<string[]>([]);
  const set = (patch: Partial<RuleForm>) => setForm({ ...form, ...patch });
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => apiRequest("/api/v1/evaluators", { method: "POST", body }),
    onSuccess: () => {
      setForm(EMPTY_RULE_FORM);
      onCreated();
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const { body, problems: found } = ruleBody(form);
    setProblems(found);
    if (body) create.mutate(body);
  };
  return (
    <section className="settings-subsection" aria-labelledby="new-rule-title">
      <h2 id="new-rule-title">New rule</h2>
      <form className="settings-form" onSubmit={onSubmit} data-testid="evaluator-form">
        <Field label="Name">
          <input aria-label="Rule name" value={form.name} onChange={(e) => set({ name: e.target.value })} />
        </Field>
        <Field label="Scope">
          <select aria-label="Scope" value={form.scope} onChange={(e) => set({ scope: e.target.value as RuleForm["scope"] })}>
            <option value="trace">trace</option>
            <option value="observation">observation</option>
            <option value="session">session</option>
          </select>
        </Field>
        <Field label="Sampling %">
          <input aria-label="Sampling percent" inputMode="decimal" value={form.samplingPercent} onChange={(e) => set({ samplingPercent: e.target.value })} />
        </Field>
        <Field label="Name matches (regex)">
          <input aria-label="Name regex" placeholder="any" value={form.nameRegex} onChange={(e) => set({ nameRegex: e.target.value })} />
        </Field>
        <Field label="Environment">
          <input aria-label="Environment" placeholder="any" value={form.environment} onChange={(e) => set({ environment: e.target.value })} />
        </Field>
        <Field label="Tags (all of)">
          <input aria-label="Tags" placeholder="comma-separated" value={form.tags} onChange={(e) => set({ tags: e.target.value })} />
        </Field>
        <Field label="Evaluator">
          <select aria-label="Evaluator kind" value={form.kind} onChange={(e) => set({ kind: e.target.value as RuleForm["kind"] })}>
            <option value="builtin">built-in</option>
            <option value="judge">LLM judge</option>
          </select>
        </Field>
        {form.kind === "builtin" ? (
          <>
            <Field label="Built-in">
              <select aria-label="Built-in evaluator" value={form.builtin} onChange={(e) => set({ builtin: e.target.value })}>
                {BUILTINS.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Parameters (JSON)">
              <input aria-label="Parameters" placeholder='{"pattern": "\\d+"}' value={form.params} onChange={(e) => set({ params: e.target.value })} />
            </Field>
          </>
        ) : (
          <>
            <Field label="Prompt template">
              <textarea aria-label="Prompt template" rows={3} cols={48} value={form.template} onChange={(e) => set({ template: e.target.value })} />
            </Field>
            <Field label="Score name">
              <input aria-label="Score name" value={form.scoreName} onChange={(e) => set({ scoreName: e.target.value })} />
            </Field>
            <Field label="Score type">
              <select aria-label="Score type" value={form.dataType} onChange={(e) => set({ dataType: e.target.value as RuleForm["dataType"] })}>
                <option value="BOOLEAN">boolean</option>
                <option value="NUMERIC">numeric</option>
                <option value="CATEGORICAL">categorical</option>
              </select>
            </Field>
            {form.dataType === "CATEGORICAL" ? (
              <Field label="Categories">
                <input aria-label="Categories" value={form.categories} onChange={(e) => set({ categories: e.target.value })} />
              </Field>
            ) : null}
            <Field label="API base URL">
              <input aria-label="Base URL" value={form.baseUrl} onChange={(e) => set({ baseUrl: e.target.value })} />
            </Field>
            <Field label="Model">
              <input aria-label="Model" value={form.model} onChange={(e) => set({ model: e.target.value })} />
            </Field>
            <Field label="API key setting">
              <input aria-label="API key setting" placeholder="an entry of evaluator_api_keys" value={form.apiKeySetting} onChange={(e) => set({ apiKeySetting: e.target.value })} />
            </Field>
            <Field label="Daily cost limit (USD)">
              <input aria-label="Daily cost limit" inputMode="decimal" placeholder="no limit" value={form.dailyCostLimit} onChange={(e) => set({ dailyCostLimit: e.target.value })} />
            </Field>
          </>
        )}
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          Create rule
        </button>
      </form>
      {problems.map((problem) => (
        <p key={problem} className="form-error" role="alert">
          {problem}
        </p>
      ))}
      <ActionError error={create.error} />
    </section>
  );
}

export function EvaluatorsPage() {
  const { project } = useAuth();
  useProjectInUrl();
  const queryClient = useQueryClient();
  const queryKey = ["evaluators", project];
  const rules = useQuery({
    queryKey,
    queryFn: ({ signal }) => apiRequest<RuleList>("/api/v1/evaluators", { signal }),
    enabled: project !== null,
    refetchInterval: POLL_MS,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey });
  return (
    <main className="page evaluators-page">
      <div className="page-header">
        <h1>Evaluators{project ? <span className="muted"> · {project}</span> : null}</h1>
      </div>
      <p className="muted">
        Rules that score production traffic in the background: matching traces, observations or sessions, a sample of them,
        each evaluated once when quiet; verdicts are scores with source <code>EVAL</code>, and each judge call is a priced trace
        in the environment <code>theodolite-evaluator</code>.
      </p>
      {rules.data && !rules.data.evaluators_enabled ? (
        <p className="banner banner-warning">This server runs no evaluators (evaluators_enabled is off): rules wait.</p>
      ) : null}
      {rules.isPending ? (
        <Spinner label="Loading rules…" />
      ) : rules.isError ? (
        <ErrorBanner message={rules.error.message} onRetry={() => void rules.refetch()} />
      ) : rules.data.data.length === 0 ? (
        <p className="muted" data-testid="evaluators-empty">
          No rule yet.
        </p>
      ) : (
        <table className="simple-table" data-testid="evaluators-table">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Evaluator</th>
              <th>Scope</th>
              <th className="numeric">Sampling</th>
              <th className="numeric">Processed</th>
              <th className="numeric">Scored</th>
              <th className="numeric">Failed</th>
              <th className="numeric">Skipped</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.data.data.map((rule) => (
              <RuleRow key={rule.id} rule={rule} onChanged={refresh} />
            ))}
          </tbody>
        </table>
      )}
      <RuleFormPanel onCreated={refresh} />
    </main>
  );
}
