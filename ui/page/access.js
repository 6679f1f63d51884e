// Who may call the routes the console calls: a copy of the server's rules
// (core/auth/policy.go, Table), which ui/access_test.go checks against
// them. The page learns its caller's roles from the stream's first message
// (learn); it shows a control, and makes a read, only when one of the
// roles may call the route behind it, so that it offers nothing the server
// refuses and shows no error for a read the role may not make. The server
// still decides: this table only spares the page the refusals.

const quoteReaders = ["sales", "approver-technical", "approver-commercial", "approver-customer", "operations", "admin"];
const orderReaders = ["sales", "operations", "partner", "admin"];
const partnerReaders = ["operations", "partner", "admin"];
const placers = ["sales", "admin"];
const operators = ["operations", "admin"];
const planners = ["sales", "operations", "admin"];

// routes are the route patterns the page calls, as the server registers
// them, each with the roles that may call it.
export const routes = {
  "GET /tmf-api/productOrderingManagement/v4/productOrder": orderReaders,
  "GET /tmf-api/productOrderingManagement/v4/productOrder/{id}": orderReaders,
  "POST /tmf-api/productOrderingManagement/v4/productOrder": placers,
  "POST /tmf-api/productOrderingManagement/v4/cancelProductOrder": operators,
  "GET /tmf-api/quoteManagement/v4/quote/{id}": quoteReaders,
  "POST /tmf-api/quoteManagement/v4/quote": placers,
  "GET /tmf-api/serviceOrdering/v4/serviceOrder": operators,
  "GET /tmf-api/resourceOrderingManagement/v4/resourceOrder": operators,
  "GET /tmf-api/resourceInventoryManagement/v4/resource": partnerReaders,
  "GET /ordertwin/v1/resourceUse": operators,
  "GET /ordertwin/v1/worklist": operators,
  "POST /ordertwin/v1/operatorAction": operators,
  "GET /ordertwin/v1/clock": operators,
  "PATCH /ordertwin/v1/clock": operators,
  "POST /ordertwin/v1/clock/step": operators,
  "GET /ordertwin/v1/fault": operators,
  "POST /ordertwin/v1/fault": operators,
  "DELETE /ordertwin/v1/fault/{name...}": operators,
  "GET /ordertwin/v1/scenario": planners,
  "GET /ordertwin/v1/scenario/{id}": planners,
  "POST /ordertwin/v1/scenarioRun": placers,
  "POST /ordertwin/v1/siteAddition": placers,
  "GET /ordertwin/v1/whatIf/{id}": planners,
  "POST /ordertwin/v1/whatIf": planners,
  "DELETE /ordertwin/v1/whatIf/{id}": planners,
};

// The routes an instance of a deployment of several shards (serve
// --shards) does not serve: the console's controls of one system (its
// clock, a scenario run, a site added, a what-if) and its network's
// resource use. The page offers none of them there.
const unsharded = new Set(["GET /ordertwin/v1/resourceUse", "GET /ordertwin/v1/clock", "PATCH /ordertwin/v1/clock",
  "POST /ordertwin/v1/clock/step", "GET /ordertwin/v1/scenario", "GET /ordertwin/v1/scenario/{id}", "POST /ordertwin/v1/scenarioRun",
  "POST /ordertwin/v1/siteAddition", "GET /ordertwin/v1/whatIf/{id}", "POST /ordertwin/v1/whatIf", "DELETE /ordertwin/v1/whatIf/{id}"]);
const sharded = Number(document.body.dataset.shards) > 0;

// Each pattern as a method and a regular expression of its path.
const compiled = Object.keys(routes).map((route) => {
  const [method, path] = route.split(" ");
  // {name} is one segment, {name...} the rest of the path.
  const re = new RegExp("^" + path.replace(/\{[^}]+\.\.\.\}/g, ".+").replace(/\{[^}]+\}/g, "[^/]+") + "$");
  return { route, method, re };
});

let roles = null; // the caller's roles: null until the stream has said them
let anyone = false; // the server authenticates no one: it refuses nothing

// learn takes the roles the stream's first message gives (none: a server
// that authenticates no one) and tells the page's modules
// ("ordertwin:access"), which show what the roles may use.
export function learn(list) {
  anyone = !Array.isArray(list);
  roles = new Set(list || []);
  document.dispatchEvent(new Event("ordertwin:access"));
}

// forget drops the roles: the page signed out.
export function forget() {
  anyone = false;
  roles = null;
  document.dispatchEvent(new Event("ordertwin:access"));
}

// known tells whether the caller's roles are known.
export function known() { return anyone || roles !== null; }

// may tells whether the caller may call route, a pattern of routes, and
// the server serves it; a pattern the table does not hold is a mistake of
// the page.
export function may(route) {
  const who = routes[route];
  if (!who) throw new Error("access.js: no rule for " + route);
  if (sharded && unsharded.has(route)) return false;
  return anyone || (roles !== null && who.some((r) => roles.has(r)));
}

// mayCall tells whether the caller may call method on url (its query
// ignored); a route the table does not name is left to the server.
export function mayCall(method, url) {
  const path = url.split("?")[0];
  const r = compiled.find((c) => c.method === method && c.re.test(path));
  return r ? may(r.route) : true;
}

// refused is the error of a call the page does not make: the caller's
// roles may not (skipped, which the page's banner leaves out).
export function refused(method, url) {
  return Object.assign(new Error(method + " " + url.split("?")[0] + ": not for the roles signed in"), { status: 403, skipped: true });
}
