// typescript-eslint's type-checked recommended rules over the sources, scripts, bench and tests; no-floating-promises
// matters most here: a dropped promise can let a STATE out before its upload finishes.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { project: "./tsconfig.lint.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Thrift and Parquet codes are numeric enums compared with the numbers read from the file.
      "@typescript-eslint/no-unsafe-enum-comparison": "off",
      // Messages interpolate setting values and JSON scalars that the schema checked first; objects go through JSON.stringify.
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  {
    // Tests hold numbers beyond a double on purpose (exactness), control characters in patterns, and JSON.parse results.
    files: ["test/**/*.ts"],
    rules: {
      "no-loss-of-precision": "off",
      "no-control-regex": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
