// Loading, empty and error states: every wait and every failure is visible.
import type { ReactNode } from "react";

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden="true" />
      {label ? <span>{label}</span> : <span className="visually-hidden">Loading</span>}
    </span>
  );
}

export function ErrorBanner({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div className="banner banner-error" role="alert">
      <span>{message}</span>
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state" data-testid="empty-state">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function FullPageMessage({
  title,
  detail,
  busy,
  retry,
}: {
  title: string;
  detail?: string;
  busy?: boolean;
  retry?: boolean;
}) {
  return (
    <main className="full-page">
      <div className="card">
        {busy ? <Spinner label={title} /> : <h1>{title}</h1>}
        {detail ? <p>{detail}</p> : null}
        {retry ? (
          <button type="button" className="button" onClick={() => window.location.reload()}>
            Retry
          </button>
        ) : null}
      </div>
    </main>
  );
}

/** What an infinite-scroll query exposes to its foot. */
interface MoreQuery {
  isFetchingNextPage: boolean;
  isError: boolean;
  error: Error | null;
  hasNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** The foot of an infinite list: how many rows are loaded, "loading more", a failed next page with
 * Retry, or the end. One place, so every list says it the same way. */
export function ScrollFoot({
  query,
  count,
  singular,
  plural,
  end,
  className,
  testId,
  textClassName,
  hint,
}: {
  query: MoreQuery;
  count: number;
  singular: string;
  plural: string;
  end: string; // ", end of the list"
  className: string;
  testId: string;
  textClassName?: string;
  hint?: ReactNode;
}) {
  return (
    <div className={className} role="status" data-testid={testId} data-loaded={count}>
      {query.isFetchingNextPage ? (
        <Spinner label={`${count} ${plural} loaded, loading more…`} />
      ) : query.isError && count > 0 ? (
        <span className="error-text">
          Could not load more: {query.error?.message}{" "}
          <button type="button" className="button button-quiet" onClick={() => void query.fetchNextPage()}>
            Retry
          </button>
        </span>
      ) : count > 0 ? (
        <span className={textClassName}>
          {count} {count === 1 ? singular : plural}
          {query.hasNextPage ? " loaded, scroll for more" : end}
          {hint}
        </span>
      ) : null}
    </div>
  );
}
