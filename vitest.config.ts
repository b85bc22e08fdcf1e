import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789'
export const TEST_ENCRYPTION_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='

/**
 * Two projects: everything that runs inside workerd against the local stack, and a few Node-side
 * checks (test/node/) for tools that need what workerd does not offer: a real file system, code
 * generation (Ajv), child processes and signals.
 */
const workerd = defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      remoteBindings: false,
      miniflare: {
        bindings: {
          ENVIRONMENT: 'development',
          ADMIN_TOKEN: TEST_ADMIN_TOKEN,
          ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
          ALLOW_LOOPBACK_UPSTREAMS: 'true',
          UPSTASH_REDIS_REST_URL: inject('redisRestUrl'),
          UPSTASH_REDIS_REST_TOKEN: inject('redisRestToken'),
          UPSTASH_VECTOR_REST_URL: inject('vectorRestUrl'),
          UPSTASH_VECTOR_REST_TOKEN: inject('vectorRestToken'),
          MOCK_PROVIDER_URL: inject('mockProviderUrl'),
          // The real adapters, pointed at the mock provider's OpenAI and Anthropic dialects.
          OPENAI_BASE_URL: `${inject('mockProviderUrl')}/v1`,
          OPENAI_API_KEY: 'test-openai-key',
          ANTHROPIC_BASE_URL: inject('mockProviderUrl'),
          ANTHROPIC_API_KEY: 'test-anthropic-key',
          // Webhook retries a second apart, a short timeout and a short failure streak: the
          // schedule's shape, at a pace a test can wait for.
          WEBHOOK_RETRY_SCHEDULE: '0,1,1,1',
          WEBHOOK_TIMEOUT_MS: '1000',
          WEBHOOK_DISABLE_AFTER_FAILURES: '2',
          // Background responses: a dead consumer's lease expires, and a lost message is swept
          // up again, within a test's time.
          BACKGROUND_LEASE_MS: '3000',
          BACKGROUND_REQUEUE_AFTER_MS: '1500',
          BACKGROUND_SWEEP_INTERVAL_MS: '200',
          BACKGROUND_POLL_MS: '50',
        },
      },
    })),
  ],
  resolve: {
    // As in wrangler.toml [alias]: the ESM builds these packages ship but do not declare.
    alias: {
      '@upstash/ratelimit': './node_modules/@upstash/ratelimit/dist/index.mjs',
      '@upstash/core-analytics': './node_modules/@upstash/core-analytics/dist/index.mjs',
    },
  },
  test: {
    name: 'workerd',
    globalSetup: ['./test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/node/**'],
    testTimeout: 20_000,
    // Every request writes a log line (src/observability): the tests that check them capture
    // them; printing thousands of them would bury the failures.
    onConsoleLog: (log) => !log.includes('"what":"request"'),
    hookTimeout: 30_000,
  },
})

export default defineConfig({
  test: {
    projects: [
      workerd,
      { test: { name: 'node', include: ['test/node/**/*.test.ts'], testTimeout: 60_000 } },
    ],
  },
})
