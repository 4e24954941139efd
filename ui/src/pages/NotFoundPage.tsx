import { Link, useLocation } from "react-router";
import { EmptyState } from "../components/states";

export function NotFoundPage() {
  const location = useLocation();
  return (
    <main className="page">
      <EmptyState title="No such page">
        <p>
          Nothing lives at <code>{location.pathname}</code>. <Link to="/traces">Go to the traces</Link>.
        </p>
      </EmptyState>
    </main>
  );
}
