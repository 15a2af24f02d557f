import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The engine boundary: each tensor library is imported only inside its engine's folder, and the rest
// of the product (neutral engine code, jobs, chat, CLI, commands) reaches an engine only through
// engine.ts and start-engine.ts, which loads src/engine/onnx/ or src/engine/tfjs/ with a dynamic
// import() once the backend is known. So an ONNX process never loads tfjs (tfjs-core without a
// backend fails: "No backend found in registry.") and a tfjs process never maps ONNX Runtime.
// no-restricted-imports sees static imports and re-exports (type-only ones too: they are not needed
// across the line); no-restricted-syntax adds a dynamic import() of the libraries themselves.
// Tests and scripts are left out on purpose: they compare the engines and reach into both.
const TENSORFLOW = { group: ['@tensorflow/*'], message: 'tfjs is imported only inside src/engine/tfjs/; use engine.ts / start-engine.ts.' };
const TFJS_ENGINE = { regex: '(^|/)tfjs/', message: 'src/engine/tfjs/ is loaded only by start-engine.ts, with a dynamic import().' };
const ORT = { group: ['onnxruntime-*'], message: 'ONNX Runtime is imported only inside src/engine/onnx/; use engine.ts / start-engine.ts.' };
const ONNX_ENGINE = { regex: '(^|/)onnx/', message: 'src/engine/onnx/ is loaded only by start-engine.ts, with a dynamic import().' };
const TENSORFLOW_CALL = { selector: 'ImportExpression[source.value=/^@tensorflow/]', message: TENSORFLOW.message };
const ORT_CALL = { selector: 'ImportExpression[source.value=/^onnxruntime-/]', message: ORT.message };
const restrict = (patterns, calls) => ({ 'no-restricted-imports': ['error', { patterns }], 'no-restricted-syntax': ['error', ...calls] });

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'models', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'commands/**/*.ts', 'bin/**/*.js'],
    ignores: ['src/engine/tfjs/**', 'src/engine/onnx/**'],
    rules: restrict([TENSORFLOW, TFJS_ENGINE, ORT, ONNX_ENGINE], [TENSORFLOW_CALL, ORT_CALL]),
  },
  { files: ['src/engine/tfjs/**/*.ts'], rules: restrict([ORT, ONNX_ENGINE], [ORT_CALL]) },
  { files: ['src/engine/onnx/**/*.ts'], rules: restrict([TENSORFLOW, TFJS_ENGINE], [TENSORFLOW_CALL]) },
);
