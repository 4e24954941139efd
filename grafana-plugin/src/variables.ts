import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { Observable, from } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { TheodoliteVariableQuery } from './types';

/** Query variables: the values of one kind (models, users, ...) from the API's variable lists. */
export class TheodoliteVariableSupport extends CustomVariableSupport<DataSource, TheodoliteVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<TheodoliteVariableQuery>): Observable<DataQueryResponse> {
    const [target] = request.targets;
    return from(
      this.datasource
        .metricFindQuery(target, { range: request.range, scopedVars: request.scopedVars })
        .then((values) => ({ data: values }))
    );
  }
}
