import React from 'react';
import { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen } from '@testing-library/react';

import { TheodoliteOptions, TheodoliteSecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';

const settings = {
  id: 1,
  uid: 'theodolite',
  name: 'Theodolite',
  type: 'theodolite-datasource',
  access: 'proxy',
  url: '',
  jsonData: {},
  secureJsonFields: {},
} as unknown as DataSourceSettings<TheodoliteOptions, TheodoliteSecureJsonData>;

function renderEditor(options = settings) {
  const onOptionsChange = jest.fn();
  render(<ConfigEditor options={options} onOptionsChange={onOptionsChange} />);
  return onOptionsChange;
}

describe('ConfigEditor', () => {
  it('keeps the API key in secureJsonData only', () => {
    const onOptionsChange = renderEditor();
    fireEvent.change(screen.getByPlaceholderText('sk-th-...'), { target: { value: 'sk-th-secret' } });
    const saved = onOptionsChange.mock.calls[0][0];
    expect(saved.secureJsonData).toEqual({ apiKey: 'sk-th-secret' });
    expect(JSON.stringify(saved.jsonData)).not.toContain('sk-th-secret');
  });

  it('sets the URL as the data source URL, for the proxy to forward to', () => {
    const onOptionsChange = renderEditor();
    fireEvent.change(screen.getByPlaceholderText('http://127.0.0.1:4318'), {
      target: { value: ' http://theodolite:4318 ' },
    });
    expect(onOptionsChange.mock.calls[0][0]).toMatchObject({ url: 'http://theodolite:4318', access: 'proxy' });
  });

  it('keeps the project in jsonData', () => {
    const onOptionsChange = renderEditor();
    fireEvent.change(screen.getByPlaceholderText("(the key's project)"), { target: { value: 'support' } });
    expect(onOptionsChange.mock.calls[0][0].jsonData).toEqual({ project: 'support' });
  });

  it('shows a saved key as configured, and resets it', () => {
    const onOptionsChange = renderEditor({ ...settings, secureJsonFields: { apiKey: true } });
    fireEvent.click(screen.getByRole('button', { name: /reset/i }));
    expect(onOptionsChange.mock.calls[0][0]).toMatchObject({
      secureJsonFields: { apiKey: false },
      secureJsonData: { apiKey: '' },
    });
  });
});
