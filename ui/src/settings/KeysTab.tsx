// API keys of the project: list, create (the secret shown once), revoke. Owners only; others see
// why the controls are disabled, and the server refuses them anyway.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Spinner } from "../components/states";
import { settingsApi, type NewKey } from "./api";
import { ActionError, ConfirmButton, formatDate, ReadOnlyNotice, SecretOnce } from "./parts";
import type { SettingsRights } from "./rules";

export function KeysTab({ project, rights }: { project: string; rights: SettingsRights }) {
  const queryClient = useQueryClient();
  const queryKey = ["settings", "keys", project];
  // Only owners may list the keys: for others the list would be a 403.
  const keys = useQuery({ queryKey, queryFn: settingsApi.keys, enabled: rights.manage });
  const [note, setNote] = useState("");
  const [created, setCreated] = useState<NewKey | null>(null);
  const create = useMutation({
    mutationFn: (text: string) => settingsApi.createKey(text.trim() === "" ? null : text.trim()),
    onSuccess: (key) => {
      setCreated(key);
      setNote("");
      void queryClient.invalidateQueries({ queryKey });
    },
  });
  const revoke = useMutation({
    mutationFn: settingsApi.revokeKey,
    onSettled: () => void queryClient.invalidateQueries({ queryKey }),
  });
  const onCreate = (event: FormEvent) => {
    event.preventDefault();
    revoke.reset();
    create.mutate(note);
  };

  return (
    <section className="settings-section" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="muted">
        Applications send a key's secret to ingest and read this project's data (
        <code>Authorization: Bearer &lt;secret&gt;</code>). A key acts as a member: it cannot manage keys or members.
      </p>
      {!rights.manage ? (
        <ReadOnlyNotice>
          Your role in project <strong>{project}</strong> is {rights.role ?? "none"}: only its owners see, create and
          revoke API keys. Ask an owner (listed under Members).
        </ReadOnlyNotice>
      ) : null}
      <form className="settings-form" onSubmit={onCreate}>
        <label className="field">
          <span>Note</span>
          <input
            aria-label="Key note"
            placeholder="what uses this key (optional)"
            maxLength={500}
            value={note}
            disabled={!rights.manage}
            onChange={(e) => setNote(e.target.value)}
          />
        </label>
        <button type="submit" className="button button-primary" disabled={!rights.manage || create.isPending}>
          {create.isPending ? <Spinner label="Creating…" /> : "Create a key"}
        </button>
      </form>
      <ActionError error={create.error} />
      {created ? (
        <SecretOnce
          title="New API key"
          label="Secret key"
          secret={created.secret_key}
          testId="new-key-secret"
          onDone={() => setCreated(null)}
        >
          <p>
            Public key <code data-testid="new-key-public">{created.public_key}</code>
          </p>
        </SecretOnce>
      ) : null}
      <ActionError error={revoke.error} />
      {rights.manage ? (
        keys.isPending ? (
          <Spinner label="Loading the keys…" />
        ) : keys.isError ? (
          <ActionError error={keys.error} />
        ) : (
          <table className="settings-table" aria-label="API keys">
            <thead>
              <tr>
                <th>Public key</th>
                <th>Secret</th>
                <th>Note</th>
                <th>Created</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.data.length === 0 ? (
                <tr>
                  <td colSpan={6} className="muted">
                    No key yet.
                  </td>
                </tr>
              ) : null}
              {keys.data.map((key) => (
                <tr key={key.public_key} data-testid="key-row" data-public-key={key.public_key}>
                  <td>
                    <code>{key.public_key}</code>
                  </td>
                  <td>
                    <code title="the first and last characters only">{key.display_secret}</code>
                  </td>
                  <td>{key.note ?? <span className="muted">—</span>}</td>
                  <td>{formatDate(key.created_at)}</td>
                  <td data-testid="key-status">
                    {key.revoked_at ? <span className="muted">revoked {formatDate(key.revoked_at)}</span> : "active"}
                  </td>
                  <td className="actions">
                    {key.revoked_at ? null : (
                      <ConfirmButton
                        label="Revoke"
                        question="Applications using this key will be refused (401). Revoke it?"
                        confirmLabel="Revoke the key"
                        busy={revoke.isPending && revoke.variables === key.public_key}
                        onConfirm={() => revoke.mutate(key.public_key)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
}
