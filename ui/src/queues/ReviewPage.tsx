// A queue's review page: the reviewer claims one item at a time (POST .../claim), sees it (a
// trace's root input and output, an observation's, a session's turns), gives the queue's scores
// and submits (Enter) or skips (s); the next item follows, and after the last a done state. The
// keyboard does everything (keys.ts); ? shows the keys. "Add items" fills the queue by the traces
// list's filters and a sample (FillByFilter), an observation queue by the observation list's.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { ApiError, apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { JsonTree } from "../components/JsonTree";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { usePageKeys } from "../components/usePageKeys";
import { formatTimestamp } from "../format";
import { wordsView } from "../sessions/turnView";
import { ChatView } from "../trace/ChatView";
import "../trace/trace.css";
import { FillByFilter } from "./FillByFilter";
import { choicesOf, keyAction, missingScores, nextActive } from "./keys";
import type { Claim, ItemContent, Progress, Queue, QueueItem, ScoreConfig, ScoreValue } from "./types";

function queuePath(name: string): string {
  return `/api/v1/annotation-queues/${encodeURIComponent(name)}`;
}

export function ProgressBar({ done, total }: { done: number; total: number }) {
  const share = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <div className="queue-progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}
         aria-label={`${done} of ${total} items done`} data-testid="queue-progress">
      <div style={{ width: `${share}%` }} />
    </div>
  );
}

