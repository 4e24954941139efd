// /datasets/:name: one dataset. A version picker (the current version by default; `?version=N` in
// the URL reproduces the view), the version history with notes and counts, and the chosen version's
// items page by page. The current version can be changed here (add, edit, delete an item), each
// change making a new version that is then shown; older versions are read-only, as they are stored.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { ApiError } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState, ErrorBanner, Spinner } from "../components/states";
import { formatTimestamp } from "../format";
import { ActionError, ConfirmButton } from "../settings/parts";
import { datasetsApi, describeChange, jsonLine, type Change, type DatasetItem, type DatasetVersion, type ItemIn } from "./api";
import { ItemForm } from "./ItemForm";
import "./datasets.css";

export const ITEMS_PER_PAGE = 25;

export function DatasetPage() {
  const { name = "" } = useParams();
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const [searchParams, setSearchParams] = useSearchParams();
  const queryClient = useQueryClient();
  const key = ["dataset", project, name];
  const info = useQuery({ queryKey: [...key, "info"], queryFn: () => datasetsApi.get(name), enabled: project !== null });
  const versions = useQuery({
    queryKey: [...key, "versions"],
    queryFn: () => datasetsApi.versions(name),
    enabled: project !== null,
  });
  const [lastChange, setLastChange] = useState<Change | null>(null);

  const current = info.data?.current_version ?? null;
  const asked = searchParams.get("version");
  const parsed = asked !== null && /^\d+$/.test(asked) ? Number(asked) : null;
  const viewed = parsed ?? current;
  const isCurrent = viewed !== null && viewed === current;

  const showVersion = (version: number | null) => {
    const next = new URLSearchParams(searchParams);
    next.delete("version");
    next.delete("project");
    if (version !== null && version !== current) next.set("version", String(version));
    const projectName = searchParams.get("project");
    if (projectName !== null) next.set("project", projectName); // the project stays last
    setSearchParams(next);
  };

  const changed = (change: Change) => {
    setLastChange(change);
    void queryClient.invalidateQueries({ queryKey: key });
    void queryClient.invalidateQueries({ queryKey: ["datasets", project] });
    showVersion(null); // the new version is the current one
  };

  const notFound = info.error instanceof ApiError && info.error.status === 404;
  if (notFound) {
    return (
      <main className="page dataset-page">
        <Link to={`/datasets${projectQuery}`}>← Datasets</Link>
        <EmptyState title={`No dataset named ${name}`}>
          <p>It may belong to another project.</p>
        </EmptyState>
      </main>
    );
  }
  const history = [...(versions.data ?? [])].reverse(); // newest first
  return (
    <main className="page dataset-page">
      <div className="page-header">
        <div>
          <Link to={`/datasets${projectQuery}`}>← Datasets</Link>
          <h1 data-testid="dataset-title">{name}</h1>
          {info.data?.description ? <p className="muted" style={{ margin: 0 }}>{info.data.description}</p> : null}
        </div>
        {info.data ? (
          <dl className="facts-row">
            <div>
              <dt className="muted">Current version</dt>
              <dd data-testid="dataset-current-version">{info.data.current_version}</dd>
            </div>
            <div>
              <dt className="muted">Items</dt>
              <dd data-testid="dataset-item-count">{info.data.item_count.toLocaleString("en-US")}</dd>
            </div>
            <div>
              <dt className="muted">Created</dt>
              <dd>{formatTimestamp(info.data.created_at)}</dd>
            </div>
          </dl>
        ) : null}
      </div>
      {info.isError ? <ErrorBanner message={`Could not load the dataset: ${info.error.message}`} onRetry={() => void info.refetch()} /> : null}
      {lastChange ? (
        <p className="banner banner-info change-banner" role="status" data-testid="change-result">
          {describeChange(lastChange)}
        </p>
      ) : null}
      {info.isPending && project !== null ? <Spinner label="Loading the dataset…" /> : null}
      {viewed !== null && current !== null ? (
        <div className="dataset-layout">
          <ItemsView
            // Another version (or a change) starts again at its first page.
            key={`${viewed}|${current}`}
            name={name}
            version={viewed}
            current={current}
            history={history}
            isCurrent={isCurrent}
            projectQuery={projectQuery}
            onVersion={showVersion}
            onChange={changed}
          />
          <section className="dataset-versions panel" aria-labelledby="versions-title">
            <h2 id="versions-title">Versions</h2>
            {versions.isPending ? <Spinner label="Loading the versions…" /> : null}
            <ActionError error={versions.error} />
            {versions.data && versions.data.length === 0 ? <p className="muted">Version 0: empty, no change yet.</p> : null}
            <ol aria-label="Version history">
              {history.map((v) => (
                <li
                  key={v.version}
                  data-testid="version-row"
                  data-version={v.version}
                  aria-current={v.version === viewed}
                  onClick={() => showVersion(v.version)}
                >
                  <div className="version-head">
                    <strong>
                      v{v.version}
                      {v.version === current ? " (current)" : ""}
                    </strong>
                    <span className="muted" data-testid="version-count">
                      {v.item_count} {v.item_count === 1 ? "item" : "items"}
                    </span>
                  </div>
                  <div className="version-note">
                    {formatTimestamp(v.created_at)}
                    {v.note ? ` · ${v.note}` : ""}
                  </div>
                </li>
              ))}
            </ol>
          </section>
        </div>
      ) : null}
    </main>
  );
}

