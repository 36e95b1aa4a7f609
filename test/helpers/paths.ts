/** Where things are, from the compiled test files in build/test/helpers. */
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const PYTHON_FIXTURES = `${ROOT}test/fixtures/python/`;
export const BUILD = `${ROOT}build/`;
