import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests of the shell's plain modules (no component rendering: the browser suite does that).
// A time zone with daylight saving, so date tests cross both changes whatever the machine's zone.
export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  test: { include: ['test/**/*.spec.ts'], environment: 'node', env: { TZ: 'Europe/Paris' } },
});
