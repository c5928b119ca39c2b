/** Azurite for tests: the launcher lives in src/runtime so the local stack and the soak run use it too. */
export { startAzurite, DEV_ACCOUNT, type Azurite } from '../../dev/local-stack/azuriteProcess.js';
