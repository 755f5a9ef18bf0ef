import { defineConfig } from 'vite';

// The web client lives in web/ and is served by the Node server from dist/web.
// `vite` (dev server) proxies Socket.IO and the HTTP API to a server on port 4000.
export default defineConfig({
  root: 'web',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/socket.io': { target: 'http://127.0.0.1:4000', ws: true },
      '/api': 'http://127.0.0.1:4000',
    },
  },
});
