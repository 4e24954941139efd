import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { TheodoliteOptions, TheodoliteQuery } from './types';

export const plugin = new DataSourcePlugin<DataSource, TheodoliteQuery, TheodoliteOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
