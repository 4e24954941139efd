// /settings/{keys,prices,scores,members,users}: the current project's API keys, price overrides and members,
// and (admins) the users. The tab is the URL's last segment so a link or a reload opens it again.
import { Navigate, NavLink, useParams } from "react-router";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { EmptyState } from "../components/states";
import { KeysTab } from "./KeysTab";
import { MembersTab } from "./MembersTab";
import { PricesTab } from "./PricesTab";
import { ScoresTab } from "./ScoresTab";
import { settingsRights } from "./rules";
import { UsersTab } from "./UsersTab";
import "./settings.css";

const TABS = [
  ["keys", "API keys"],
  ["prices", "Prices"],
  ["scores", "Scores"],
  ["members", "Members"],
  ["users", "Users"],
] as const;
type Tab = (typeof TABS)[number][0];

export function SettingsPage() {
  const { me, project } = useAuth();
  const { tab } = useParams();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const rights = settingsRights(me, project);
  if (!TABS.some(([name]) => name === tab)) return <Navigate to={`/settings/keys${projectQuery}`} replace />;
  const current = tab as Tab;
  const tabs = TABS.filter(([name]) => name !== "users" || rights.isAdmin);
  return (
    <main className="page settings-page">
      <div className="page-header">
        <h1>
          Settings <span className="muted">· project {project ?? "—"}</span>
        </h1>
        {rights.role ? (
          <span className="muted" data-testid="settings-role">
            your role: {rights.isAdmin ? "admin (owner of every project)" : rights.role}
          </span>
        ) : null}
      </div>
      <nav className="settings-tabs" aria-label="Settings">
        {tabs.map(([name, label]) => (
          <NavLink key={name} to={`/settings/${name}${projectQuery}`} role="tab" aria-selected={name === current}>
            {label}
          </NavLink>
        ))}
      </nav>
      <div className="settings-body">
        {project === null ? (
          <EmptyState title="No project">You have no role in any project yet: ask an owner or an admin.</EmptyState>
        ) : current === "keys" ? (
          <KeysTab key={project} project={project} rights={rights} />
        ) : current === "prices" ? (
          <PricesTab key={project} project={project} rights={rights} />
        ) : current === "scores" ? (
          <ScoresTab key={project} project={project} rights={rights} />
        ) : current === "members" ? (
          <MembersTab key={project} project={project} rights={rights} />
        ) : rights.isAdmin ? (
          <UsersTab />
        ) : (
          <EmptyState title="Admins only">Only admins manage the users of this Theodolite.</EmptyState>
        )}
      </div>
    </main>
  );
}
