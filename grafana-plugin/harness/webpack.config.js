// The editor harness: the plugin's ConfigEditor and QueryEditor on a page of their own, with
// @grafana/ui, @grafana/data and React bundled in (inside Grafana they are the host's). Written to
// harness/dist, never to the plugin's dist/ or its zip. Built and driven by
// tests/grafana/test_plugin_editors_browser.py; `npx webpack -c harness/webpack.config.js` builds it by hand.
const path = require('path');

module.exports = {
  mode: 'development',
  // No eval() source maps: the page is rendered, not debugged.
  devtool: false,
  context: path.resolve(__dirname, '..'),
  entry: path.resolve(__dirname, 'editors.tsx'),
  output: { path: path.resolve(__dirname, 'dist'), filename: 'editors.js', clean: true },
  resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs'] },
  performance: { hints: false },
  module: {
    rules: [
      {
        exclude: /node_modules/,
        test: /\.[tj]sx?$/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              target: 'es2020',
              parser: { syntax: 'typescript', tsx: true },
              transform: { react: { runtime: 'classic' } },
            },
          },
        },
      },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.(png|jpe?g|gif|svg|woff2?|eot|ttf|otf)$/, type: 'asset/inline' },
    ],
  },
};
