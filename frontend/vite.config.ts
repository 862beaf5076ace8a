import { defineConfig } from 'vitest/config';
import { fakeGateway } from './dev/fake-gateway.ts';

// Wails serves frontend/dist; in a plain browser (dev, preview) the UI runs on
// its in-memory fake and this server answers like a gateway (dev/fake-gateway.ts).
export default defineConfig({
  base: './',
  plugins: [fakeGateway()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173, strictPort: false },
  test: {
    environment: 'node',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    // Component tests render the whole app; a busy two-core machine needs the slack.
    testTimeout: 30_000,
  },
});
