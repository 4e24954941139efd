// Admins: every user of this Theodolite (what `theodolite users` does). A generated password is a
// one-time password, shown once; the user chooses their own at sign-in.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ME_QUERY_KEY, useAuth } from "../auth/auth";
import { Spinner } from "../components/states";
import { settingsApi } from "./api";
import { ActionError, ConfirmButton, formatDate, SecretOnce } from "./parts";

export function UsersTab() {
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const queryKey = ["settings", "admin-users"];
  const users = useQuery({ queryKey, queryFn: settingsApi.users });
  const [form, setForm] = useState({ email: "", name: "", isAdmin: false });
  const [oneTime, setOneTime] = useState<{ who: string; password: string } | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey });
  const create = useMutation({
    mutationFn: () =>
      settingsApi.createUser({ email: form.email.trim(), name: form.name.trim() || null, is_admin: form.isAdmin }),
    onSuccess: (made) => {
      setForm({ email: "", name: "", isAdmin: false });
      if (made.password) setOneTime({ who: made.user.name, password: made.password });
    },
    onSettled: refresh,
  });
  const reset = useMutation({
    mutationFn: settingsApi.resetPassword,
    onSuccess: (answer, who) => setOneTime({ who, password: answer.password }),
    onSettled: refresh,
  });
  const admin = useMutation({
    mutationFn: ({ who, on }: { who: string; on: boolean }) => settingsApi.setAdmin(who, on),
    onSettled: () => {
      refresh();
      void queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY }); // one's own admin right may have changed
    },
  });
  const remove = useMutation({ mutationFn: settingsApi.deleteUser, onSettled: refresh });
  const onCreate = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const error = create.error ?? reset.error ?? admin.error ?? remove.error;

  return (
    <section className="settings-section" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <p className="muted">
        Every user of this Theodolite (you are an admin). Give them roles in a project under Members.
      </p>
      <form className="settings-form" onSubmit={onCreate} aria-label="Create a user">
        <label className="field">
          <span>Email</span>
          <input aria-label="New user email" type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </label>
        <label className="field">
          <span>User name</span>
          <input aria-label="New user name" placeholder="from the email" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={form.isAdmin} onChange={(e) => setForm({ ...form, isAdmin: e.target.checked })} />
          admin
        </label>
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          Create the user
        </button>
      </form>
      <ActionError error={error} />
      {oneTime ? (
        <SecretOnce
          title={`One-time password of ${oneTime.who}`}
          label="Password"
          secret={oneTime.password}
          testId="one-time-password"
          onDone={() => setOneTime(null)}
        >
          <p>Give it to {oneTime.who}: they choose their own password when they first sign in with it.</p>
        </SecretOnce>
      ) : null}
      {users.isPending ? (
        <Spinner label="Loading the users…" />
      ) : users.isError ? (
        <ActionError error={users.error} />
      ) : (
        <table className="settings-table" aria-label="Users">
          <thead>
            <tr>
              <th>User</th>
              <th>Email</th>
              <th>Projects</th>
              <th>Admin</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data.map((user) => {
              const self = me !== null && me !== undefined && String(me.user.id) === String(user.id);
              return (
                <tr key={user.id} data-testid="user-row" data-user={user.name}>
                  <td>
                    {user.name}
                    {self ? <span className="muted"> (you)</span> : null}
                    {user.must_change_password ? <span className="muted" title="signs in with a one-time password"> · one-time password</span> : null}
                  </td>
                  <td>{user.email}</td>
                  <td>{user.projects.map((p) => `${p.name} (${p.role})`).join(", ") || <span className="muted">none</span>}</td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${user.name} is admin`}
                      checked={user.is_admin}
                      disabled={admin.isPending}
                      onChange={(e) => admin.mutate({ who: user.name, on: e.target.checked })}
                    />
                  </td>
                  <td>{formatDate(user.created_at)}</td>
                  <td className="actions">
                    <ConfirmButton
                      label="Reset password"
                      question={`A new one-time password for ${user.name}; their sessions end. Reset?`}
                      confirmLabel="Reset"
                      busy={reset.isPending}
                      onConfirm={() => reset.mutate(user.name)}
                    />
                    <ConfirmButton
                      label="Delete"
                      question={`Delete ${user.name} and their roles?`}
                      confirmLabel="Delete the user"
                      disabled={self}
                      title={self ? "you cannot delete yourself here" : undefined}
                      busy={remove.isPending}
                      onConfirm={() => remove.mutate(user.name)}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
