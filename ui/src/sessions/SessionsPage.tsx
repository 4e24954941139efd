// /sessions: sessions by latest activity; a row opens the session's thread.
import { GroupList } from "./GroupList";

export function SessionsPage() {
  return (
    <GroupList
      kind="sessions"
      title="Sessions"
      idField="session_id"
      idLabel="Session"
      detailPath={(id, _range, projectQuery) => `/sessions/${encodeURIComponent(id)}${projectQuery}`}
    />
  );
}
