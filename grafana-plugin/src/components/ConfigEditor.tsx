import React, { ChangeEvent } from 'react';
import { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { InlineField, Input, SecretInput, Stack } from '@grafana/ui';

import { TheodoliteOptions, TheodoliteSecureJsonData } from '../types';

type Props = DataSourcePluginOptionsEditorProps<TheodoliteOptions, TheodoliteSecureJsonData>;

const LABEL_WIDTH = 16;

/**
 * The URL is the data source's own (Grafana's proxy forwards there); the API key goes to
 * secureJsonData, which Grafana encrypts and only its proxy reads, adding it as a bearer token.
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields, secureJsonData } = options;

  const onUrlChange = (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, url: event.target.value.trim(), access: 'proxy' });
  };
  const onProjectChange = (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, jsonData: { ...jsonData, project: event.target.value.trim() } });
  };
  const onApiKeyChange = (event: ChangeEvent<HTMLInputElement>) => {
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, apiKey: event.target.value } });
  };
  const onApiKeyReset = () => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, apiKey: false },
      secureJsonData: { ...secureJsonData, apiKey: '' },
    });
  };

  return (
    <Stack direction="column" gap={1}>
      <InlineField
        label="URL"
        labelWidth={LABEL_WIDTH}
        required
        tooltip="The Theodolite server as Grafana's server reaches it, e.g. http://theodolite:4318"
      >
        <Input
          id="theodolite-url"
          value={options.url ?? ''}
          onChange={onUrlChange}
          placeholder="http://127.0.0.1:4318"
          width={48}
        />
      </InlineField>
      <InlineField
        label="API key"
        labelWidth={LABEL_WIDTH}
        required
        tooltip="A project's secret key (theodolite keys create --project <name>). Stored encrypted; Grafana's server sends it."
      >
        <SecretInput
          id="theodolite-api-key"
          isConfigured={Boolean(secureJsonFields?.apiKey)}
          value={secureJsonData?.apiKey ?? ''}
          onChange={onApiKeyChange}
          onReset={onApiKeyReset}
          placeholder="sk-th-..."
          width={48}
        />
      </InlineField>
      <InlineField
        label="Project"
        labelWidth={LABEL_WIDTH}
        tooltip="Optional. An API key already names its project; this is sent as X-Theodolite-Project, which only a signed-in browser session needs. Save & test shows the project the key reaches."
      >
        <Input
          id="theodolite-project"
          value={jsonData.project ?? ''}
          onChange={onProjectChange}
          placeholder="(the key's project)"
          width={48}
        />
      </InlineField>
    </Stack>
  );
}
