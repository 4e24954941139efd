// "New queue" on the Queues page: a name, a description, the kind of item, reviews per item, and its
// scores: the project's score configs ticked from the list (Settings > Scores; the queue follows
// them), and scores of the queue's own defined here with the same rules. The new queue opens, to be
// filled there ("Add items") or from the traces list ("Add to queue").
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useAuth } from "../auth/auth";
import { useProjectQuery } from "../auth/projectInUrl";
import { Spinner } from "../components/states";
import { ActionError } from "../settings/parts";
import {
  DATA_TYPES,
  describeRule,
  EMPTY_SCORE_CONFIG_FORM,
  scoreConfigsApi,
  type DataType,
  type ScoreConfigForm,
} from "../settings/scoreConfigs";
import { EMPTY_NEW_QUEUE, newQueueBody, ownConfig, queuesApi, type NewQueueForm } from "./api";
import type { Queue } from "./types";

const KIND_LABELS = { trace: "Traces", observation: "Observations", session: "Sessions", "": "Any kind" } as const;

export function NewQueue({ onCreated, onCancel }: { onCreated: (queue: Queue) => void; onCancel: () => void }) {
  const { project } = useAuth();
  const projectQuery = useProjectQuery();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<NewQueueForm>(EMPTY_NEW_QUEUE);
  const [own, setOwn] = useState<ScoreConfigForm>(EMPTY_SCORE_CONFIG_FORM);
  const [problems, setProblems] = useState<string[]>([]);
  const configs = useQuery({
    queryKey: ["settings", "score-configs", project],
    queryFn: scoreConfigsApi.list,
    enabled: project !== null,
  });
  const active = (configs.data ?? []).filter((config) => !config.archived);
  const create = useMutation({
    mutationFn: queuesApi.create,
    onSuccess: (queue) => {
      void queryClient.invalidateQueries({ queryKey: ["annotation-queues", project] });
      onCreated(queue);
    },
  });
  const set = (changes: Partial<NewQueueForm>) => setForm({ ...form, ...changes });
  const toggle = (name: string) =>
    set({ picked: form.picked.includes(name) ? form.picked.filter((n) => n !== name) : [...form.picked, name] });
  const addOwn = () => {
    const { config, errors } = ownConfig(own);
    setProblems(errors);
    if (!config) return;
    set({ own: [...form.own, config] });
    setOwn(EMPTY_SCORE_CONFIG_FORM);
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const { body, errors } = newQueueBody(form);
    setProblems(errors);
    if (body) create.mutate(body);
  };

  return (
    <form className="panel new-queue" aria-label="New annotation queue" onSubmit={onSubmit} data-testid="new-queue">
      <div className="new-queue-row">
        <label className="field">
          <span>Name</span>
          <input aria-label="Queue name" maxLength={200} value={form.name} autoFocus
                 onChange={(e) => set({ name: e.target.value })} />
        </label>
        <label className="field new-queue-wide">
          <span>Description</span>
          <input aria-label="Queue description" placeholder="what reviewers look for (optional)" value={form.description}
                 onChange={(e) => set({ description: e.target.value })} />
        </label>
        <label className="field">
          <span>Items</span>
          <select aria-label="Kind of item" value={form.kind} onChange={(e) => set({ kind: e.target.value as NewQueueForm["kind"] })}>
            {(["trace", "observation", "session", ""] as const).map((kind) => (
              <option key={kind} value={kind}>{KIND_LABELS[kind]}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Reviews per item</span>
          <input aria-label="Reviews per item" inputMode="numeric" className="new-queue-number" value={form.reviewsPerItem}
                 onChange={(e) => set({ reviewsPerItem: e.target.value })} />
        </label>
      </div>

      <fieldset className="new-queue-scores" aria-label="Project score configs">
        <legend>Scores from the project's score configs</legend>
        {configs.isPending && project !== null ? <Spinner label="Loading the score configs…" /> : null}
        <ActionError error={configs.error} />
        {configs.isSuccess && active.length === 0 ? (
          <p className="muted">
            The project has no score configs yet: create them in{" "}
            <Link to={`/settings/scores${projectQuery}`}>Settings › Scores</Link>, or define a score of the queue's own below.
          </p>
        ) : null}
        {active.map((config) => (
          <label key={config.id} className="new-queue-config" data-testid="project-config" data-name={config.name}>
            <input type="checkbox" checked={form.picked.includes(config.name)} onChange={() => toggle(config.name)} />
            <code>{config.name}</code> <span className="muted">{describeRule(config)}</span>
          </label>
        ))}
      </fieldset>

      <fieldset className="new-queue-scores" aria-label="Scores of the queue's own">
        <legend>Scores of the queue's own</legend>
        {form.own.map((config) => (
          <div key={config.name} className="new-queue-config" data-testid="own-config">
            <code>{config.name}</code>{" "}
            <span className="muted">
              {describeRule({ ...config, categories: config.categories?.map((label) => ({ label, value: null })) ?? null })}
            </span>
            <button type="button" className="button button-quiet"
                    onClick={() => set({ own: form.own.filter((c) => c.name !== config.name) })}>
              Remove
            </button>
          </div>
        ))}
        <div className="new-queue-row">
          <label className="field">
            <span>Score name</span>
            <input aria-label="Own score name" maxLength={200} value={own.name} onChange={(e) => setOwn({ ...own, name: e.target.value })} />
          </label>
          <label className="field">
            <span>Type</span>
            <select aria-label="Own score type" value={own.dataType}
                    onChange={(e) => setOwn({ ...own, dataType: e.target.value as DataType })}>
              {DATA_TYPES.map((type) => <option key={type} value={type}>{type.toLowerCase()}</option>)}
            </select>
          </label>
          {own.dataType === "NUMERIC" ? (
            <>
              <label className="field">
                <span>Minimum</span>
                <input aria-label="Own score minimum" className="new-queue-number" placeholder="none" value={own.min}
                       onChange={(e) => setOwn({ ...own, min: e.target.value })} />
              </label>
              <label className="field">
                <span>Maximum</span>
                <input aria-label="Own score maximum" className="new-queue-number" placeholder="none" value={own.max}
                       onChange={(e) => setOwn({ ...own, max: e.target.value })} />
              </label>
            </>
          ) : own.dataType === "CATEGORICAL" ? (
            <label className="field">
              <span>Categories, one a line</span>
              <textarea aria-label="Own score categories" rows={3} placeholder={"polite\nrude"} value={own.categories}
                        onChange={(e) => setOwn({ ...own, categories: e.target.value })} />
            </label>
          ) : null}
          <button type="button" className="button" onClick={addOwn}>Add this score</button>
        </div>
      </fieldset>

      {problems.length ? (
        <ul className="form-error" role="alert" data-testid="new-queue-problems">
          {problems.map((problem) => <li key={problem}>{problem}</li>)}
        </ul>
      ) : null}
      <ActionError error={create.error} />
      <div className="new-queue-row">
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? <Spinner label="Creating…" /> : "Create the queue"}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
