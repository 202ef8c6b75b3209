-- 100 random questions per request (see check.lua).
dofile(os.getenv("LUA_DIR") .. "/check.lua")

request = function()
  local qs = {}
  for i = 1, 100 do
    qs[i] = question()
  end
  return wrk.format(nil, "/api/v1/authz/check-batch", nil, '{"checks":[' .. table.concat(qs, ",") .. ']}')
end
