-- wrk script for bench/run.sh. Environment:
--   SCENARIO  a | a2 | c | c1 | typename | anon   (see bench/run.sh)
--   QUERY     the request body (JSON) of every scenario but c and c1
--   TOKENS    file of session tokens, one per line (requests rotate over them)
--   PRODUCTS  file of product ids (scenarios c and c1)
--   RECEIPT   requested receipt date for new orders (scenarios c and c1)
-- Every thread keeps its own rotation; scenario c runs one connection per
-- thread, since each order is a chain of five requests that need the
-- previous answer's id. Scenario c1 places each order (3 lines) with one
-- placeOrder request, as an API client would: the mutation's text is the
-- same every time, the order in its variables.

local scenario = os.getenv("SCENARIO") or "a"

local query = os.getenv("QUERY") -- the request body of a, a2, typename, anon

local function lines(path)
  local out = {}
  if path and path ~= "" then
    for l in io.lines(path) do
      if l ~= "" then out[#out + 1] = l end
    end
  end
  return out
end

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local tokens, products, n, step, order, receipt
-- errors and orders are globals: done() reads them with thread:get.

local function token()
  n = n + 1
  return tokens[n % #tokens + 1]
end

local function post(body, tok)
  local headers = { ["Content-Type"] = "application/json" }
  if tok then headers["Authorization"] = "Bearer " .. tok end
  return wrk.format("POST", "/graphql", headers, body)
end

-- prepared holds the whole request of the read scenarios, one per token:
-- they differ only in the token, and building each anew (wrk.format in
-- Lua) took CPU from the servers measured on the same cores.
local prepared

function init(args)
  tokens = lines(os.getenv("TOKENS"))
  products = lines(os.getenv("PRODUCTS"))
  receipt = os.getenv("RECEIPT") or "2030-01-01"
  n = (id or 1) * 7919
  errors = 0
  orders = 0
  step = 0
  if scenario ~= "c" and scenario ~= "c1" then
    prepared = {}
    for i, tok in ipairs(tokens) do
      prepared[i] = post(query, scenario ~= "anon" and tok or nil)
    end
    if #prepared == 0 then prepared[1] = post(query, nil) end
  end
end

local ctoken
local function order_step()
  -- Each step's text is the same for every order, its values variables:
  -- what a client of the wizard sends (and what the server parses once).
  if step == 0 then
    ctoken = token()
    return post('{"query":"mutation Create($in: OrderInformationInput!) { createOrder(input: $in) { id } }",' ..
      '"variables":{"in":{"requestedReceiptDate":"' .. receipt .. '"}}}', ctoken)
  elseif step <= 3 then
    local p = products[(n + step) % #products + 1]
    return post('{"query":"mutation Add($id: ID!, $in: OrderLineInput!) { addOrderLine(orderId: $id, input: $in) { id } }",' ..
      '"variables":{"id":"' .. order .. '","in":{"productId":"' .. p .. '","quantity":"' .. step .. '","unit":"pcs"}}}', ctoken)
  end
  return post('{"query":"mutation Submit($id: ID!) { submitOrder(orderId: $id) { id status } }","variables":{"id":"' .. order .. '"}}', ctoken)
end

-- place_order is scenario c1: the order of c in one request.
local function place_order()
  local tok = token()
  local ls = {}
  for i = 1, 3 do
    ls[i] = '{"productId":"' .. products[(n + i) % #products + 1] .. '","quantity":"' .. i .. '","unit":"pcs"}'
  end
  return post('{"query":"mutation Place($in: PlaceOrderInput!) { placeOrder(input: $in) { id status } }",' ..
    '"variables":{"in":{"requestedReceiptDate":"' .. receipt .. '","lines":[' .. table.concat(ls, ",") .. ']}}}', tok)
end

function request()
  if scenario == "c" then return order_step() end
  if scenario == "c1" then return place_order() end
  n = n + 1
  return prepared[n % #prepared + 1]
end

-- failed reports whether a 200 response carries GraphQL errors. Both
-- servers put "errors" at the top level: gqlgen first, before "data";
-- Grafast (PostGraphile 5, without its outputDataAsString option, which
-- the bench leaves off) right after "data", so that the body ends with
-- the errors array, or with "extensions" when there are any. The rows
-- read have no field named errors. So a look at both ends of the body is
-- enough: its head, its last bytes (a top-level object closing right
-- after an array closes the errors array, since "data" is an object),
-- and, for errors followed by extensions, its last 2 KiB (best effort).
-- Searching the whole body (kilobytes, a quote every few bytes) cost the
-- load tool as much CPU as the rest of its work.
local function failed(body)
  local head = string.sub(body, 1, 16)
  if string.find(head, '"errors"', 1, true) then return true end
  if string.sub(head, 1, 8) ~= '{"data":' then return true end
  if string.find(string.sub(body, -8), "%]%s*}%s*$") then return true end
  return string.find(body, '"errors"', math.max(1, #body - 2047), true) ~= nil
end

function response(status, headers, body)
  if status ~= 200 or failed(body) then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("error response (" .. status .. "): " .. string.sub(body, 1, 300) .. "\n") end
    if scenario == "c" then step = 0 end
    return
  end
  if scenario == "c" then
    if step == 0 then
      order = string.match(body, '"id":"([^"]+)"')
      step = 1
    elseif step < 4 then
      step = step + 1
    else
      orders = orders + 1
      step = 0
    end
  elseif scenario == "c1" and string.find(body, '"SUBMITTED"', 1, true) then
    orders = orders + 1
  end
end

function done(summary, latency, requests)
  local errs, made = 0, 0
  for _, t in ipairs(threads) do
    errs = errs + (t:get("errors") or 0)
    made = made + (t:get("orders") or 0)
  end
  local secs = summary.duration / 1e6
  -- One machine-readable line; run.sh turns it into the table.
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d orders_per_s=%.1f\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, errs + summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    made / secs))
end
