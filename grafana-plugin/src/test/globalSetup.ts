// jest globalSetup: one Theodolite server for the whole suite (see theodoliteServer.ts).
import { ENV_KEY, ENV_OTHER_KEY, ENV_URL, RunningServer, startServer } from './theodoliteServer';

declare global {
  // Read by globalTeardown, which runs in this same process.
  var theodoliteTestServer: RunningServer | undefined;
}

export default async function globalSetup() {
  const server = await startServer();
  globalThis.theodoliteTestServer = server;
  // Test workers are started after this and inherit the environment.
  process.env[ENV_URL] = server.url;
  process.env[ENV_KEY] = server.apiKey;
  process.env[ENV_OTHER_KEY] = server.otherApiKey;
}
