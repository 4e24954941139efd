// Score configs of the project: the list (archived ones too), a form to create one (a range, categories
// or true/false) and archive/restore. Members and owners change them; viewers read. Every score sent
// with a config's name is checked against it at ingest (docs/evaluation.md, "Score configs").
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Spinner } from "../components/states";
import { ActionError, ConfirmButton, formatDate, ReadOnlyNotice } from "./parts";
import type { SettingsRights } from "./rules";
import {
  DATA_TYPES,
  describeRule,
  EMPTY_SCORE_CONFIG_FORM,
  scoreConfigBody,
  scoreConfigsApi,
  type DataType,
  type ScoreConfigForm,
} from "./scoreConfigs";

const TYPE_LABELS: Record<DataType, string> = { NUMERIC: "Numeric", CATEGORICAL: "Categorical", BOOLEAN: "Boolean" };

export function ScoresTab({ project, rights }: { project: string; rights: SettingsRights }) {
  const queryClient = useQueryClient();
  const queryKey = ["settings", "score-configs", project];
  const configs = useQuery({ queryKey, queryFn: scoreConfigsApi.list });
  const canWrite = rights.role === "owner" || rights.role === "member";
  const [form, setForm] = useState<ScoreConfigForm>(EMPTY_SCORE_CONFIG_FORM);
  const [problems, setProblems] = useState<string[]>([]);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: scoreConfigsApi.create,
    onSuccess: (config) => {
      setCreated(config.name);
      setForm(EMPTY_SCORE_CONFIG_FORM);
      void queryClient.invalidateQueries({ queryKey });
    },
  });
  const archive = useMutation({
    mutationFn: ({ id, archived }: { id: number; archived: boolean }) => scoreConfigsApi.setArchived(id, archived),
    onSettled: () => void queryClient.invalidateQueries({ queryKey }),
  });
  const onCreate = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    const { body, errors } = scoreConfigBody(form);
    setProblems(errors);
    if (body) create.mutate(body);
  };
  const set = (changes: Partial<ScoreConfigForm>) => setForm({ ...form, ...changes });

  return (
    <section className="settings-section" aria-labelledby="scores-title">
      <h2 id="scores-title">Score configs</h2>
      <p className="muted">
        A config says what values a score of its name may take. Scores sent with that name (through the scores API,
        Langfuse or LangSmith) are checked against it: a value out of range or outside the categories is refused
        with 400. Archive a config to stop checking; its rules cannot change once scores of its name are stored.
      </p>
      {!canWrite ? (
        <ReadOnlyNotice>
          Your role in project <strong>{project}</strong> is {rights.role ?? "none"}: members and owners create and
          archive score configs.
        </ReadOnlyNotice>
      ) : null}
      <form className="settings-form" aria-label="Create a score config" onSubmit={onCreate}>
        <label className="field">
          <span>Name</span>
          <input
            aria-label="Score name"
            placeholder="e.g. helpfulness"
            maxLength={200}
            value={form.name}
            disabled={!canWrite}
            onChange={(e) => set({ name: e.target.value })}
          />
        </label>
        <label className="field">
          <span>Type</span>
          <select
            aria-label="Score type"
            value={form.dataType}
            disabled={!canWrite}
            onChange={(e) => set({ dataType: e.target.value as DataType })}
          >
            {DATA_TYPES.map((type) => (
              <option key={type} value={type}>
                {TYPE_LABELS[type]}
              </option>
            ))}
          </select>
        </label>
        {form.dataType === "NUMERIC" ? (
          <>
            <label className="field score-bound">
              <span>Minimum</span>
              <input
                aria-label="Minimum"
                inputMode="decimal"
                placeholder="none"
                value={form.min}
                disabled={!canWrite}
                onChange={(e) => set({ min: e.target.value })}
              />
            </label>
            <label className="field score-bound">
              <span>Maximum</span>
              <input
                aria-label="Maximum"
                inputMode="decimal"
                placeholder="none"
                value={form.max}
                disabled={!canWrite}
                onChange={(e) => set({ max: e.target.value })}
              />
            </label>
          </>
        ) : form.dataType === "CATEGORICAL" ? (
          <label className="field">
            <span>Categories, one a line (label, or label = number)</span>
            <textarea
              aria-label="Categories"
              rows={3}
              placeholder={"rude = 0\npolite = 1"}
              value={form.categories}
              disabled={!canWrite}
              onChange={(e) => set({ categories: e.target.value })}
            />
          </label>
        ) : null}
        <label className="field">
          <span>Description</span>
          <input
            aria-label="Score description"
            placeholder="what the score means (optional)"
            maxLength={2000}
            value={form.description}
            disabled={!canWrite}
            onChange={(e) => set({ description: e.target.value })}
          />
        </label>
        <button type="submit" className="button button-primary" disabled={!canWrite || create.isPending}>
          {create.isPending ? <Spinner label="Creating…" /> : "Create the config"}
        </button>
      </form>
      {problems.length ? (
        <ul className="form-error" role="alert" data-testid="score-config-problems">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      ) : null}
      <ActionError error={create.error} />
      {created ? (
        <p className="banner banner-info" data-testid="score-config-created">
          Created <strong>{created}</strong>: scores of that name are checked from now on.
        </p>
      ) : null}
      <ActionError error={archive.error} />
      {configs.isPending ? (
        <Spinner label="Loading the score configs…" />
      ) : configs.isError ? (
        <ActionError error={configs.error} />
      ) : (
        <table className="settings-table" aria-label="Score configs">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Values</th>
              <th>Description</th>
              <th>Created</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {configs.data.length === 0 ? (
              <tr>
                <td colSpan={7} className="muted">
                  No score config yet: scores of any name and value are stored as sent.
                </td>
              </tr>
            ) : null}
            {configs.data.map((config) => (
              <tr key={config.id} data-testid="score-config-row" data-name={config.name}>
                <td>
                  <code>{config.name}</code>
                </td>
                <td data-testid="score-config-type">{TYPE_LABELS[config.data_type]}</td>
                <td data-testid="score-config-rule">{describeRule(config)}</td>
                <td>{config.description ?? <span className="muted">—</span>}</td>
                <td>{formatDate(config.created_at)}</td>
                <td data-testid="score-config-status">{config.archived ? <span className="muted">archived</span> : "active"}</td>
                <td className="actions">
                  {config.archived ? (
                    <button
                      type="button"
                      className="button"
                      disabled={!canWrite || archive.isPending}
                      onClick={() => archive.mutate({ id: config.id, archived: false })}
                    >
                      Restore
                    </button>
                  ) : (
                    <ConfirmButton
                      label="Archive"
                      question="Scores of this name will no longer be checked. Archive it?"
                      confirmLabel="Archive the config"
                      disabled={!canWrite}
                      busy={archive.isPending && archive.variables?.id === config.id}
                      onConfirm={() => archive.mutate({ id: config.id, archived: true })}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
