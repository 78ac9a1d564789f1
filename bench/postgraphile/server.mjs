// PostGraphile 5 on the bench database, for the comparison in bench/run.sh.
// Requests carry the bench users' Portal session tokens; a token maps (from
// USERS, the users.tsv benchdata writes) to the contact and account, which
// go into pgSettings so the row-level-security policies of rls.sql scope
// the rows as Portal's permissions do: an authorized user reads its own
// orders, a customer representative its account's.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const users = new Map();
for (const line of readFileSync(process.env.USERS, "utf8").split("\n")) {
  const [token, role, contact, account] = line.split("\t");
  if (token) users.set(token, { role, contact, account });
}

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"], poolConfig: { max: 20 } })],
  grafast: {
    explain: false,
    context(requestContext) {
      const req = requestContext.node?.req;
      const h = req?.headers?.authorization ?? "";
      const u = users.get(h.replace(/^Bearer /i, ""));
      const pgSettings = { role: "bench_anon" };
      if (u) {
        pgSettings.role = "bench_user";
        pgSettings["portal.contact_id"] = u.role === "authorized_user" ? u.contact : "";
        pgSettings["portal.account_id"] = u.role === "customer_representative" ? u.account : "";
      }
      return { pgSettings };
    },
  },
  grafserv: { graphiql: false, watch: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => { console.error(e); process.exit(1); });
await serv.addTo(server);
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("postgraphile listening on", process.env.PORT));
