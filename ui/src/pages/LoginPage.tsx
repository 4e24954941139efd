import { useEffect, useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { ApiError } from "../api/client";
import { useAuth } from "../auth/auth";
import { safeNext } from "../auth/next";
import { FullPageMessage, Spinner } from "../components/states";


export function LoginPage() {
  const { me, error: meError, signIn } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const next = safeNext(params.get("next"));

  // While rate-limited: a countdown, and the button stays disabled until it ends.
  useEffect(() => {
    if (retryAt === null) return;
    const timer = window.setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= retryAt) {
        setRetryAt(null);
        setError(null);
      }
    }, 1000);
    return () => window.clearInterval(timer);
  }, [retryAt]);

  if (meError) return <FullPageMessage title="Cannot check your session" detail={meError.message} retry />;
  if (me === undefined) return <FullPageMessage title="Loading…" busy />;
  if (me !== null) return <Navigate to={next} replace />;

  const waitS = retryAt === null ? 0 : Math.max(0, Math.ceil((retryAt - now) / 1000));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (submitting || waitS > 0) return;
    setSubmitting(true);
    setError(null);
    try {
      await signIn(login.trim(), password);
      navigate(next, { replace: true });
    } catch (caught) {
      setPassword("");
      if (caught instanceof ApiError && caught.status === 401) {
        setError("Wrong email, user name or password.");
      } else if (caught instanceof ApiError && caught.status === 429) {
        const seconds = caught.retryAfterS ?? 60;
        setNow(Date.now());
        setRetryAt(Date.now() + seconds * 1000);
        setError("Too many sign-in attempts.");
      } else {
        setError(caught instanceof Error ? caught.message : String(caught));
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <main className="full-page">
      <form className="card login-card" onSubmit={onSubmit} aria-labelledby="login-title">
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <h1 id="login-title">Sign in to Theodolite</h1>
        </div>
        <label className="field">
          <span>Email or user name</span>
          <input
            name="login"
            autoComplete="username"
            autoFocus
            required
            value={login}
            onChange={(event) => setLogin(event.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {error ? (
          <p className="form-error" role="alert" data-testid="login-error">
            {error}
            {waitS > 0 ? ` Try again in ${waitS} s.` : ""}
          </p>
        ) : null}
        <button type="submit" className="button button-primary" disabled={submitting || waitS > 0}>
          {submitting ? <Spinner label="Signing in…" /> : "Sign in"}
        </button>
      </form>
    </main>
  );
}
