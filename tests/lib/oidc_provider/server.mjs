// A real OpenID Provider for mod_helpdesk_sso's integration tests: panva's
// oidc-provider (pinned in package.json), over HTTPS on 127.0.0.1 with a
// certificate of the tests' own CA. Configured by the JSON file named on
// the command line (tests/lib/oidc_provider.py writes it):
//
//   issuer, port, tls: {key, cert}      PEM file paths
//   clients: [...]                      client metadata as oidc-provider takes it
//   jwks: {keys: [...]}                 private signing JWKs (each with a kid)
//   rotated_jwks: {keys: [...]}         what POST /_test/rotate switches to
//   admin_token                         bearer token of the /_test/ routes
//   cookie_keys: [...]                  keys signing the provider's cookies
//   id_token_ttl, code_ttl              seconds (default 3600, 60)
//   groups: {user: [...]}, default_groups: [...]
//   conform_id_token_claims             false (default): scope claims (email,
//                                       name, groups) go in the ID token too
//
// Accounts: any username signs in (devInteractions, any password); the
// claims come from the username: sub = the username, email
// <username>@example.com, name the username capitalised, groups from
// `groups` (else default_groups, else ["staff"]).
//
// Key rotation while running: POST /_test/rotate (Authorization: Bearer
// <admin_token>) builds a new Provider with rotated_jwks (or the JSON body's
// {"jwks": ...}) and sends every later request to it. oidc-provider's memory
// adapter keeps its store at module level, so sessions, grants and codes
// survive the swap; only the signing keys (and the JWKS served) change.
//
// One JSON line per event on stdout (backchannel logouts sent or failed,
// errors), for the tests to read; nothing else.

import fs from 'node:fs';
import https from 'node:https';

import Provider from 'oidc-provider';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function log(event, fields) {
  process.stdout.write(`${JSON.stringify({ event, at: Date.now() / 1000, ...fields })}\n`);
}

function capitalised(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function account(id) {
  const groups = (cfg.groups && cfg.groups[id]) || cfg.default_groups || ['staff'];
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: `${id}@example.com`,
        email_verified: true,
        name: capitalised(id),
        preferred_username: id,
        groups,
      };
    },
  };
}

function page(title, inner) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body><h1>${title}</h1>${inner}</body></html>`;
}

function build(jwks) {
  const provider = new Provider(cfg.issuer, {
    clients: cfg.clients,
    jwks,
    cookies: { keys: cfg.cookie_keys },
    findAccount: (ctx, id) => account(id),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    conformIdTokenClaims: cfg.conform_id_token_claims === true,
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    ttl: {
      IdToken: cfg.id_token_ttl || 3600,
      AuthorizationCode: cfg.code_ttl || 60,
      AccessToken: 3600,
      Session: 3600,
      Interaction: 600,
      Grant: 3600,
    },
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // No external resources (the default pages import web fonts), and
        // the button inside the form, so that a script or a browser submits
        // one form.
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out', form.replace('</form>',
            '<button autofocus type="submit" name="logout" value="yes">Yes, sign me out</button></form>'));
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out of the test provider.</p>');
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<pre id="error">${JSON.stringify(out).replace(/</g, '&lt;')}</pre>`);
    },
  });
  for (const name of ['backchannel.success', 'backchannel.error']) {
    provider.on(name, (ctx, ...rest) => {
      const err = name === 'backchannel.error' ? rest.shift() : undefined;
      const [client, accountId, sid] = rest;
      log(name, {
        client_id: client.clientId, account: accountId, sid, error: err && String(err.message || err),
      });
    });
  }
  for (const name of ['server_error', 'grant.error', 'authorization.error', 'end_session.error',
    'userinfo.error']) {
    provider.on(name, (ctx, err) => log(name, { error: String(err && (err.error_description || err.message || err)), detail: err && err.error_detail }));
  }
  provider.on('end_session.success', () => log('end_session.success', {}));
  return { provider, handler: provider.callback() };
}

let current = build(cfg.jwks);

function admin(req, res) {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.headers.authorization !== `Bearer ${cfg.admin_token}`) {
    send(403, { error: 'not the test' });
    return;
  }
  if (req.method !== 'POST' || req.url !== '/_test/rotate') {
    send(404, { error: 'no such test route' });
    return;
  }
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    try {
      const jwks = body ? JSON.parse(body).jwks : cfg.rotated_jwks;
      current = build(jwks);
      const kids = jwks.keys.map((k) => k.kid);
      log('rotated', { kids });
      send(200, { kids });
    } catch (err) {
      send(400, { error: String(err.message || err) });
    }
  });
}

const server = https.createServer({
  key: fs.readFileSync(cfg.tls.key),
  cert: fs.readFileSync(cfg.tls.cert),
}, (req, res) => {
  if (req.url.startsWith('/_test/')) {
    admin(req, res);
    return;
  }
  current.handler(req, res);
});

server.listen(cfg.port, '127.0.0.1', () => log('listening', { issuer: cfg.issuer }));

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}
