// `npm run test:docs`: every README command on a Node-20-only PATH (scripts/check-readme-commands.ts).
// A plain object rather than `defineConfig`: vitest is a dependency of the packages, not of the
// root, so this config imports nothing; the root script runs dev-harness's vitest.
export default {
  test: {
    include: ["scripts/check-readme-commands.test.ts"],
    globals: true,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
};
