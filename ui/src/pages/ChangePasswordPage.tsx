import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { ApiError } from "../api/client";
import { useAuth } from "../auth/auth";
import { Spinner } from "../components/states";

export const MIN_PASSWORD_CHARS = 8; // the server's rule (400 below it)

/** Choose a new password; `forced` after signing in with a one-time password. */
export function ChangePasswordPage({ forced = false }: { forced?: boolean }) {
  const { changePassword, signOut } = useAuth();
  const navigate = useNavigate();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [submitting, setSubmitting] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (next.length < MIN_PASSWORD_CHARS) return setError(`The new password needs at least ${MIN_PASSWORD_CHARS} characters.`);
    if (next !== repeat) return setError("The two new passwords differ.");
    if (next === current) return setError("The new password must differ from the current one.");
    setSubmitting(true);
    try {
      await changePassword(current, next);
      setDone(true);
      if (!forced) navigate("/traces");
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) setError("The current password is wrong.");
      else if (caught instanceof ApiError && caught.status === 429)
        setError(`Too many attempts. Try again in ${caught.retryAfterS ?? 60} s.`);
      else setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <main className="full-page">
      <form className="card login-card" onSubmit={onSubmit} aria-labelledby="password-title">
        <h1 id="password-title">{forced ? "Choose your password" : "Change your password"}</h1>
        {forced ? (
          <p className="muted">You signed in with a one-time password. Choose your own to continue.</p>
        ) : null}
        <label className="field">
          <span>Current password</span>
          <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label className="field">
          <span>New password</span>
          <input type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        <label className="field">
          <span>New password again</span>
          <input type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        </label>
        {error ? (
          <p className="form-error" role="alert" data-testid="password-error">
            {error}
          </p>
        ) : null}
        {done && !forced ? <p role="status">Password changed.</p> : null}
        <button type="submit" className="button button-primary" disabled={submitting}>
          {submitting ? <Spinner label="Saving…" /> : "Save the password"}
        </button>
        {forced ? (
          <button type="button" className="button button-quiet" onClick={() => void signOut()}>
            Sign out
          </button>
        ) : null}
      </form>
    </main>
  );
}
