import { useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useAuth } from "../auth/auth";
import { sectionPath } from "./sectionPath";
import { ErrorBanner } from "./states";

export function Layout() {
  const { me, project, setProject, signOut } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [signOutError, setSignOutError] = useState<string | null>(null);
  if (!me) return null;
  const onSignOut = async () => {
    try {
      await signOut(); // then RequireAuth sends the page to /login
    } catch (error) {
      setSignOutError(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/traces" className="brand">
          <img src="/favicon.svg" alt="" width={20} height={20} />
          Theodolite
        </Link>
        <nav className="nav">
          <NavLink to="/traces">Traces</NavLink>
          <NavLink to="/sessions">Sessions</NavLink>
          <NavLink to="/users">Users</NavLink>
          <NavLink to="/live">Live</NavLink>
          <NavLink to="/costs">Costs</NavLink>
          <NavLink to="/datasets">Datasets</NavLink>
          <NavLink to="/experiments">Experiments</NavLink>
          <NavLink to="/queues">Queues</NavLink>
          <NavLink to="/evaluators">Evaluators</NavLink>
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <div className="topbar-right">
          {me.projects.length > 1 ? (
            <label className="project-switcher">
              <span className="muted">Project</span>
              <select
                aria-label="Project"
                value={project ?? ""}
                onChange={(event) => {
                  setProject(event.target.value);
                  // The same section of the other project; a page's own filters are left behind.
                  navigate(`${sectionPath(location.pathname)}?project=${encodeURIComponent(event.target.value)}`);
                }}
              >
                {me.projects.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
          ) : project ? (
            <span className="muted" data-testid="project-name">
              {project}
            </span>
          ) : null}
          <Link to="/account/password" className="user" title={`${me.user.email}: change your password`} data-testid="user-name">
            {me.user.name || me.user.email}
          </Link>
          <button type="button" className="button button-quiet" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      {signOutError ? <ErrorBanner message={`Sign-out failed: ${signOutError}`} /> : null}
      {me.projects.length === 0 ? (
        <ErrorBanner message="Your account is not a member of any project yet: ask an administrator to add you." />
      ) : null}
      <Outlet />
    </div>
  );
}
