-- One random question per request: random user (of the seeded 0..USERS-1), tenant (0..199),
-- permission and environment. Ids follow gatehouse_store::testing::seed_id.
local users = tonumber(os.getenv("USERS") or "100000")
local perms = { "verification.view", "analytics", "flow_builder", "verification.perform", "developer_area", "theme_designer" }
local envs = { "live", "sandbox" }
math.randomseed(42)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")

function question()
  return string.format(
    '{"user_id":"01900000-0000-7000-8000-0300%08x","permission":"%s","tenant_id":"01900000-0000-7000-8000-0100%08x","environment":"%s"}',
    math.random(0, users - 1), perms[math.random(#perms)], math.random(0, 199), envs[math.random(2)])
end

request = function()
  return wrk.format(nil, "/api/v1/authz/check", nil, question())
end
