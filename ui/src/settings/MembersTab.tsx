// Who has which role in the project. Everyone with a role reads the list; owners give roles
// (owner, member, viewer) and remove them. A project keeps at least one owner (the server answers 409).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useAuth, ME_QUERY_KEY } from "../auth/auth";
import { Spinner } from "../components/states";
import { ROLES, settingsApi, type Role } from "./api";
import { ActionError, ConfirmButton, ReadOnlyNotice } from "./parts";
import type { SettingsRights } from "./rules";

const ROLE_HELP: Record<Role, string> = {
  owner: "everything, and keys and members",
  member: "reads and writes data (scores, prices)",
  viewer: "reads only",
};

export function MembersTab({ project, rights }: { project: string; rights: SettingsRights }) {
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const queryKey = ["settings", "members", project];
  const members = useQuery({ queryKey, queryFn: settingsApi.members });
  const [login, setLogin] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey });
    void queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY }); // one's own role may have changed
  };
  const setMemberRole = useMutation({
    mutationFn: ({ who, to }: { who: string; to: Role }) => settingsApi.setRole(who, to),
    onSuccess: () => setLogin(""),
    onSettled: refresh,
  });
  const remove = useMutation({ mutationFn: settingsApi.removeMember, onSettled: refresh });
  const onGive = (event: FormEvent) => {
    event.preventDefault();
    remove.reset();
    if (login.trim()) setMemberRole.mutate({ who: login.trim(), to: role });
  };
  const disabled = !rights.manage;
  const owners = members.data?.filter((m) => m.role === "owner").map((m) => m.name) ?? [];

  return (
    <section className="settings-section" aria-labelledby="members-title">
      <h2 id="members-title">Members and roles</h2>
      <p className="muted">
        {ROLES.map((r) => (
          <span key={r}>
            <strong>{r}</strong>: {ROLE_HELP[r]}.{" "}
          </span>
        ))}
        Admins act as owners of every project.
      </p>
      {disabled ? (
        <ReadOnlyNotice>
          Your role in project <strong>{project}</strong> is {rights.role ?? "none"}: only owners give or remove roles
          {owners.length > 0 ? <> (ask {owners.join(", ")})</> : null}.
        </ReadOnlyNotice>
      ) : null}
      {members.isPending ? (
        <Spinner label="Loading the members…" />
      ) : members.isError ? (
        <ActionError error={members.error} />
      ) : (
        <table className="settings-table" aria-label="Members">
          <thead>
            <tr>
              <th>User</th>
              <th>Email</th>
              <th>Role</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.data.map((member) => (
              <tr key={member.id} data-testid="member-row" data-member={member.name}>
                <td>
                  {member.name}
                  {me && String(me.user.id) === String(member.id) ? <span className="muted"> (you)</span> : null}
                </td>
                <td>{member.email}</td>
                <td>
                  <select
                    aria-label={`Role of ${member.name}`}
                    value={member.role}
                    disabled={disabled || setMemberRole.isPending}
                    onChange={(e) => {
                      remove.reset();
                      setMemberRole.mutate({ who: member.name, to: e.target.value as Role });
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="actions">
                  <ConfirmButton
                    label="Remove"
                    question={`${member.name} will no longer see project ${project}. Remove?`}
                    confirmLabel="Remove"
                    disabled={disabled}
                    busy={remove.isPending}
                    onConfirm={() => {
                      setMemberRole.reset();
                      remove.mutate(member.name);
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ActionError error={setMemberRole.error ?? remove.error} />
      <h3>Give a user a role</h3>
      <form className="settings-form" onSubmit={onGive}>
        <label className="field">
          <span>User</span>
          <input
            aria-label="User email or name"
            placeholder="email or user name"
            value={login}
            disabled={disabled}
            onChange={(e) => setLogin(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Role</span>
          <select aria-label="New role" value={role} disabled={disabled} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button button-primary" disabled={disabled || setMemberRole.isPending}>
          Give the role
        </button>
      </form>
      <p className="muted">
        The user must exist: an admin creates users {rights.isAdmin ? "under Users" : "(theodolite users create)"}.
      </p>
    </section>
  );
}
