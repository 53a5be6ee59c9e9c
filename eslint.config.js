// Type-aware linting, every rule an error: a promise not awaited in a Worker is dropped when the
// response is sent, so no-floating-promises and friends are not optional here.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/.wrangler/**",
      "**/worker-configuration.d.ts",
      "types/worker-runtime.d.ts",
      "**/test-results/**",
      // An exercise's local state (apps' storage, compare reports), git-ignored.
      "workshop/.state/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      // Handlers implement Promise-returning interfaces; many resolve without awaiting anything.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Root scripts and configs are plain JavaScript outside any tsconfig project.
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
