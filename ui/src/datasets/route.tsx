// The Datasets section, loaded on first visit (router.tsx names it in one lazy line):
// /datasets lists them, /datasets/:name shows one.
import { useParams } from "react-router";
import { DatasetPage } from "./DatasetPage";
import { DatasetsPage } from "./DatasetsPage";

export function Component() {
  const { name } = useParams();
  return name === undefined ? <DatasetsPage /> : <DatasetPage />;
}