function ItemsView({
  name,
  version,
  current,
  history,
  isCurrent,
  projectQuery,
  onVersion,
  onChange,
}: {
  name: string;
  version: number;
  current: number;
  history: DatasetVersion[];
  isCurrent: boolean;
  projectQuery: string;
  onVersion: (version: number) => void;
  onChange: (change: Change) => void;
}) {
  const { project } = useAuth();
  // The cursors of the pages seen so far: the last one is the page shown (null: the first).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const items = useQuery({
    queryKey: ["dataset", project, name, "items", version, cursor],
    queryFn: () => datasetsApi.items(name, version, ITEMS_PER_PAGE, cursor),
    placeholderData: keepPreviousData,
  });
  const [editing, setEditing] = useState<DatasetItem | "new" | null>(null);
  const save = useMutation({
    mutationFn: (item: ItemIn) =>
      datasetsApi.upsert(name, [item], editing === "new" ? `added ${item.id ?? "an item"}` : `edited ${item.id}`),
    onSuccess: (change) => {
      setEditing(null);
      onChange(change);
    },
  });
  const remove = useMutation({ mutationFn: (itemId: string) => datasetsApi.remove(name, itemId), onSuccess: onChange });
  const page = cursors.length;
  const first = (page - 1) * ITEMS_PER_PAGE;
  const rows = items.data?.data ?? [];

  return (
    <section className="dataset-items-section" aria-labelledby="items-title" style={{ display: "flex", flexDirection: "column", gap: 10 }}>
      <div className="dataset-toolbar">
        <h2 id="items-title" style={{ margin: 0 }}>
          Items
        </h2>
        <label className="filter">
          Version
          <select aria-label="Version" value={version} onChange={(event) => onVersion(Number(event.target.value))}>
            {history.length === 0 ? <option value={0}>v0 (empty)</option> : null}
            {history.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
                {v.version === current ? " (current)" : ""} · {v.item_count} items
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button"
          disabled={!isCurrent || editing !== null}
          title={isCurrent ? "Add an item: a new version" : "Older versions are read-only: go to the current one to change it"}
          onClick={() => {
            save.reset();
            setEditing("new");
          }}
        >
          Add an item
        </button>
        {!isCurrent ? (
          <span className="muted" data-testid="old-version-notice">
            Version {version} of {current}: read-only, as stored.{" "}
            <button type="button" className="button button-quiet" onClick={() => onVersion(current)}>
              Show the current version
            </button>
          </span>
        ) : null}
        {items.isFetching ? <Spinner label="Loading…" /> : null}
      </div>
      {editing !== null ? (
        <ItemForm
          key={editing === "new" ? "new" : editing.id}
          item={editing === "new" ? null : editing}
          busy={save.isPending}
          error={save.error}
          onSave={(item) => save.mutate(item)}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <ActionError error={remove.error} />
      {items.isError ? <ErrorBanner message={`Could not load the items: ${items.error.message}`} onRetry={() => void items.refetch()} /> : null}
      {items.data && rows.length === 0 && page === 1 ? (
        <EmptyState title={`Version ${version} holds no items`}>
          {isCurrent ? <p>Add one above, or add traces with “Add to dataset” on a trace or in the traces list.</p> : null}
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <table className="simple-table panel dataset-items" aria-label={`Items of version ${version}`} data-version={items.data?.version}>
          <colgroup>
            <col style={{ width: "16%" }} />
            <col style={{ width: "24%" }} />
            <col style={{ width: "20%" }} />
            <col style={{ width: "14%" }} />
            <col style={{ width: "11%" }} />
            <col style={{ width: "15%" }} />
          </colgroup>
          <thead>
            <tr>
              <th>Id</th>
              <th>Input</th>
              <th>Expected output</th>
              <th>Metadata</th>
              <th>Source trace</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((item) => (
              <tr key={item.id} data-testid="item-row" data-item-id={item.id}>
                <td title={`${item.id} (content from version ${item.version})`}>
                  <code>{item.id}</code>
                </td>
                <td className="json" title={jsonLine(item.input)} data-testid="item-input">
                  {jsonLine(item.input)}
                </td>
                <td className="json" title={jsonLine(item.expected_output)} data-testid="item-expected">
                  {jsonLine(item.expected_output)}
                </td>
                <td className="json" title={jsonLine(item.metadata)}>
                  {jsonLine(item.metadata)}
                </td>
                <td>
                  {item.source_trace_id ? (
                    <Link
                      to={`/traces/${encodeURIComponent(item.source_trace_id)}${projectQuery}`}
                      title={`trace ${item.source_trace_id}, observation ${item.source_observation_id ?? "—"}`}
                      data-testid="item-source"
                    >
                      {item.source_trace_id.slice(0, 12)}…
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="actions">
                  {isCurrent ? (
                    <>
                      <button
                        type="button"
                        className="button"
                        disabled={editing !== null}
                        onClick={() => {
                          save.reset();
                          setEditing(item);
                        }}
                      >
                        Edit
                      </button>
                      <ConfirmButton
                        label="Delete"
                        question="Delete it? Older versions keep it."
                        confirmLabel="Delete the item"
                        busy={remove.isPending && remove.variables === item.id}
                        onConfirm={() => remove.mutate(item.id)}
                      />
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {items.data && (page > 1 || items.data.next_cursor) ? (
        <div className="dataset-pager" data-testid="item-pager">
          <button type="button" className="button" disabled={page === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous
          </button>
          <span>
            Items {first + 1}–{first + rows.length} · page {page}
          </span>
          <button
            type="button"
            className="button"
            disabled={!items.data.next_cursor || items.isPlaceholderData}
            onClick={() => setCursors((c) => [...c, items.data.next_cursor])}
          >
            Next
          </button>
        </div>
      ) : null}
    </section>
  );
}
