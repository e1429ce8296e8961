import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules", "data", "test-artifacts", "coverage", "dist"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ExportAllDeclaration",
          message: "No barrel files: import from the module that defines the name.",
        },
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
        {
          // fn(...rows) puts every element on the stack: ~120k elements overflow it ("Maximum call
          // stack size exceeded"). Loop, use a for...of push, reduce, or a helper from src/shared/arrays.ts.
          selector: "CallExpression > SpreadElement, NewExpression > SpreadElement",
          message:
            "No spread arguments in calls: a large array overflows the stack. Loop instead (see src/shared/arrays.ts).",
        },
        {
          selector: "CallExpression[callee.property.name='apply'][arguments.length=2]",
          message: "No fn.apply(x, array): a large array overflows the stack. Loop instead.",
        },
      ],
    },
  },
  {
    // Configuration is parsed once in src/config.ts; nothing else reads the environment.
    files: ["src/**/*.ts"],
    ignores: ["src/config.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration from src/config.ts." },
      ],
    },
  },
  {
    files: ["eslint.config.js", "vitest.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
);
