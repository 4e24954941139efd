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
