/** The Functions' settings: the trigger's connection app settings are checked like every other setting. */
import { describe, expect, it } from 'vitest';
import { functionsSettings } from '../../src/runtime/functionsRuntime.js';

const BASE = { SPARK_DISPATCH__ledger__account: 'sparkdispatchdemo' };

describe('functionsSettings', () => {
  it("takes the trigger's namespace host and queue when settings name none", () => {
    const settings = functionsSettings({
      ...BASE,
      ServiceBusConnection__fullyQualifiedNamespace: 'contoso.servicebus.windows.net',
      SPARK_DISPATCH_JOB_QUEUE: 'jobs-eu',
    });
    expect(settings.serviceBus).toMatchObject({ fullyQualifiedNamespace: 'contoso.servicebus.windows.net', jobQueue: 'jobs-eu' });
  });

  it("a namespace host from the trigger's app settings that is not one is refused at start-up, naming the setting", () => {
    expect(() =>
      functionsSettings({ ...BASE, ServiceBusConnection__fullyQualifiedNamespace: 'https://contoso.servicebus.windows.net/' }),
    ).toThrow(
      expect.objectContaining({
        kind: 'configuration',
        message:
          'invalid settings (with the trigger\'s connection app settings): settings.serviceBus.fullyQualifiedNamespace: expected a host name such as contoso.servicebus.windows.net, found "https://contoso.servicebus.windows.net/"',
      }),
    );
  });
});