export function ReviewPage({ name }: { name: string }) {
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const queryClient = useQueryClient();
  const [turn, setTurn] = useState(0); // bumped after each submit or skip: claim the next item
  const [values, setValues] = useState<Record<string, ScoreValue>>({});
  const [active, setActive] = useState(0);
  const [comment, setComment] = useState("");
  const [help, setHelp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [filling, setFilling] = useState(false);

  const queue = useQuery({
    queryKey: ["annotation-queue", project, name],
    queryFn: ({ signal }) => apiRequest<Queue>(queuePath(name), { signal }),
    enabled: project !== null,
  });
  const claim = useQuery({
    queryKey: ["annotation-claim", project, name, turn],
    queryFn: () => apiRequest<Claim>(`${queuePath(name)}/claim`, { method: "POST" }),
    enabled: project !== null && queue.isSuccess,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });
  const progress = useQuery({
    queryKey: ["annotation-progress", project, name, turn],
    queryFn: ({ signal }) => apiRequest<Progress>(`${queuePath(name)}/progress`, { signal }),
    enabled: project !== null && queue.isSuccess,
  });
  // A project score config the queue follows was archived (or removed): the server refuses reviews.
  const blocked = queue.data?.score_configs.find((config) => config.archived || config.missing) ?? null;
  const configs = queue.data?.score_configs.filter((config) => !config.missing) ?? [];
  const item = claim.data?.item ?? null;
  const onAdded = () => {
    void queryClient.invalidateQueries({ queryKey: ["annotation-progress", project, name] });
    void queryClient.invalidateQueries({ queryKey: ["annotation-queues", project] });
    if (item === null) setTurn((value) => value + 1); // nothing was claimed: claim from the new items
  };

  const next = () => {
    setValues({});
    setActive(0);
    setComment("");
    setTurn((value) => value + 1);
    void queryClient.invalidateQueries({ queryKey: ["annotation-queues", project] });
  };
  const act = async (path: string, body?: unknown) => {
    if (!item || busy) return;
    setBusy(true);
    setActionError(null);
    try {
      await apiRequest(`${queuePath(name)}/items/${item.id}/${path}`, { method: "POST", body });
      next();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // 409: the item is no longer this reviewer's to review (their lease ran out and another
      // reviewer took it, or it got its reviews meanwhile): say so and go on to the next one.
      if (error instanceof ApiError && error.status === 409) {
        // ...or a project score config of the queue was archived meanwhile: the queue then says so.
        void queryClient.invalidateQueries({ queryKey: ["annotation-queue", project, name] });
        next();
        setActionError(`${message}. Moved on to the next item.`);
      } else {
        setActionError(message);
      }
    } finally {
      setBusy(false);
    }
  };
  const submit = () => {
    const missing = missingScores(configs, values);
    if (missing.length > 0) {
      setActionError(`Give ${missing.join(", ")} first`);
      setActive(configs.findIndex((config) => config.name === missing[0]));
      return;
    }
    void act("review", { scores: values, comment: comment.trim() || null });
  };
  const choose = (index: number, value: ScoreValue) => {
    const chosen = { ...values, [configs[index]!.name]: value };
    setValues(chosen);
    setActive(nextActive(configs, chosen, index));
    setActionError(null);
  };

  usePageKeys((event) => {
    if (event.key === "Escape" && help) return setHelp(false);
    if (event.key === "?") {
      event.preventDefault();
      return setHelp((shown) => !shown);
    }
    if (!item || configs.length === 0 || blocked) return;
    const action = keyAction(event.key, configs, active);
    if (action === null) return;
    event.preventDefault();
    if (action.kind === "choose") choose(action.config, action.value);
    else if (action.kind === "move") setActive(action.to);
    else if (action.kind === "submit") submit();
    else if (action.kind === "skip") void act("skip");
  });

  const me = progress.data?.me;
  const notFound = queue.isError && queue.error instanceof ApiError && queue.error.status === 404;
  return (
    <main className="page review-page">
      <div className="page-header">
        <div>
          <Link to={`/queues${projectQuery}`}>← Annotation queues</Link>
          <h1 data-testid="queue-title">{name}</h1>
          {queue.data?.description ? <div className="muted">{queue.data.description}</div> : null}
        </div>
        <div className="page-actions">
          {queue.data ? (
            <button type="button" className="button" aria-expanded={filling} onClick={() => setFilling((shown) => !shown)}
                    data-testid="fill-button">
              Add items
            </button>
          ) : null}
          <button type="button" className="button button-quiet" onClick={() => setHelp((shown) => !shown)}>
            Keys <kbd>?</kbd>
          </button>
        </div>
      </div>
      {progress.data ? (
        <div className="review-progress" data-testid="review-progress">
          <ProgressBar done={progress.data.done} total={progress.data.items} />
          <span data-testid="queue-counts">
            {progress.data.done} of {progress.data.items} items done · {progress.data.remaining} remaining
          </span>
          {me ? (
            <span className="muted" data-testid="my-counts">
              You: {me.done} done · {me.skipped} skipped · {me.left} left
            </span>
          ) : null}
        </div>
      ) : null}
      {filling && queue.data ? <FillByFilter queue={queue.data} onAdded={onAdded} /> : null}
      {blocked ? (
        <p className="banner banner-warning" role="alert" data-testid="queue-blocked">
          {blocked.missing
            ? `The score config ${blocked.name} is no longer in the project: this queue takes no reviews.`
            : `The project's score config ${blocked.name} is archived: this queue takes no reviews until it is restored in Settings › Scores.`}
        </p>
      ) : null}
      {help ? <KeysHelp configs={configs} onClose={() => setHelp(false)} /> : null}
      {notFound ? (
        <EmptyState title="No such queue">
          <p>This project has no annotation queue named {name}.</p>
        </EmptyState>
      ) : queue.isError ? (
        <ErrorBanner message={`Could not load the queue: ${queue.error.message}`} onRetry={() => void queue.refetch()} />
      ) : null}
      {claim.isError ? (
        <ErrorBanner message={`Could not claim an item: ${claim.error.message}`} onRetry={() => void claim.refetch()} />
      ) : null}
      {actionError ? <ErrorBanner message={actionError} /> : null}
      {claim.isPending && queue.isSuccess ? <Spinner label="Claiming the next item…" /> : null}
      {claim.isSuccess && item === null && progress.data?.items === 0 ? (
        <EmptyState title="No items yet">
          <p data-testid="queue-empty">
            Add traces or sessions with “Add items” above, or tick rows of the{" "}
            <Link to={`/traces${projectQuery}`}>traces list</Link> and use “Add to queue”.
          </p>
        </EmptyState>
      ) : claim.isSuccess && item === null ? (
        <EmptyState title="All done">
          <p data-testid="review-done">
            Nothing is left for you in this queue{me ? `: you reviewed ${me.done} and skipped ${me.skipped}` : ""}.
          </p>
          <p>
            <Link to={`/queues${projectQuery}`}>Back to the queues</Link>
          </p>
        </EmptyState>
      ) : null}
      {item && claim.data ? (
        <div className="review-layout">
          <ItemView item={item} content={claim.data.content ?? {}} projectQuery={projectQuery} />
          <section className="panel review-scores" aria-label="Scores" data-testid="review-scores">
            {configs.map((config, index) => (
              <ScoreInput
                key={config.name}
                config={config}
                value={values[config.name]}
                active={index === active}
                onFocus={() => setActive(index)}
                onChoose={(value) => choose(index, value)}
                onSubmit={submit}
              />
            ))}
            <label className="field">
              <span className="muted">Comment (optional)</span>
              <textarea value={comment} onChange={(event) => setComment(event.target.value)} rows={2} />
            </label>
            <div className="page-actions">
              <button type="button" className="button button-primary" onClick={submit} disabled={busy || blocked !== null}
                      data-testid="submit-review">
                Submit <kbd>Enter</kbd>
              </button>
              <button type="button" className="button" onClick={() => void act("skip")} disabled={busy}>
                Skip <kbd>s</kbd>
              </button>
            </div>
          </section>
        </div>
      ) : null}
    </main>
  );
}

function ScoreInput({ config, value, active, onFocus, onChoose, onSubmit }: {
  config: ScoreConfig;
  value: ScoreValue | undefined;
  active: boolean;
  onFocus: () => void;
  onChoose: (value: ScoreValue) => void;
  onSubmit: () => void;
}) {
  const choices = choicesOf(config);
  return (
    <fieldset className={`score-input${active ? " score-input-active" : ""}`} data-testid="score-input"
              data-score={config.name} onClick={onFocus}>
      <legend>
        <span className="strong">{config.name}</span>
        {config.description ? <span className="muted"> · {config.description}</span> : null}
      </legend>
      {choices ? (
        <div className="score-choices">
          {choices.map((choice) => (
            <button key={choice.label} type="button" className="button" aria-pressed={value === choice.value}
                    onClick={() => onChoose(choice.value)}>
              {choice.key ? <kbd>{choice.key}</kbd> : null} {choice.label}
            </button>
          ))}
        </div>
      ) : (
        <input type="number" aria-label={config.name} min={config.min_value ?? undefined} max={config.max_value ?? undefined}
               value={typeof value === "number" ? value : ""}
               onChange={(event) => event.target.value !== "" && onChoose(Number(event.target.value))}
               onKeyDown={(event) => {
                 // The page's keys skip fields (typing a number is not a shortcut); Enter still submits.
                 if (event.key === "Enter") {
                   event.preventDefault();
                   event.currentTarget.blur();
                   onSubmit();
                 }
               }} />
      )}
    </fieldset>
  );
}

function ItemView({ item, content, projectQuery }: { item: QueueItem; content: ItemContent; projectQuery: string }) {
  const tracePath = item.trace_id ? `/traces/${encodeURIComponent(item.trace_id)}${projectQuery}` : null;
  return (
    <section className="panel review-item" aria-label="Item to review" data-testid="review-item" data-object-id={item.object_id}>
      <div className="review-item-head">
        <span className="chip">{item.kind}</span>
        <span className="strong">{content.name ?? item.object_id}</span>
        {content.timestamp ? <span className="muted">{formatTimestamp(content.timestamp)}</span> : null}
        {item.kind === "session" ? (
          <Link to={`/sessions/${encodeURIComponent(item.object_id)}${projectQuery}`}>Open the session →</Link>
        ) : tracePath ? (
          <Link to={tracePath} data-testid="review-trace-link">Open the full trace →</Link>
        ) : null}
      </div>
      {content.error ? <ErrorBanner message={`Cannot show this item: ${content.error}. Skip it with s.`} /> : null}
      {item.kind !== "session" && !content.error ? (
        <>
          <div data-testid="review-input">
            {content.input == null ? <div className="muted">No input recorded</div> : <ChatView value={content.input} label="Input" />}
          </div>
          <div data-testid="review-output">
            {content.output == null ? <div className="muted">No output recorded</div> : <ChatView value={content.output} label="Output" />}
          </div>
        </>
      ) : null}
      {content.turns ? (
        <div className="review-turns">
          {content.turns.map((turn, index) => {
            const said = wordsView(turn.input, "input");
            const answered = wordsView(turn.output, "output");
            return (
              <article key={turn.trace_id} className="turn" data-testid="review-turn">
                <header className="turn-head">
                  <span className="turn-number">#{index + 1}</span>
                  <span>{formatTimestamp(turn.timestamp)}</span>
                  <Link to={`/traces/${encodeURIComponent(turn.trace_id)}${projectQuery}`}>trace →</Link>
                </header>
                {([["user", said], ["assistant", answered]] as const).map(([role, view]) => (
                  <section key={role} className={`bubble bubble-${role}`}>
                    {view.kind === "text" ? <div className="bubble-text">{view.text}</div> : null}
                    {view.kind === "json" ? <JsonTree value={view.value} /> : null}
                    {view.kind === "none" ? <div className="muted">{view.note}</div> : null}
                  </section>
                ))}
              </article>
            );
          })}
          {content.more_turns ? <div className="muted">The session has more turns: open it to read them all.</div> : null}
        </div>
      ) : null}
    </section>
  );
}

function KeysHelp({ configs, onClose }: { configs: ScoreConfig[]; onClose: () => void }) {
  return (
    <section className="panel keys-help" aria-label="Keyboard shortcuts" data-testid="keys-help">
      <div className="page-header">
        <h2>Keys</h2>
        <button type="button" className="button button-quiet" onClick={onClose}>Close <kbd>Esc</kbd></button>
      </div>
      <dl className="facts">
        {configs.map((config) => {
          const choices = choicesOf(config);
          return (
            <div key={config.name} style={{ display: "contents" }}>
              <dt>{config.name}</dt>
              <dd>
                {choices
                  ? choices.filter((choice) => choice.key).map((choice) => `${choice.key} ${choice.label}`).join(" · ")
                  : "type a number in its field"}
              </dd>
            </div>
          );
        })}
        <dt>j / k, ↓ / ↑</dt>
        <dd>the next / previous score (digits choose for the highlighted one; y / n for the first yes/no score)</dd>
        <dt>Enter</dt>
        <dd>submit the scores and go to the next item</dd>
        <dt>s</dt>
        <dd>skip this item (it is not offered to you again)</dd>
        <dt>?</dt>
        <dd>show or hide these keys</dd>
      </dl>
    </section>
  );
}
