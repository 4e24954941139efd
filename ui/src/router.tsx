// Every UI route. The server answers each of these paths (and any other non-API path) with the
// same HTML shell, so a reload or a shared link lands on the right page.
import { createBrowserRouter, Navigate, useLocation } from "react-router";
import { useAuth } from "./auth/auth";
import { Layout } from "./components/Layout";
import { FullPageMessage } from "./components/states";
import { ChangePasswordPage } from "./pages/ChangePasswordPage";
import { LoginPage } from "./pages/LoginPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { TracesPage } from "./pages/TracesPage";
import { SessionPage } from "./sessions/SessionPage";
import { SessionsPage } from "./sessions/SessionsPage";
import { UserPage } from "./users/UserPage";
import { UsersPage } from "./users/UsersPage";
import { LivePage } from "./live/LivePage";
import { CostsPage } from "./costs/CostsPage";
import { SettingsPage } from "./settings/SettingsPage";
import { ComparePage } from "./compare/ComparePage";
import { TracePage } from "./trace/TracePage";
import { QueuesPage } from "./queues/QueuesPage";

/** Signed out: to the sign-in form, remembering where the user was going. */
function RequireAuth({ children }: { children: React.ReactNode }) {
  const { me, error, signedOutOnPurpose } = useAuth();
  const location = useLocation();
  if (error) return <FullPageMessage title="Cannot check your session" detail={error.message} retry />;
  if (me === undefined) return <FullPageMessage title="Loading…" busy />;
  if (me === null) {
    if (signedOutOnPurpose) return <Navigate to="/login" replace />;
    const next = location.pathname + location.search;
    return <Navigate to={`/login${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`} replace />;
  }
  // A one-time password: the server refuses every data route until it is changed.
  if (me.user.must_change_password) return <ChangePasswordPage forced />;
  return <>{children}</>;
}

export const router = createBrowserRouter([
  { path: "/login", element: <LoginPage /> },
  {
    element: (
      <RequireAuth>
        <Layout />
      </RequireAuth>
    ),
    children: [
      { path: "/", element: <Navigate to="/traces" replace /> },
      { path: "/traces", element: <TracesPage /> },
      { path: "/traces/:traceId", element: <TracePage /> },
      { path: "/account/password", element: <ChangePasswordPage /> },
      { path: "/sessions", element: <SessionsPage /> },
      { path: "/sessions/:sessionId", element: <SessionPage /> },
      { path: "/users", element: <UsersPage /> },
      { path: "/users/:userId", element: <UserPage /> },
      { path: "/live", element: <LivePage /> },
      { path: "/costs", element: <CostsPage /> },
      { path: "/evaluators", lazy: () => import("./evaluators/EvaluatorsPage").then((m) => ({ Component: m.EvaluatorsPage })) },
      { path: "/settings", element: <SettingsPage /> },
      { path: "/settings/:tab", element: <SettingsPage /> },
      { path: "/compare", element: <ComparePage /> },
      { path: "/datasets/:name?", lazy: () => import("./datasets/route") },
      { path: "/experiments/*", lazy: () => import("./experiments/routes") },
      { path: "/queues/:name?", element: <QueuesPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);
