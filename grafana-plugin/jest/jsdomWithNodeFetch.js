// jsdom (which @grafana/data needs: it reads `window` on import) plus Node's own fetch, which
// jsdom's environment lacks. The integration tests send the plugin's requests through it to a
// real Theodolite server. The abort classes come along so that a signal made in a test is one
// Node's fetch accepts.
const { TestEnvironment } = require('jest-environment-jsdom');

class JsdomWithNodeFetch extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.assign(this.global, { fetch, Headers, Request, Response, AbortController, AbortSignal });
  }
}

module.exports = JsdomWithNodeFetch;
