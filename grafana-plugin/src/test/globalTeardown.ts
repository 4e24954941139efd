import { stopServer } from './theodoliteServer';

export default async function globalTeardown() {
  const server = globalThis.theodoliteTestServer;
  if (server) {
    await stopServer(server);
  }
}
