// A real OpenID provider for the single sign-on tests: panva's certified oidc-provider on 127.0.0.1.
//
//   PORT=N CLIENTS='[{"client_id": ..., "client_secret": ..., "redirect_uris": [...]}]' node provider.mjs
//
// Prints "ready" once it listens. Besides the provider's own endpoints it answers two test-only paths:
//   POST /test/accounts          a JSON object {login: claims}: the people who may sign in (added to those known)
//   POST /test/next-id-token     "tampered", "expired" or "audience": the next ID token the token endpoint
//                                issues is altered that way (a changed payload under the old signature, or
//                                re-signed with the provider's key and a past expiry or another audience), so the
//                                tests can check that the relying party refuses it.
// The sign-in page (/interaction/<uid>) asks only for the login name: the tests post it.
import { createServer } from "node:http";
import * as jose from "jose";
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.CLIENTS || "[]").map((client) => ({
  grant_types: ["authorization_code"],
  response_types: ["code"],
  token_endpoint_auth_method: "client_secret_basic",
  ...client,
}));

const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };

const accounts = new Map();
let nextIdToken = null;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: ["test cookie key, not a secret"] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "department", "groups"] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Consent is not what these tests are about: every client gets the scopes it asks for.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
});

async function alteredIdToken(idToken, how) {
  const [header, payload, signature] = idToken.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  if (how === "tampered") {
    claims.sub = `${claims.sub}-someone-else`;
    return [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
  }
  const now = Math.floor(Date.now() / 1000);
  if (how === "expired") Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  // Issued to another relying party that names this one as its authorized party: still not for this one.
  if (how === "audience") Object.assign(claims, { azp: claims.aud, aud: "another-relying-party" });
  return new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: signingKey.kid }).sign(privateKey);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === "/token" && nextIdToken && ctx.body && ctx.body.id_token) {
    const how = nextIdToken;
    nextIdToken = null;
    ctx.body = { ...ctx.body, id_token: await alteredIdToken(ctx.body.id_token, how) };
  }
});

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

const page = (uid) => `<!doctype html><title>Sign in</title>
<form method="post" action="/interaction/${uid}"><label>Login <input name="login"></label><button>Sign in</button></form>`;

const handle = provider.callback();
createServer(async (req, res) => {
  try {
    const path = new URL(req.url, issuer).pathname;
    if (req.method === "POST" && path === "/test/accounts") {
      for (const [login, claims] of Object.entries(JSON.parse(await body(req)))) accounts.set(login, claims);
      res.end("ok");
    } else if (req.method === "POST" && path === "/test/next-id-token") {
      nextIdToken = (await body(req)).trim();
      res.end("ok");
    } else if (path.startsWith("/interaction/")) {
      const details = await provider.interactionDetails(req, res);
      if (req.method === "GET") {
        res.setHeader("Content-Type", "text/html");
        res.end(page(details.uid));
      } else {
        const login = new URLSearchParams(await body(req)).get("login");
        await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      }
    } else {
      handle(req, res);
    }
  } catch (error) {
    res.statusCode = 500;
    res.end(String(error));
  }
}).listen(port, "127.0.0.1", () => console.log("ready"));
