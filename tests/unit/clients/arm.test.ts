import { strict as assert } from 'node:assert';
import { supportedManagedIdentityApiVersion } from '../../../src/clients/arm';
import { toTaskError } from '../../../src/sdkErrors';
import { msiAnswering, recording } from '../recorded';

const refusal = (code: string, versions: string) =>
  JSON.stringify({ error: { code, message: `No registered resource provider found. The supported api-versions are '${versions}'.` } });

describe('supportedManagedIdentityApiVersion', () => {
  it('picks the newest released version older than the one asked for that has federated credentials', () => {
    const body = refusal('NoRegisteredProviderFound', '2015-08-31-preview, 2018-11-30, 2023-01-31, 2023-07-31-PREVIEW, 2024-11-30');
    assert.equal(supportedManagedIdentityApiVersion(body, '2025-01-31'), '2024-11-30');
    assert.equal(supportedManagedIdentityApiVersion(body, '2024-11-30'), '2023-01-31');
  });

  it('reads InvalidApiVersionParameter the same way', () => {
    const body = JSON.stringify({ error: { code: 'InvalidApiVersionParameter', message: "The supported versions are '2018-11-30,2023-01-31'." } });
    assert.equal(supportedManagedIdentityApiVersion(body, '2024-11-30'), '2023-01-31');
  });

  it('offers nothing for another error, or when no listed version has federated credentials', () => {
    assert.equal(supportedManagedIdentityApiVersion(refusal('AuthorizationFailed', '2023-01-31'), '2024-11-30'), undefined);
    assert.equal(supportedManagedIdentityApiVersion(refusal('NoRegisteredProviderFound', '2018-11-30'), '2024-11-30'), undefined);
    assert.equal(supportedManagedIdentityApiVersion('not json', '2024-11-30'), undefined);
  });
});

describe('a recorded refusal of the api-version (tests/fixtures/recordings/)', () => {
  it('arm-msi-identity-put-sovereign-apiversion', async () => {
    const recorded = recording('arm-msi-identity-put-sovereign-apiversion');
    const text = JSON.stringify(recorded.body);
    // The 2022 cloud listed none with federated credentials: no fallback, the refusal stands.
    assert.equal(supportedManagedIdentityApiVersion(text, '2024-11-30'), undefined);
    assert.equal(supportedManagedIdentityApiVersion(text.replace("2018-11-30'", "2018-11-30, 2023-01-31'"), '2024-11-30'), '2023-01-31');
    const error = await msiAnswering(recorded)
      .userAssignedIdentities.get('rg', 'n')
      .catch((e: unknown) => e);
    assert.equal(toTaskError('arm', 'read the identity', error).code, 'NoRegisteredProviderFound');
  });
});
