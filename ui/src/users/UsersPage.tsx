// /users: users by latest activity; a row opens the user's page in the same time range.
import { GroupList } from "../sessions/GroupList";
import { withRange } from "../sessions/range";

export function UsersPage() {
  return (
    <GroupList
      kind="users"
      title="Users"
      idField="user_id"
      idLabel="User"
      detailPath={(id, range, projectQuery) => withRange(`/users/${encodeURIComponent(id)}`, range, projectQuery)}
    />
  );
}
