// panva's oidc-provider (an OpenID Certified provider), on 127.0.0.1 on a port the OS picks,
// with one public native client for tokex. The user's part of the sign-in (logging in, then
// clicking "allow" on the consent page) is done at once by the interaction route below, which
// grants exactly what the provider says is missing, as a user accepting the page would; what the
// provider then issues (a refresh token or not) is entirely its own decision. Prints the issuer
// URL on stdout, then serves until stdin closes.
//
// With ROBOT_JWK set (a public JWK, as `tokex login --generate-key` prints it) it also has a
// confidential client `robot` that authenticates with private_key_jwt signed by that key and may
// use the client_credentials grant, and a client `inspector` (secret `inspector-secret`) that
// may call token introspection.
'use strict';
const http = require('node:http');
const { Provider } = require('oidc-provider');

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'tokex',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }].concat(process.env.ROBOT_JWK ? [{
      client_id: 'robot',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [JSON.parse(process.env.ROBOT_JWK)] },
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    }, {
      client_id: 'inspector',
      client_secret: 'inspector-secret',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    }] : []),
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
    },
    cookies: { keys: ['tokex-test-only-cookie-key'] },
  });
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (!req.url.startsWith('/interaction/')) {
      callback(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      let result;
      if (details.prompt.name === 'login') {
        result = { login: { accountId: 'alice' } };
      } else {
        const grant = new provider.Grant({
          accountId: details.session.accountId,
          clientId: details.params.client_id,
        });
        const missing = details.prompt.details;
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        result = { consent: { grantId: await grant.save() } };
      }
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });
  process.stdout.write(`${issuer}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
