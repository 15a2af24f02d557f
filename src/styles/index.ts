// The style library without chat or tensors: built-in paintings, names and blends of names, and
// resolving names to image bytes. Chat surfaces add a workspace's saved styles as another StyleLibrary.
export { MAX_SUGGESTION_LENGTH, MAX_SUGGESTIONS, styleNameSuggestions } from './autocomplete.ts';
export { BUILTIN_STYLES, BUILTIN_STYLE_NAMES, findBuiltinStyle, readBuiltinStyle, type BuiltinStyle } from './builtin.ts';
export {
  blendWeights,
  builtinLibrary,
  closestStyleName,
  resolveStyleRefs,
  unknownStyleMessage,
  UnknownStyleError,
  type ResolvedStyle,
  type StyleLibrary,
} from './library.ts';
export {
  formatStyleNames,
  MAX_BLEND_STYLES,
  MAX_STYLE_WEIGHT,
  parseStyleNames,
  STYLE_NAME_MAX_LENGTH,
  StyleNameError,
  validateStyleName,
  type StyleRef,
} from './style-names.ts';
